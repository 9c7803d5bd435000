"""The team's configuration: which domains must stay healthy, and what "healthy" means.

Read from ``mailcheck.toml``, or from ``[tool.mailcheck]`` in ``pyproject.toml``.
Paths in it are relative to the file. Every key is checked: an unknown key or a value
of the wrong type is bad input naming the key and its line, because a typo in a CI
config must not silently turn a check off.

tomllib gives no positions, so ``locate`` finds a key's line in the raw text itself
(see there); the parsed values always come from tomllib.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mailcheck import values
from mailcheck.errors import BadInput
from mailcheck.model import Status

CONFIG_NAME = "mailcheck.toml"
PYPROJECT = "pyproject.toml"
CHECK_ID = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")
# A config is a few dozen lines written by hand; past these it is not a config at all,
# and reading it whole (or letting tomllib recurse through it) only costs time and stack.
MAX_CONFIG_BYTES = 1024 * 1024
# The deepest real value, domains.NAME.expect.ID.FIELD.OP = [values], is 7 levels down
# counting the top table.
MAX_NESTING = 16
# How a details field is compared with the expected value.
OPERATORS = ("equals", "not", "max", "min", "in", "contains", "matches")

Path_ = tuple[str | int, ...]


class ConfigError(BadInput):
    """A config problem: ``file:line: key: what is wrong``."""


@dataclass(frozen=True)
class FieldRule:
    """``details[field] <op> value``, e.g. lookups max 8."""

    field: str
    op: str
    value: Any

    def describe(self) -> str:
        symbol = {"equals": "=", "not": "!=", "max": "<=", "min": ">=", "in": "in", "contains": "contains", "matches": "matches"}[
            self.op
        ]
        return f"{self.field} {symbol} {self.value!r}" if isinstance(self.value, str) else f"{self.field} {symbol} {self.value}"


@dataclass(frozen=True)
class Expectation:
    """What the team requires of every check with ``check_id`` (and ``subject``)."""

    check_id: str
    statuses: tuple[Status, ...] = ()
    subject: str | None = None
    fields: tuple[FieldRule, ...] = ()
    line: int = 0

    def describe(self) -> str:
        parts = []
        if self.statuses:
            parts.append("status " + " or ".join(s.value for s in self.statuses))
        parts.extend(rule.describe() for rule in self.fields)
        return ", ".join(parts)


@dataclass(frozen=True)
class DomainConfig:
    name: str
    dkim_selectors: tuple[str, ...] = ()
    sending_ips: tuple[str, ...] = ()
    probe: tuple[str, ...] = ()
    expect: tuple[Expectation, ...] = ()
    # check id -> why its warnings are acceptable
    accept_warnings: tuple[tuple[str, str], ...] = ()
    zones: tuple[str, ...] = ()
    nameservers: tuple[str, ...] = ()
    smtp: bool | None = None
    smtp_port: int | None = None
    line: int = 0


@dataclass(frozen=True)
class Config:
    path: Path
    domains: tuple[DomainConfig, ...]
    zones: tuple[str, ...] = ()
    nameservers: tuple[str, ...] = ()
    offline: bool = False
    timeout: float | None = None
    smtp: bool = True
    smtp_port: int = 25

    def zones_for(self, domain: DomainConfig) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.zones + domain.zones))

    def nameservers_for(self, domain: DomainConfig) -> tuple[str, ...]:
        return domain.nameservers or self.nameservers


# -- finding and reading the file -----------------------------------------------------


def find_config(explicit: str | None, cwd: Path | None = None) -> Path:
    """``--config FILE``, else ./mailcheck.toml, else ./pyproject.toml with [tool.mailcheck]."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise BadInput(f"--config {explicit}: no such file")
        return path
    here = cwd or Path.cwd()
    if (here / CONFIG_NAME).is_file():
        return here / CONFIG_NAME
    pyproject = here / PYPROJECT
    if pyproject.is_file() and "tool" in (data := _parse(pyproject, _read(pyproject))) and "mailcheck" in data["tool"]:
        return pyproject
    raise BadInput(f"no {CONFIG_NAME} here and no [tool.mailcheck] in {PYPROJECT}; pass --config FILE")


def load_config(path: Path) -> Config:
    text = _read(path)
    data = _parse(path, text)
    prefix: Path_ = ()
    if path.name == PYPROJECT:
        tool = data.get("tool", {})
        if not isinstance(tool, dict) or "mailcheck" not in tool:
            raise BadInput(f"{path}: no [tool.mailcheck] table")
        data, prefix = tool["mailcheck"], ("tool", "mailcheck")
    return _Reader(path, text, prefix).config(data)


