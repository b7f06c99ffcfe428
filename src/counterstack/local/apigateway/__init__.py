"""API Gateway v2 HTTP APIs in the local account: the execute-api gateway and what it applies —
routes, CORS, stage throttling, the function's resource policy, payload 2.0, deployments and
stages, access logs, and the execute-api URLs.
"""
