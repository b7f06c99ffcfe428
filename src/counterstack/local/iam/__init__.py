"""IAM in the local account: role sessions, identity-policy evaluation, and where calls are checked.

`role_sessions` issues a function's session of its execution role; `policy_evaluation` decides
whether a role's policies allow an action on a resource; `enforcement` applies that to each call
signed with a session key, before moto serves it.
"""
