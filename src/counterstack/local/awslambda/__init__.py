"""AWS Lambda in the local account: Invoke, the runtime and its worker processes, what a function's
process sees, concurrency and the account quota, and function logs.
"""
