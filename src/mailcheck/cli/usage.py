"""Usage errors in our own words: one line, the flag and the value given, and a
"did you mean" where the valid words are a known list.

Typer words a bad value in its validation library's terms ("Value error, 'xml' is not
one of …", "Input should be a valid integer, unable to parse string as an integer");
it keeps what was given on the error's cause, and the valid words on the parameter.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

from typer._click.exceptions import BadParameter, NoSuchOption
from typer.exceptions import TyperException

from mailcheck.values import did_you_mean

# What a number-typed option takes, in words.
_KINDS: dict[Any, str] = {int: "a whole number", float: "a number"}


def usage_message(exc: TyperException) -> str:
    if isinstance(exc, BadParameter) and exc.param is not None:
        worded = _bad_value(exc)
        if worded is not None:
            return worded
    if isinstance(exc, NoSuchOption):
        return exc.message + did_you_mean(exc.option_name, exc.possibilities or ())
    return exc.format_message()


def one_of(words: Sequence[str]) -> str:
    """'a, b or c'."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _bad_value(exc: BadParameter) -> str | None:
    param = exc.param
    assert param is not None
    given = _given(exc)
    if given is None:
        return None
    flag = max(param.opts, key=len) if param.opts else param.name or "value"
    descriptor = param.type_descriptor
    if descriptor.is_choice and descriptor.choices:
        words = [c.value if isinstance(c, enum.Enum) else str(c) for c in descriptor.choices]
        return f"{flag} {given!r} is not one of {one_of(words)}{did_you_mean(str(given).lower(), words)}"
    kind = _KINDS.get(descriptor.annotation)
    if kind is not None:
        return f"{flag} must be {kind}, not {given!r}"
    return None


def _given(exc: BadParameter) -> object | None:
    """The value the user gave, as the validation error kept it."""
    errors = getattr(exc.__cause__, "errors", None)
    if errors is not None:
        found = errors()
        if found and "input" in found[0]:
            return found[0]["input"]
    return None
