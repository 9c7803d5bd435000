"""Shell completion for bash, zsh and fish, through typer's completion scripts.

Typer's own ``--show-completion`` is a flag that guesses the shell from the parent
process (and answers "not supported" when it cannot tell, as in CI); these options
take the shell by name, so ``mailcheck --show-completion zsh`` works anywhere.
"""

from __future__ import annotations

import enum
import os

import typer

PROG = "mailcheck"
# The variable the shell's completion function sets when it asks for completions.
COMPLETE_VAR = "_MAILCHECK_COMPLETE"


class Shell(enum.StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


def enable_if_asked() -> None:
    """Register the shells' completion classes when the shell is asking for completions."""
    if COMPLETE_VAR in os.environ:
        from typer._completion_classes import completion_init

        completion_init()


def show_completion(shell: Shell | None) -> None:
    if shell is None:
        return
    from typer._completion_shared import get_completion_script

    print(get_completion_script(prog_name=PROG, complete_var=COMPLETE_VAR, shell=shell.value))
    raise typer.Exit(0)


def install_completion(shell: Shell | None) -> None:
    if shell is None:
        return
    from typer._completion_shared import install

    _shell, path = install(shell=shell.value, prog_name=PROG, complete_var=COMPLETE_VAR)
    print(f"{shell.value} completion installed in {path}; it takes effect in a new shell")
    raise typer.Exit(0)
