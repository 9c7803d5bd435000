"""Option values coerced without pydantic where the answer is certain.

typer coerces every value it parses (and every default other than ``None``) through a
pydantic ``TypeAdapter`` built on first use. Importing pydantic and building the
adapters costs tens of milliseconds of CPU a run, for values that need no work: a
``str`` that is a string already, a default that is already a ``float``, a choice that
typer's own ``coerce_cli_choice`` resolves. ``coerce_plainly`` gives those their value
at once and hands everything else (a number written on the command line, a value that
does not fit, whose error message pydantic words) to the coercion typer would have
built, unchanged. It sets the per-parameter ``RuntimeParam`` of typer's internals
(typer 0.29: ``_runtime_param``, which typer builds lazily); tests/test_startup.py
checks its values against typer's own coercion for every parameter of every command.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from typing import Any, get_args, get_origin

from typer._click.core import Command, Context
from typer._coercion import RuntimeParam, build_runtime_param
from typer._param_types import coerce_cli_choice
from typer.core import TyperGroup
from typer.models import ParameterInfo

# No certain answer: typer's own coercion decides (and words any error).
_UNSURE: Any = object()
_DIGITS = re.compile(r"[0-9]{1,18}")
_DECIMAL = re.compile(r"[0-9]{1,15}(?:\.[0-9]{1,15})?")


def coerce_plainly(command: Command, help_option_names: list[str]) -> None:
    """Install the plain coercion on every parameter of ``command`` and its subcommands,
    the help option typer makes for each included."""
    help_option = command.get_help_option(Context(command, help_option_names=help_option_names))
    for param in [*command.params, *([help_option] if help_option is not None else [])]:
        descriptor = getattr(param, "type_descriptor", None)
        # Only where typer would build its adapter lazily (None) and not for files.
        if getattr(param, "_runtime_param", _UNSURE) is None and descriptor is not None and descriptor.file_annotation is None:
            param._runtime_param = _PlainRuntimeParam(  # type: ignore[attr-defined]
                parameter_info=descriptor.parameter_info, annotation=descriptor.annotation
            )
    if isinstance(command, TyperGroup):
        for sub in command.commands.values():
            coerce_plainly(sub, help_option_names)


@dataclasses.dataclass(frozen=True)
class _PlainRuntimeParam(RuntimeParam):
    def _coerce_value(self, value: Any, param: Any, ctx: Context) -> Any:
        result = plain_value(self.annotation, self.parameter_info, value, ctx)
        if result is not _UNSURE:
            return result
        return build_runtime_param(param.type_descriptor)._coerce_value(value, param=param, ctx=ctx)


def plain_value(annotation: Any, parameter_info: ParameterInfo, value: Any, ctx: Context | None) -> Any:
    """What typer's pydantic adapter returns for ``value``, or ``_UNSURE``."""
    if parameter_info.parser is not None or parameter_info.min is not None or parameter_info.max is not None:
        return _UNSURE
    if get_origin(annotation) is list:
        (item_type,) = get_args(annotation)
        items = value if isinstance(value, list | tuple) else [value]
        results = [plain_value(item_type, parameter_info, item, ctx) for item in items]
        return _UNSURE if any(result is _UNSURE for result in results) else results
    if annotation in (str, bool, int, float):
        # A value of the annotated type already (a string from the command line for a
        # str, a default): pydantic returns it as it is.
        if type(value) is annotation:
            return value
        # A number written plainly ("30", "2.5"): pydantic reads it as int() and
        # float() do; anything else (a sign, spaces, "1e3", "nan") is left to it.
        if type(value) is str and annotation is int and _DIGITS.fullmatch(value):
            return int(value)
        if type(value) is str and annotation is float and _DECIMAL.fullmatch(value):
            return float(value)
        return _UNSURE
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        try:
            return coerce_cli_choice(value, choices=list(annotation), case_sensitive=parameter_info.case_sensitive, ctx=ctx)
        except ValueError:  # not one of the choices: typer's adapter words the message
            return _UNSURE
    return _UNSURE


def is_unsure(result: Any) -> bool:
    return result is _UNSURE
