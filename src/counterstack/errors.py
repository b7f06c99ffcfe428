"""The one exception type users see: its message says what went wrong and what to do."""


class CounterStackError(Exception):
    """An error with a message a user can act on; the CLI prints it as one line."""
