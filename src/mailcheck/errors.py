"""Errors that end a run before any check: bad input, bad options, bad zone files."""


class BadInput(Exception):
    """The user gave something mailcheck cannot use; exit 2 with this one-line message."""
