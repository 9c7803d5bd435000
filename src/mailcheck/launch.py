"""The console script's entry point: ``mailcheck --version`` before the CLI loads, and
an exit that skips the interpreter's teardown.

Loading the command line (typer, click, every command's options) is most of what
``mailcheck --version`` would cost; the version alone needs none of it. Everything
else, ``-V`` among other options included, goes to mailcheck.cli.

When the command has finished, Python would still tear down every module it loaded
and collect their objects one by one: 60 to 90 ms of CPU after a report, a sixth of
a whole run, for memory the operating system takes back at once anyway.
``exit_at_once`` does what that teardown would do that matters (the ``atexit``
handlers, flushing the standard streams) and ends the process.
"""

from __future__ import annotations

import sys
from typing import NoReturn


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):
        from mailcheck import __version__

        print(f"mailcheck {__version__}")
        sys.exit(0)
    import threading

    from mailcheck.cli import main as cli_main

    try:
        cli_main()
    except SystemExit as finished:
        # A code that is not a number (a message) is Python's to print; a thread still
        # running is the interpreter's to wait for. Neither happens in mailcheck's runs.
        if isinstance(finished.code, int | None) and threading.active_count() == 1:
            exit_at_once(finished.code or 0)
        raise


def exit_at_once(code: int) -> NoReturn:
    import atexit
    import contextlib
    import os

    # The handlers are what a library registered to run at exit (logging's flush among
    # them); Python runs them the same way on its way out.
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader gone, a stream closed
            stream.flush()
    os._exit(code)
