"""Import checkdmarc's parsers at the cost of what runs.

mailcheck uses a few of checkdmarc's parsers (DMARC, TLS-RPT, MTA-STS, BIMI's SVG
rules). Importing any of them the plain way costs a good part of a report's CPU:

- ``checkdmarc/__init__.py`` imports every module of the package, and with them
  requests, cryptography's X.509 and the BIMI code, whatever is asked for;
- ``checkdmarc.utils`` parses its own copy of the Public Suffix List at import, a
  second parse next to the one mailcheck keeps (mailcheck.suffixes).

``prepare()`` (call it before ``import checkdmarc.X``) puts a lazy stand-in for the
package in ``sys.modules``: submodules import as usual, and only a package-level name
(``checkdmarc.check_domains``) runs the real ``__init__``, once, so other users of
the package still see all of it. And while checkdmarc.utils first imports, its
``PublicSuffixList()`` is mailcheck's parsed list. The list is the same data either
way (both come from the installed publicsuffixlist).
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from types import ModuleType
from typing import Any

_lock = threading.Lock()


def prepare() -> None:
    """Make the next ``import checkdmarc.X`` cheap (idempotent, thread-safe)."""
    if "checkdmarc.utils" in sys.modules:
        return
    with _lock:
        if "checkdmarc.utils" in sys.modules:
            return
        if "checkdmarc" not in sys.modules:
            sys.modules["checkdmarc"] = _lazy_package("checkdmarc")
        _import_utils_with_our_suffix_list()


def _lazy_package(name: str) -> ModuleType:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    package = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def __getattr__(attribute: str) -> Any:  # noqa: N807  (PEP 562: a module's __getattr__)
        # A name the package's __init__ defines: run it now, into this same module.
        with _lock:
            if package.__dict__.pop("__getattr__", None) is not None:
                loader.exec_module(package)
        try:
            return package.__dict__[attribute]
        except KeyError:
            raise AttributeError(f"module {name!r} has no attribute {attribute!r}") from None

    package.__getattr__ = __getattr__  # type: ignore[method-assign]
    return package


def _import_utils_with_our_suffix_list() -> None:
    import publicsuffixlist

    from mailcheck.suffixes import public_suffixes

    ours = public_suffixes()  # parsed before the swap: no one else can build a list meanwhile
    original = publicsuffixlist.PublicSuffixList
    publicsuffixlist.PublicSuffixList = lambda *args, **kwargs: ours  # type: ignore[assignment,misc]
    try:
        importlib.import_module("checkdmarc.utils")
    finally:
        publicsuffixlist.PublicSuffixList = original  # type: ignore[misc]
