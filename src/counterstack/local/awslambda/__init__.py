"""AWS Lambda in the local account: Invoke, the runtime and its worker processes (AWS's runtime
client on a Lambda Runtime API of their own), what a function's process sees, concurrency and the
account quota, and function logs.
"""
