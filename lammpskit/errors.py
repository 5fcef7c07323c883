"""The two kinds of failure the CLI distinguishes (exit 2 and exit 1)."""


class UserError(Exception):
    """Bad input: the CLI prints ``error: <message>`` and exits with 2."""


class RunError(Exception):
    """A run that failed while working: ``error: <message>``, exit 1."""
