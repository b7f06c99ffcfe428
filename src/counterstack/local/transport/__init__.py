"""The account's HTTP transport: the waitress server, WSGI helpers, lost-answer accounting, and
moto served alone for offline plans.
"""
