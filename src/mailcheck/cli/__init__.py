"""The command line: parse options, hand the work to the library, print, exit.

Commands import their heavy modules (dnspython, checkdmarc, httpx) inside the command
function, so ``mailcheck --help`` starts fast.
"""

from __future__ import annotations

import sys

import typer

from mailcheck.errors import BadInput
from mailcheck.model import ExitCode

app = typer.Typer(
    name="mailcheck",
    help="Diagnose why email does not reach the inbox: one pass/fail line per obstacle.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _root() -> None:
    """Diagnose why email does not reach the inbox: one pass/fail line per obstacle."""


def _register_commands() -> None:
    from mailcheck.cli import (
        blocklist,  # noqa: F401
        check,  # noqa: F401
        domain,  # noqa: F401  (registers its command)
        explain,  # noqa: F401
        links,  # noqa: F401
        message,  # noqa: F401
        probe,  # noqa: F401
        spf,  # noqa: F401
    )


_register_commands()


def main(argv: list[str] | None = None) -> None:
    """Entry point: every failure becomes a one-line message and a documented exit code."""
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="mailcheck", standalone_mode=False)
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.TyperException as exc:  # typer's usage errors: unknown option, bad value
        _error(exc.format_message())
        code = ExitCode.USAGE
    except typer.Abort:
        code = ExitCode.INTERRUPTED
    except BadInput as exc:
        _error(str(exc))
        code = ExitCode.USAGE
    except KeyboardInterrupt:
        code = ExitCode.INTERRUPTED
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (| head): nothing more to say
        code = ExitCode.OK
    sys.exit(int(code or 0))


def _error(message: str) -> None:
    first_line = " ".join(message.split())
    print(f"mailcheck: error: {first_line}", file=sys.stderr)
