"""The command line: parse options, hand the work to the library, print, exit.

Each command lives in the module of its name (mailcheck.cli.domain), imported only
by a run that names it or that lists them all (the help, completion); commands
import their heavy modules (dnspython, checkdmarc, httpx) inside the command
function, so ``mailcheck --help`` starts fast.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import sys
from collections.abc import Sequence
from typing import Annotated

import typer
from typer._click.core import Context
from typer._click.exceptions import NoArgsIsHelpError
from typer.core import TyperGroup

from mailcheck.cli import completion
from mailcheck.cli.completion import Shell
from mailcheck.errors import BadInput
from mailcheck.model import ExitCode

HELP_OPTION_NAMES = ["-h", "--help"]

# Every command, in the order the help lists them; each is registered by its module.
COMMANDS = ("blocklist", "bounce", "check", "domain", "explain", "links", "message", "probe", "report", "spf")


class _Commands(TyperGroup):
    def list_commands(self, ctx: Context) -> list[str]:
        # In COMMANDS' order, whichever command's module a process imported first.
        return sorted(self.commands, key=lambda name: COMMANDS.index(name) if name in COMMANDS else len(COMMANDS))


app = typer.Typer(
    cls=_Commands,
    name="mailcheck",
    help="Diagnose why email does not reach the inbox: one pass/fail line per obstacle.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": HELP_OPTION_NAMES},
)


def _print_version(value: bool) -> None:
    if value:
        from mailcheck import __version__

        print(f"mailcheck {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", "-V", help="Print the version and exit.", is_eager=True, callback=_print_version),
    ] = False,
    show_completion: Annotated[
        Shell | None,
        typer.Option(
            "--show-completion",
            metavar="SHELL",
            help="Print the completion script for SHELL (bash, zsh or fish).",
            is_eager=True,
            callback=completion.show_completion,
            show_default=False,
        ),
    ] = None,
    install_completion: Annotated[
        Shell | None,
        typer.Option(
            "--install-completion",
            metavar="SHELL",
            help="Install completion for SHELL (bash, zsh or fish) in its startup files.",
            is_eager=True,
            callback=completion.install_completion,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Diagnose why email does not reach the inbox: one pass/fail line per obstacle."""


def register_commands(args: Sequence[str]) -> None:
    """Import the module of the command ``args`` run (its first word), or of every
    command when they name none of them: the help, completion, a mistyped name that
    typer's "did you mean" answers. A root option before the command (--help,
    --version, --show-completion) acts and exits before any command: all of them."""
    wanted = (args[0],) if args and args[0] in COMMANDS else COMMANDS
    for name in wanted:
        importlib.import_module(f"mailcheck.cli.{name}")  # its @app.command registers it


# What a write to stdout can fail with, other than a closed pipe.
_WRITE_ERRORS = frozenset({errno.ENOSPC, errno.EIO, errno.EFBIG, errno.EDQUOT, errno.EPIPE})


def main(argv: list[str] | None = None) -> None:
    """Entry point: every failure becomes a one-line message and a documented exit code."""
    from mailcheck.cli.interrupt import exit_interrupted, handling_interrupts

    with handling_interrupts() as interrupts:
        try:
            code = _run(argv)
        except BaseException:
            # After Ctrl-C whatever surfaces (asyncio.run's CancelledError, a library
            # thread's complaint) is the interruption itself, not something to report.
            if not interrupts.interrupted:
                raise
        if interrupts.interrupted:
            exit_interrupted()
    sys.exit(int(code or 0))


def _run(argv: list[str] | None) -> int:
    from mailcheck.cli.coercion import coerce_plainly
    from mailcheck.cli.placeholders import placeholders_as_words

    args = sys.argv[1:] if argv is None else argv
    register_commands(args)
    if not args or any(arg in HELP_OPTION_NAMES for arg in args):
        from mailcheck.cli import help_renderer

        help_renderer.load()  # else typer imports its renderer itself, whole, if it draws help
    command = typer.main.get_command(app)
    placeholders_as_words(command, HELP_OPTION_NAMES)
    coerce_plainly(command, HELP_OPTION_NAMES)
    completion.enable_if_asked()
    try:
        code = command.main(args=argv, prog_name="mailcheck", standalone_mode=False)
        sys.stdout.flush()  # a write error shows here, not as noise when Python exits
    except typer.Exit as exc:
        code = exc.exit_code
    except NoArgsIsHelpError as exc:  # bare ``mailcheck``: the help is the answer
        print(exc.ctx.get_help())
        code = ExitCode.OK
    except typer.TyperException as exc:  # typer's usage errors: unknown option, bad value
        from mailcheck.cli.usage import usage_message

        _error(usage_message(exc))
        code = ExitCode.USAGE
    except typer.Abort:
        code = ExitCode.INTERRUPTED
    except BadInput as exc:
        _error(str(exc))
        code = ExitCode.USAGE
    except KeyboardInterrupt:
        code = ExitCode.INTERRUPTED
    except BrokenPipeError:
        from mailcheck.cli.output import silence_stdout

        # The reader went away (explain --list | head) before any report was judged.
        silence_stdout()
        code = ExitCode.OK
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        if exc.errno in _WRITE_ERRORS:  # writing stdout failed: > /dev/full, a full disk
            from mailcheck.cli.output import silence_stdout

            silence_stdout()
            _error(f"cannot write the output: {reason}")
        else:
            _error(f"{exc.filename}: {reason}" if exc.filename else reason)
        code = ExitCode.USAGE
    return int(code or 0)


def _error(message: str) -> None:
    from mailcheck.render.safe import printable

    first_line = printable(" ".join(message.split()))
    with contextlib.suppress(OSError):  # stderr is gone too: the exit code has to say it
        print(f"mailcheck: error: {first_line}", file=sys.stderr)
