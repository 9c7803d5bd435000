"""Help placeholders in words: ``SECONDS``, ``HOST[:PORT]``, ``text|json|…``, and nothing
after a flag that takes no value.

Typer shows a parameter's Python type where no metavar is given (``--no-smtp <bool>``,
``DOMAIN... <list[str]>``, ``--format <text|json|…>``). Rather than repeat a metavar on
every declaration (and on the help option typer makes itself), the command tree is
given words once, before it parses or prints anything.
"""

from __future__ import annotations

import enum
from typing import Any

from typer._click.core import Command, Context
from typer.core import TyperArgument, TyperGroup, TyperOption

# A word for a typed value that has no metavar of its own.
_WORDS: dict[Any, str] = {int: "N", float: "NUMBER", str: "TEXT"}


def placeholders_as_words(command: Command, help_option_names: list[str]) -> None:
    """Give every parameter of ``command`` and its subcommands a placeholder in words."""
    context = Context(command, help_option_names=help_option_names)
    help_option = command.get_help_option(context)
    for param in [*command.params, *([help_option] if help_option is not None else [])]:
        if isinstance(param, TyperOption):
            _option(param)
        elif isinstance(param, TyperArgument):
            # The argument's name column already says it (DOMAIN...): no type after it.
            param.display_type_rich = _nothing  # type: ignore[method-assign]
    if isinstance(command, TyperGroup):
        for sub in command.commands.values():
            placeholders_as_words(sub, help_option_names)


def _option(option: TyperOption) -> None:
    if option.is_flag or option.count:
        option.metavar = ""
        return
    if option.metavar is not None:
        return
    descriptor = option.type_descriptor
    if descriptor.is_choice and descriptor.choices:
        words = "|".join(c.value if isinstance(c, enum.Enum) else str(c) for c in descriptor.choices)
        # A long list of words would wrap in the help's narrow type column.
        option.metavar = words if len(words) <= 20 else (option.name or "value").upper()
    else:
        option.metavar = _WORDS.get(descriptor.annotation, (option.name or "value").upper())


def _nothing(ctx: Context) -> str | None:
    return None
