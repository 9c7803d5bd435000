"""Import checkdmarc's parsers at the cost of what runs.

mailcheck uses a few of checkdmarc's parsers (DMARC, TLS-RPT, MTA-STS, BIMI's SVG
rules). Importing any of them the plain way costs a good part of a report's CPU:

- ``checkdmarc/__init__.py`` imports every module of the package, and with them
  requests, cryptography's X.509 and the BIMI code, whatever is asked for;
- ``checkdmarc.utils`` parses its own copy of the Public Suffix List at import, a
  second parse next to the one mailcheck keeps (mailcheck.suffixes), and imports
  httpx (and through it click, urllib.request, http.client) for fetches mailcheck
  does not ask it to make.

``prepare()`` (call it before ``import checkdmarc.X``) puts lazy stand-ins for the
checkdmarc package and for httpx in ``sys.modules``: submodules import as usual, and
only the first use of a package-level name (``checkdmarc.check_domains``,
``httpx.AsyncClient``) runs the real ``__init__``, once, into the same module, so
every user of the package still sees all of it. And while checkdmarc.utils first imports, its
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
# checkdmarc's package, and httpx, which checkdmarc.utils imports at the top for
# fetches mailcheck makes itself (mailcheck.transport.https imports it when it runs).
# checkdmarc.utils reads httpx.HTTPError at import: that one name comes from its own
# small module (the same class httpx's __init__ exports), so httpx need not load.
_LAZY: dict[str, dict[str, str]] = {"checkdmarc": {}, "httpx": {"HTTPError": "httpx._exceptions"}}


def prepare() -> None:
    """Make the next ``import checkdmarc.X`` cheap (idempotent, thread-safe)."""
    if "checkdmarc.utils" in sys.modules:
        return
    with _lock:
        if "checkdmarc.utils" in sys.modules:
            return
        import mailcheck.dns  # noqa: F401  (dnspython without DoH: see there)

        for name, early in _LAZY.items():
            if name not in sys.modules:
                sys.modules[name] = _lazy_package(name, early)
        _import_utils_with_our_suffix_list()


# Re-entrant: a lazy package's own __init__ may look up one of its names while it runs.
_loading = threading.RLock()


def _lazy_package(name: str, early: dict[str, str]) -> ModuleType:
    """``name`` as a module whose ``__init__`` runs at the first use of one of its
    names (PEP 562's module ``__getattr__``); its submodules import as usual. The
    names in ``early`` are there at once, from the submodules that define them."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    package = importlib.util.module_from_spec(spec)
    loader = spec.loader
    state = {"started": False}

    def __getattr__(attribute: str) -> Any:  # noqa: N807  (PEP 562: a module's __getattr__)
        # Other threads wait here until the __init__ has run; the thread running it
        # (a lookup from inside the __init__) goes on and finds what is defined so far.
        with _loading:
            if not state["started"]:
                state["started"] = True
                loader.exec_module(package)
                package.__dict__.pop("__getattr__", None)
        try:
            return package.__dict__[attribute]
        except KeyError:
            raise AttributeError(f"module {name!r} has no attribute {attribute!r}") from None

    package.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[name] = package  # the submodules below import under this package
    for attribute, module in early.items():
        setattr(package, attribute, getattr(importlib.import_module(module), attribute))
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
