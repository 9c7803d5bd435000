"""mailcheck: diagnose why email does not reach the inbox."""

__version__ = "0.1.0"
