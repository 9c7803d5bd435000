"""The check catalogue: one declaration per check id the code can emit.

``mailcheck explain``, ``explain --list``, docs/checks.md and the SARIF rules all read
these declarations. Only a ``CheckSpec`` builds a ``Check`` (a wildcard family such as
``*.lookup`` through ``member``), so every id a report holds is a spec's, and
tests/test_catalogue.py fails when code builds one otherwise or a spec is never emitted.
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
from collections.abc import Mapping
from types import ModuleType

from mailcheck.catalogue.spec import CheckSpec, Example, ref_url

__all__ = ["CheckSpec", "Example", "catalogue", "find", "ref_url", "suggestions"]

# Every module that declares checks, in the order explain --list prints them: the order
# a domain report reads, then the other commands'. A module declares its checks beside
# the code that emits them, as module-level CheckSpecs (in the order they are defined);
# the catalogue/ modules that still hold a SPECS tuple move there as they are reshaped.
SPEC_MODULES: tuple[str, ...] = (
    "mailcheck.checks.existence",
    "mailcheck.checks.dnssec",
    "mailcheck.checks.mx",
    "mailcheck.checks.parked",
    "mailcheck.catalogue.mx",
    "mailcheck.checks.spf_records",
    "mailcheck.checks.spf_limits",
    "mailcheck.checks.spf_all",
    "mailcheck.checks.spf_includes",
    "mailcheck.checks.spf_evaluation",
    "mailcheck.checks.dkim",
    "mailcheck.checks.dmarc",
    "mailcheck.checks.starttls",
    "mailcheck.smtp.helo",
    "mailcheck.smtp.findings",
    "mailcheck.checks.mta_sts",
    "mailcheck.checks.tlsrpt",
    "mailcheck.checks.dane",
    "mailcheck.checks.bimi",
    "mailcheck.checks.reputation",
    "mailcheck.blocklists.lookup",
    "mailcheck.blocklists.selftest",
    "mailcheck.links.report",
    "mailcheck.run",
    "mailcheck.expectations",
    "mailcheck.area_errors",
    "mailcheck.reports.reading",
    "mailcheck.reports.judge",
    "mailcheck.reports.summary",
    "mailcheck.bounce.checks",
    "mailcheck.bounce.summary",
    "mailcheck.message.report",
    "mailcheck.message.rfc5322",
    "mailcheck.message.dkim",
    "mailcheck.message.arc",
    "mailcheck.message.spf",
    "mailcheck.message.dmarc",
    "mailcheck.message.auth_results",
    "mailcheck.message.transport",
    "mailcheck.message.listunsub",
    "mailcheck.message.domain_brief",
    "mailcheck.catalogue.compliance",
)


@functools.cache
def catalogue() -> Mapping[str, CheckSpec]:
    import importlib

    specs: dict[str, CheckSpec] = {}
    for name in SPEC_MODULES:
        module = importlib.import_module(name)
        for spec in getattr(module, "SPECS", None) or declared_specs(module):
            if specs.get(spec.id) is spec:
                continue  # imported by a second module that emits it too
            if spec.id in specs:
                raise RuntimeError(f"check id {spec.id} is declared twice")
            specs[spec.id] = spec
    return specs


def declared_specs(module: ModuleType) -> list[CheckSpec]:
    """The CheckSpecs a module declares at its top level, in definition order."""
    return [value for value in vars(module).values() if isinstance(value, CheckSpec)]


def find(check_id: str) -> CheckSpec | None:
    """The declaration for an id; spf.lookup falls back to the generic *.lookup."""
    specs = catalogue()
    if check_id in specs:
        return specs[check_id]
    for pattern, spec in specs.items():
        if "*" in pattern and fnmatch.fnmatchcase(check_id, pattern):
            return spec
    return None


def suggestions(check_id: str) -> list[str]:
    return difflib.get_close_matches(check_id, list(catalogue()), n=3, cutoff=0.6)
