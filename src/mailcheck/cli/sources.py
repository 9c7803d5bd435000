"""The input options of the commands that read documents (message, bounce, report)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer

from mailcheck.errors import BadInput
from mailcheck.sources import DEFAULT_MAX_SIZE, SourceSpec

INPUT = "Input"

Mbox = Annotated[
    list[str] | None,
    typer.Option(
        "--mbox", metavar="FILE", help="Read every message of this mbox (repeatable).", rich_help_panel=INPUT, show_default=False
    ),
]
Maildir = Annotated[
    list[str] | None,
    typer.Option(
        "--maildir",
        metavar="DIR",
        help="Read every message of this Maildir (repeatable).",
        rich_help_panel=INPUT,
        show_default=False,
    ),
]
MaxSize = Annotated[
    str,
    typer.Option(
        "--max-size",
        metavar="SIZE",
        help="Read at most this much of one document (e.g. 50M, 500K, 1G); the rest is left out and said so.",
        rich_help_panel=INPUT,
    ),
]

_UNITS = {"": 1, "B": 1, "K": 1024, "M": 1024**2, "G": 1024**3}


def source_spec(
    files: Sequence[str] | None, mbox: Sequence[str] | None, maildir: Sequence[str] | None, max_size: str
) -> SourceSpec:
    return SourceSpec(tuple(files or ()), tuple(mbox or ()), tuple(maildir or ()), parse_size(max_size))


def parse_size(text: str) -> int:
    raw = text.strip().upper().removesuffix("IB").removesuffix("B")
    unit = raw[-1:] if raw[-1:] in _UNITS else ""
    number = raw[: len(raw) - len(unit)]
    try:
        value = float(number)
    except ValueError:
        raise BadInput(f"--max-size {text!r}: expected a size such as 50M, 500K or 1G") from None
    size = int(value * _UNITS[unit])
    if size < 1024:
        raise BadInput(f"--max-size {text!r}: at least 1K")
    return size


DEFAULT_MAX_SIZE_TEXT = f"{DEFAULT_MAX_SIZE // 1024**2}M"