def _read(path: Path) -> str:
    """The file's text, refusing one too big to be a config before reading it all."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_CONFIG_BYTES + 1)
        if len(data) > MAX_CONFIG_BYTES:
            size = path.stat().st_size
            raise BadInput(f"{path}: {size:,} bytes is too big for a config (at most {MAX_CONFIG_BYTES:,})")
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path}: {getattr(exc, 'strerror', None) or exc}") from None


def _parse(path: Path, text: str) -> dict[str, Any]:
    too_deep = f"{path}: arrays or tables nested more than {MAX_NESTING} levels deep"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already ends with "(at line N, column M)".
        raise BadInput(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        # tomllib recurses once per nested array or inline table and has no limit of its own.
        raise BadInput(too_deep) from None
    if _nesting(data) > MAX_NESTING:
        raise BadInput(too_deep)
    return data


def _nesting(value: Any) -> int:
    """How deeply arrays and tables nest in ``value``, without recursing."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > MAX_NESTING:
            break
        pending.extend((child, depth + 1) for child in children)
    return deepest


# -- validation -----------------------------------------------------------------------


class _Reader:
    """Checks each key and type, and builds the typed config; errors name the line."""

    def __init__(self, path: Path, text: str, prefix: Path_) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.prefix = prefix
        self.base = path.resolve().parent

    def fail(self, where: Path_, message: str) -> ConfigError:
        line = locate(self.lines, self.prefix + where)
        key = _dotted(where) or "(top level)"
        return ConfigError(f"{self.path}:{line}: {key}: {message}")

    def config(self, data: Mapping[str, Any]) -> Config:
        top = {"zones", "nameservers", "offline", "timeout", "smtp", "smtp_port", "domains"}
        self.known_keys((), data, top)
        domains_table = self.table(("domains",), data.get("domains", {}))
        if not domains_table:
            raise self.fail((), 'no [domains."NAME"] table: the config checks nothing')
        timeout = data.get("timeout")
        if timeout is not None:
            timeout = self.number(("timeout",), timeout)
        return Config(
            path=self.path,
            domains=tuple(self.domain(name, value) for name, value in domains_table.items()),
            zones=self.paths(("zones",), data.get("zones", [])),
            nameservers=self.strings(("nameservers",), data.get("nameservers", [])),
            offline=self.boolean(("offline",), data.get("offline", False)),
            timeout=timeout,
            smtp=self.boolean(("smtp",), data.get("smtp", True)),
            smtp_port=self.port(("smtp_port",), data.get("smtp_port", 25)),
        )

    def domain(self, name: str, data: Any) -> DomainConfig:
        from mailcheck.names import parse_domain

        where: Path_ = ("domains", name)
        table = self.table(where, data)
        try:
            parse_domain(name)
        except BadInput as exc:
            raise self.fail(where, str(exc)) from None
        keys = {
            "dkim_selectors",
            "sending_ips",
            "probe",
            "expect",
            "accept_warnings",
            "zones",
            "nameservers",
            "smtp",
            "smtp_port",
        }
        self.known_keys(where, table, keys)
        smtp = table.get("smtp")
        port = table.get("smtp_port")
        return DomainConfig(
            name=name,
            dkim_selectors=self.selectors(where + ("dkim_selectors",), table.get("dkim_selectors", [])),
            sending_ips=self.addresses(where + ("sending_ips",), table.get("sending_ips", [])),
            probe=self.strings(where + ("probe",), table.get("probe", [])),
            expect=self.expectations(where + ("expect",), table.get("expect", {})),
            accept_warnings=self.accepted(where + ("accept_warnings",), table.get("accept_warnings", [])),
            zones=self.paths(where + ("zones",), table.get("zones", [])),
            nameservers=self.strings(where + ("nameservers",), table.get("nameservers", [])),
            smtp=None if smtp is None else self.boolean(where + ("smtp",), smtp),
            smtp_port=None if port is None else self.port(where + ("smtp_port",), port),
            line=locate(self.lines, self.prefix + where),
        )

    def expectations(self, where: Path_, data: Any) -> tuple[Expectation, ...]:
        table = self.table(where, data)
        return tuple(self.expectation(where + (check_id,), check_id, value) for check_id, value in table.items())

    def expectation(self, where: Path_, check_id: str, value: Any) -> Expectation:
        self.check_id(where, check_id)
        line = locate(self.lines, self.prefix + where)
        if isinstance(value, (str, list)):
            return Expectation(check_id, self.statuses(where, value), line=line)
        table = self.table(where, value, "a status, a list of statuses, or a table")
        statuses = self.statuses(where + ("status",), table["status"]) if "status" in table else ()
        subject = table.get("subject")
        if subject is not None and not isinstance(subject, str):
            raise self.fail(where + ("subject",), f"must be a string, not {_kind(subject)}")
        rules = []
        for field, condition in table.items():
            if field in ("status", "subject"):
                continue
            rules.extend(self.field_rules(where + (field,), field, condition))
        if not statuses and not rules:
            raise self.fail(where, "expects nothing: give a status or a details field")
        return Expectation(check_id, statuses, subject, tuple(rules), line)

    def field_rules(self, where: Path_, field: str, condition: Any) -> list[FieldRule]:
        if not isinstance(condition, dict):
            return [FieldRule(field, "equals", condition)]
        if not condition:
            raise self.fail(where, f"an empty table compares nothing; use one of {', '.join(OPERATORS)}")
        rules = []
        for op, value in condition.items():
            if op not in OPERATORS:
                raise self.fail(where + (op,), f"unknown comparison; use one of {', '.join(OPERATORS)}")
            if op in ("max", "min") and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise self.fail(where + (op,), f"must be a number, not {_kind(value)}")
            if op == "in" and not isinstance(value, list):
                raise self.fail(where + (op,), f"must be a list, not {_kind(value)}")
            if op == "matches":
                if not isinstance(value, str):
                    raise self.fail(where + (op,), f"must be a regular expression string, not {_kind(value)}")
                try:
                    re.compile(value)
                except re.error as exc:
                    raise self.fail(where + (op,), f"not a regular expression: {exc}") from None
            rules.append(FieldRule(field, op, value))
        return rules

    def accepted(self, where: Path_, data: Any) -> tuple[tuple[str, str], ...]:
        """A list of check ids, or a table of check id -> the reason (shown in reports)."""
        if isinstance(data, list):
            ids = self.strings(where, data)
            for index, check_id in enumerate(ids):
                self.check_id(where + (index,), check_id)
            return tuple((check_id, f"accepted in {self.path.name}") for check_id in ids)
        table = self.table(where, data, "a list of check ids or a table of check id = reason")
        out = []
        for check_id, reason in table.items():
            self.check_id(where + (check_id,), check_id)
            if not isinstance(reason, str) or not reason.strip():
                raise self.fail(where + (check_id,), f"the reason must be a non-empty string, not {_kind(reason)}")
            out.append((check_id, reason.strip()))
        return tuple(out)

    # -- small typed readers ------------------------------------------------------------

    def known_keys(self, where: Path_, table: Mapping[str, Any], known: set[str]) -> None:
        for key in table:
            if key not in known:
                hint = values.did_you_mean(key, known)
                raise self.fail(where + (key,), f"unknown key (known here: {', '.join(sorted(known))}){hint}")

    def table(self, where: Path_, value: Any, kind: str = "a table") -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"must be {kind}, not {_kind(value)}")
        return value

    def strings(self, where: Path_, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(where, f"must be a list of strings, not {_kind(value)}")
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise self.fail(where + (index,), f"item {index + 1} must be a non-empty string, not {_kind(item)}")
        return tuple(item.strip() for item in value)

    def paths(self, where: Path_, value: Any) -> tuple[str, ...]:
        out = []
        for index, text in enumerate(self.strings(where, value)):
            path = (self.base / text).resolve()
            if not path.exists():
                raise self.fail(where + (index,), f"{text}: no such file or folder (relative to {self.path.name})")
            out.append(str(path))
        return tuple(out)

    def addresses(self, where: Path_, value: Any) -> tuple[str, ...]:
        out = []
        for index, text in enumerate(self.strings(where, value)):
            try:
                out.append(values.ip_address(text))
            except values.BadValue as exc:
                raise self.fail(where + (index,), str(exc)) from None
        return tuple(out)

    def selectors(self, where: Path_, value: Any) -> tuple[str, ...]:
        out = []
        for index, text in enumerate(self.strings(where, value)):
            try:
                out.append(values.dns_selector(text))
            except values.BadValue as exc:
                raise self.fail(where + (index,), str(exc)) from None
        return tuple(dict.fromkeys(out))

    def statuses(self, where: Path_, value: Any) -> tuple[Status, ...]:
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not names:
            raise self.fail(where, f"must be a status or a list of statuses, not {_kind(value)}")
        out = []
        for item in names:
            try:
                out.append(Status(item))
            except ValueError:
                choices = ", ".join(s.value for s in Status)
                raise self.fail(where, f"{item!r} is not a status ({choices})") from None
        return tuple(out)

    def check_id(self, where: Path_, check_id: str) -> None:
        from mailcheck.catalogue import find, suggestions

        if not CHECK_ID.match(check_id):
            raise self.fail(where, f"{check_id!r} is not a check id (dotted, like dmarc.policy)")
        if find(check_id) is None:
            close = suggestions(check_id)
            hint = f"; did you mean {close[0]}?" if close else " (mailcheck explain --list shows every id)"
            raise self.fail(where, f"no check is called {check_id!r}{hint}")

    def boolean(self, where: Path_, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, f"must be true or false, not {_kind(value)}")
        return value

    def number(self, where: Path_, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (value > 0 and math.isfinite(value)):
            raise self.fail(where, f"must be a positive number, not {_kind(value)}")
        return float(value)

    def port(self, where: Path_, value: Any) -> int:
        try:
            if isinstance(value, bool) or not isinstance(value, int):
                raise values.BadValue("not an integer")
            return values.tcp_port(value)
        except values.BadValue:
            # Told in TOML's words: the value's type as well as the value.
            raise self.fail(where, f"must be a TCP port from 1 to 65535, not {_kind(value)}") from None


def _kind(value: Any) -> str:
    """The TOML name of a value's type, with the value when it is short."""
    names = {bool: "a boolean", int: "an integer", float: "a float", str: "a string", list: "an array", dict: "a table"}
    kind = next((name for type_, name in names.items() if type(value) is type_), type(value).__name__)
    if isinstance(value, (bool, int, float)) or (isinstance(value, str) and len(value) <= 40):
        return f"{kind} ({_toml(value)})"
    return kind


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"' if isinstance(value, str) else str(value)


def _dotted(path: Path_) -> str:
    parts: list[str] = []
    for part in path:
        if isinstance(part, int):
            parts[-1] = f"{parts[-1]}[{part}]" if parts else f"[{part}]"
        elif re.fullmatch(r"[A-Za-z0-9_-]+", part):
            parts.append(part)
        else:
            parts.append(f'"{part}"')
    return ".".join(parts)


# -- where is a key? ------------------------------------------------------------------
#
# tomllib returns plain dicts without positions, and no well-kept library in the
# project's dependencies keeps them (tomlkit does, but only for its own document model,
# and adding it for error messages is not worth it). The config is small and written by
# hand, so a line scan that understands table headers, dotted keys and keys inside
# one-line inline tables finds what a person would point at.

_PART = r'[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|\'[^\']*\''
_DOTTED = rf"(?:{_PART})(?:\s*\.\s*(?:{_PART}))*"
_HEADER = re.compile(rf"^\s*\[\[?\s*({_DOTTED})\s*\]\]?\s*(?:#.*)?$")
_ASSIGN = re.compile(rf"^\s*({_DOTTED})\s*=")


def locate(lines: Sequence[str], path: Path_) -> int:
    """The 1-based line that defines ``path`` (keys, with list indexes as ints), or the
    closest enclosing definition; 1 when nothing matches."""
    keys = tuple(part for part in path if isinstance(part, str))
    best_line, best = 1, 0
    current: tuple[str, ...] = ()
    for number, line in enumerate(lines, start=1):
        header = _HEADER.match(line)
        if header:
            current = _split(header.group(1))
            defined = current
        else:
            assign = _ASSIGN.match(line)
            if not assign:
                continue
            defined = current + _split(assign.group(1))
        shared = _shared(defined, keys)
        covered = shared
        rest = keys[shared:]
        if shared < min(len(defined), len(keys)):
            pass  # a sibling: at best the closest enclosing definition
        elif rest and not header and all(_mentions(line, key) for key in rest):
            covered = len(keys)  # inside a one-line inline table
        if covered == len(keys):
            return number
        if covered > best:
            best_line, best = number, covered
    return best_line


def _split(dotted: str) -> tuple[str, ...]:
    parts = re.findall(_PART, dotted)
    return tuple(part[1:-1] if part[0] in "\"'" else part for part in parts)


def _shared(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count


def _mentions(line: str, key: str) -> bool:
    quoted = re.escape(key)
    return re.search(rf"(?:^|[\s{{,.])(?:\"{quoted}\"|'{quoted}'|{quoted})\s*=", line) is not None
