"""typer's help renderer, without the two parts of it mailcheck never uses.

typer.rich_utils, which draws every help page, imports rich.markdown (for help written
in Markdown: markdown-it, pygments) and rich.traceback (for pretty tracebacks:
rich.pretty, which loads attrs when it is installed) at its top. They are about half
the CPU of ``mailcheck --help``, and neither runs: mailcheck's help is rich markup and
its tracebacks are not pretty (``pretty_exceptions_enable=False``).

``load()`` imports typer.rich_utils with a stand-in for each of the two names it takes
from them, which imports the real module the first time it is used. The stand-ins
sit in ``sys.modules`` only while typer.rich_utils imports: any other import of
rich.markdown or rich.traceback, before or after, gets rich's own module.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

# What typer.rich_utils takes from each module.
_DEFERRED = {"rich.markdown": "Markdown", "rich.traceback": "Traceback"}


class _Deferred(type):
    """The class of a stand-in: using the stand-in (calling it, reading one of its
    attributes, ``isinstance``) uses the real class, imported then."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls.real()(*args, **kwargs)

    def __getattr__(cls, attribute: str) -> Any:
        return getattr(cls.real(), attribute)

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, cls.real())

    def real(cls) -> type:
        return getattr(importlib.import_module(cls.__module__), cls.__name__)


def load() -> None:
    """Import typer.rich_utils (once) without rich.markdown and rich.traceback."""
    if "typer.rich_utils" in sys.modules:
        return
    stand_ins = {}
    for module, name in _DEFERRED.items():
        if module not in sys.modules:
            stand_in = types.ModuleType(module)
            setattr(stand_in, name, _Deferred(name, (), {"__module__": module}))
            stand_ins[module] = sys.modules[module] = stand_in
    try:
        importlib.import_module("typer.rich_utils")
    finally:
        for module, stand_in in stand_ins.items():
            if sys.modules.get(module) is stand_in:
                del sys.modules[module]
