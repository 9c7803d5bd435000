"""SPF records (RFC 7208 §4.5, §5, §6, §7, §12): parse a record's text into its terms.

Pure: no DNS. pyspf parses while it evaluates one IP and reports an error without
where it is; the checks need every term of a record, its DNS cost and the exact
position of a mistake, for records whose targets may not even resolve. So the grammar
of RFC 7208 §12 is followed here, macros (§7) included, and pyspf is kept for what it
does well: evaluating a record for an IP (check_host).
"""

from __future__ import annotations

import enum
import ipaddress
import re
from dataclasses import dataclass

VERSION = "v=spf1"
MECHANISMS = ("all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists")
# The terms that make a receiver query DNS, counted against the limit of 10 (§4.6.4).
LOOKUP_MECHANISMS = frozenset({"include", "a", "mx", "ptr", "exists"})
MAX_NAME_LENGTH = 253
MAX_LABEL_LENGTH = 63

_MODIFIER = re.compile(r"([A-Za-z][A-Za-z0-9._-]*)=(.*)", re.DOTALL)
_MECHANISM_NAME = re.compile(r"[^:/]*")
_MACRO_BODY = re.compile(r"([a-zA-Z])([0-9]*)([rR]?)([.\-+,/_=]*)")
# §7.2: c, r and t belong to explanation text only, never to a domain-spec.
_DOMAIN_MACRO_LETTERS = frozenset("slodiphv")
_TOPLABEL = re.compile(r"[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9]")
_HOST_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?")
_QNUM_QUAD = re.compile(r"(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}")
_IP6_CHARS = re.compile(r"[0-9A-Fa-f:.]+")
_CIDR = re.compile(r"0|[1-9][0-9]{0,2}")
_DUAL_CIDR = re.compile(r"(?:/(0|[1-9][0-9]?))?(?://(0|[1-9][0-9]{0,2}))?$")


class SpfSyntaxError(ValueError):
    """A record that receivers reject as permerror: what is wrong, in which term, where."""

    def __init__(self, reason: str, term: str, position: int, detail: str | None = None) -> None:
        message = f'{reason} "{term}" at position {position}'
        super().__init__(f"{message}: {detail}" if detail else message)
        self.reason = reason
        self.term = term
        self.position = position  # 0-based index of the term's first character
        self.detail = detail


class Qualifier(str, enum.Enum):
    PASS = "+"
    FAIL = "-"
    SOFTFAIL = "~"
    NEUTRAL = "?"

    @property
    def result(self) -> str:
        return {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}[self.value]


@dataclass(frozen=True)
class Mechanism:
    kind: str  # one of MECHANISMS, lower case
    qualifier: Qualifier
    text: str  # the term as written
    position: int
    domain_spec: str | None = None  # include, exists, and a/mx/ptr when given
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None  # ip4, ip6
    cidr4: int | None = None  # a, mx
    cidr6: int | None = None

    @property
    def causes_lookup(self) -> bool:
        return self.kind in LOOKUP_MECHANISMS


@dataclass(frozen=True)
class Modifier:
    name: str  # lower case
    value: str
    text: str
    position: int


@dataclass(frozen=True)
class SpfRecord:
    text: str
    mechanisms: tuple[Mechanism, ...]
    modifiers: tuple[Modifier, ...]

    @property
    def all(self) -> Mechanism | None:
        """The first ``all``: evaluation always stops there (§5.1)."""
        return next((m for m in self.mechanisms if m.kind == "all"), None)

    @property
    def evaluated(self) -> tuple[Mechanism, ...]:
        """The mechanisms a receiver can reach: those up to the first ``all``."""
        first_all = self.all
        if first_all is None:
            return self.mechanisms
        return self.mechanisms[: self.mechanisms.index(first_all) + 1]

    @property
    def unreachable(self) -> tuple[Mechanism, ...]:
        """Mechanisms after ``all``, which no receiver ever evaluates (§5.1)."""
        return self.mechanisms[len(self.evaluated) :]

    def modifier(self, name: str) -> Modifier | None:
        return next((m for m in self.modifiers if m.name == name), None)

    @property
    def redirect(self) -> str | None:
        found = self.modifier("redirect")
        return found.value if found else None

    @property
    def explanation(self) -> str | None:
        found = self.modifier("exp")
        return found.value if found else None

    @property
    def redirect_applies(self) -> bool:
        """redirect= is ignored when the record has an ``all`` (§6.1)."""
        return self.redirect is not None and self.all is None

    @property
    def lookup_terms(self) -> tuple[str, ...]:
        """The terms a receiver pays a DNS lookup for (§4.6.4); exp= is not one."""
        terms = [m.text for m in self.evaluated if m.causes_lookup]
        redirect = self.modifier("redirect")
        if redirect is not None and self.redirect_applies:
            terms.append(redirect.text)
        return tuple(terms)

    @property
    def misspelt_modifiers(self) -> tuple[Modifier, ...]:
        """Unknown modifiers named like a mechanism (``include=x``): valid, ignored, and
        almost always meant as the mechanism."""
        return tuple(m for m in self.modifiers if m.name in MECHANISMS)


def is_spf_record(text: str) -> bool:
    """Does this TXT text claim to be SPF version 1 (§4.5)?"""
    head = text[: len(VERSION)]
    return head.lower() == VERSION and (len(text) == len(VERSION) or text[len(VERSION)] == " ")


def parse_spf(text: str) -> SpfRecord:
    """Parse one SPF record; SpfSyntaxError names the first bad term and its position."""
    if not is_spf_record(text):
        first = text.split(" ", 1)[0]
        raise SpfSyntaxError("not an SPF record: it must start with v=spf1, found", first, 0)
    mechanisms: list[Mechanism] = []
    modifiers: list[Modifier] = []
    seen: dict[str, Modifier] = {}
    for position, term in _terms(text):
        found = _parse_term(term, position)
        if isinstance(found, Mechanism):
            mechanisms.append(found)
            continue
        if found.name in ("redirect", "exp") and found.name in seen:
            raise SpfSyntaxError(f"{found.name}= given a second time", term, position, "it may appear at most once (§6)")
        seen.setdefault(found.name, found)
        modifiers.append(found)
    return SpfRecord(text=text, mechanisms=tuple(mechanisms), modifiers=tuple(modifiers))


def expand_domain_macros(domain_spec: str, domain: str) -> str | None:
    """The domain-spec with its %{d} macros expanded for ``domain``; None when it needs
    anything else (the sender's IP, address or HELO), known only at delivery time."""
    out: list[str] = []
    try:
        tokens = _macro_tokens(domain_spec)
    except _MacroError:
        return None
    for token in tokens:
        if not token.startswith("%"):
            out.append(token)
            continue
        match = _MACRO_BODY.fullmatch(token[2:-1]) if token.startswith("%{") else None
        if match is None or match.group(1).lower() != "d":
            return None  # %%, %_, %- and other letters have no place in a host name
        _, digits, reverse, delimiters = match.groups()
        parts = re.split("[" + re.escape(delimiters or ".") + "]", domain)
        if reverse:
            parts.reverse()
        if digits:
            parts = parts[-int(digits) :]
        out.append(".".join(parts))
    return _as_lookup_name("".join(out))


def _as_lookup_name(name: str) -> str | None:
    """An expanded name as it is looked up: shortened from the left to 253 characters
    (§4.8); None when it still is not a name DNS can carry."""
    labels = name.rstrip(".").lower().split(".")
    while len(".".join(labels)) > MAX_NAME_LENGTH:
        labels.pop(0)
    if not labels or any(len(label) > MAX_LABEL_LENGTH or not _HOST_LABEL.fullmatch(label) for label in labels):
        return None
    return ".".join(labels)


def has_macros(domain_spec: str) -> bool:
    return "%" in domain_spec


# -- the grammar ---------------------------------------------------------------


def _terms(text: str) -> list[tuple[int, str]]:
    """(position, term) for each term after the version; terms are split by SP only."""
    return [(m.start(), m.group()) for m in re.finditer(r"[^ ]+", text)][1:]


def _parse_term(term: str, position: int) -> Mechanism | Modifier:
    qualifier = Qualifier.PASS
    body = term
    if term[0] in "+-~?":
        qualifier, body = Qualifier(term[0]), term[1:]
    elif _MODIFIER.fullmatch(term):
        return _parse_modifier(term, position)
    name = _MECHANISM_NAME.match(body).group()  # type: ignore[union-attr]
    kind = name.lower()
    rest = body[len(name) :]
    if kind not in MECHANISMS:
        if body != term and _MODIFIER.fullmatch(body):
            raise SpfSyntaxError("a modifier cannot have a qualifier", term, position)
        raise SpfSyntaxError("unknown mechanism", term, position)
    if kind == "all":
        if rest:
            raise SpfSyntaxError("all takes no argument", term, position)
        return Mechanism("all", qualifier, term, position)
    if kind in ("ip4", "ip6"):
        network = _network(kind, rest, term, position)
        return Mechanism(kind, qualifier, term, position, network=network)
    if kind in ("include", "exists"):
        if not rest.startswith(":") or len(rest) == 1:
            raise SpfSyntaxError(f"{kind} needs a domain, as in {kind}:_spf.example.com", term, position)
        target = rest[1:]
        _check_domain_spec(target, term, position)
        return Mechanism(kind, qualifier, term, position, domain_spec=target)
    if kind == "ptr":
        return _ptr(qualifier, rest, term, position)
    return _a_or_mx(kind, qualifier, rest, term, position)


def _ptr(qualifier: Qualifier, rest: str, term: str, position: int) -> Mechanism:
    """ptr [":" domain-spec]"""
    spec: str | None = None
    if rest:
        if not rest.startswith(":") or len(rest) == 1:
            raise SpfSyntaxError("ptr takes only a domain, as in ptr:example.com", term, position)
        spec = rest[1:]
        _check_domain_spec(spec, term, position)
    return Mechanism("ptr", qualifier, term, position, domain_spec=spec)


def _a_or_mx(kind: str, qualifier: Qualifier, rest: str, term: str, position: int) -> Mechanism:
    """a and mx: [":" domain-spec] [dual-cidr-length]"""
    cidr = _DUAL_CIDR.search(rest)
    assert cidr is not None  # every group is optional, so the empty tail always matches
    spec_part, cidr4, cidr6 = rest[: cidr.start()], cidr.group(1), cidr.group(2)
    if cidr4 is not None and int(cidr4) > 32:
        raise SpfSyntaxError("IPv4 prefix length above 32 in", term, position)
    if cidr6 is not None and int(cidr6) > 128:
        raise SpfSyntaxError("IPv6 prefix length above 128 in", term, position)
    spec: str | None = None
    if spec_part:
        if not spec_part.startswith(":") or len(spec_part) == 1:
            raise SpfSyntaxError(f"{kind} takes a domain and prefix lengths, as in {kind}:example.com/24//64", term, position)
        spec = spec_part[1:]
        _check_domain_spec(spec, term, position)
    return Mechanism(
        kind,
        qualifier,
        term,
        position,
        domain_spec=spec,
        cidr4=int(cidr4) if cidr4 is not None else None,
        cidr6=int(cidr6) if cidr6 is not None else None,
    )


def _parse_modifier(term: str, position: int) -> Modifier:
    name, value = term.split("=", 1)
    name = name.lower()
    if name in ("redirect", "exp"):
        if not value:
            raise SpfSyntaxError(f"{name}= needs a domain", term, position)
        _check_domain_spec(value, term, position)
    else:
        _check_macro_string(value, term, position)
    return Modifier(name, value, term, position)


def _network(kind: str, rest: str, term: str, position: int) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    if not rest.startswith(":") or len(rest) == 1:
        sample = "192.0.2.0/24" if kind == "ip4" else "2001:db8::/32"
        raise SpfSyntaxError(f"{kind} needs a network, as in {kind}:{sample}", term, position)
    address, slash, length = rest[1:].partition("/")
    limit = 32 if kind == "ip4" else 128
    if slash and (not _CIDR.fullmatch(length) or int(length) > limit):
        raise SpfSyntaxError(f"invalid prefix length (0-{limit}) in", term, position)
    if kind == "ip4" and not _QNUM_QUAD.fullmatch(address):
        raise SpfSyntaxError("invalid IPv4 address in", term, position)
    # Python also accepts scoped (fe80::1%eth0) and non-ASCII-digit addresses; RFC 4291 does not.
    if kind == "ip6" and not _IP6_CHARS.fullmatch(address):
        raise SpfSyntaxError("invalid IPv6 address in", term, position)
    try:
        if kind == "ip4":
            ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.IPv4Address(address)
        else:
            ip = ipaddress.IPv6Address(address)
    except ValueError:
        raise SpfSyntaxError(f"invalid {'IPv4' if kind == 'ip4' else 'IPv6'} address in", term, position) from None
    return ipaddress.ip_network(f"{ip}/{length if slash else limit}", strict=False)


def _check_domain_spec(spec: str, term: str, position: int) -> None:
    tokens = _check_macro_string(spec, term, position)
    if tokens and tokens[-1].startswith("%"):
        return  # domain-end = macro-expand
    tail = tokens[-1] if tokens else ""
    labels = tail[:-1].split(".") if tail.endswith(".") else tail.split(".")
    if len(labels) < 2 or not _TOPLABEL.fullmatch(labels[-1]):
        raise SpfSyntaxError(
            "not a domain name in", term, position, f"{spec!r} must end in a top-level label such as .example.com or in a macro"
        )
    if has_macros(spec):
        return
    name = spec[:-1] if spec.endswith(".") else spec
    if len(name) > MAX_NAME_LENGTH or any(
        len(label) > MAX_LABEL_LENGTH or not _HOST_LABEL.fullmatch(label) for label in name.split(".")
    ):
        raise SpfSyntaxError("not a valid domain name in", term, position, f"{spec!r} cannot be looked up in DNS")


def _check_macro_string(text: str, term: str, position: int) -> list[str]:
    try:
        tokens = _macro_tokens(text)
    except _MacroError as exc:
        raise SpfSyntaxError("invalid macro in", term, position, str(exc)) from None
    for token in tokens:
        if token.startswith("%{"):
            letter = token[2].lower()
            if letter not in _DOMAIN_MACRO_LETTERS:
                raise SpfSyntaxError(
                    "invalid macro in", term, position, f"%{{{token[2]}}} is allowed only in explanation text (§7.2)"
                )
    return tokens


class _MacroError(Exception):
    pass


def _macro_tokens(text: str) -> list[str]:
    """Split a macro-string into literal runs and macro-expands (§7.1)."""
    tokens: list[str] = []
    literal: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char != "%":
            if not "\x21" <= char <= "\x7e":
                raise _MacroError(f"character {char!r} is not allowed")
            literal.append(char)
            index += 1
            continue
        if literal:
            tokens.append("".join(literal))
            literal = []
        following = text[index + 1 : index + 2]
        if following in ("%", "_", "-"):
            tokens.append(text[index : index + 2])
            index += 2
            continue
        if following != "{":
            raise _MacroError("a % must start a macro such as %{d}, or be written %%")
        end = text.find("}", index)
        body = text[index + 2 : end] if end != -1 else text[index + 2 :]
        match = _MACRO_BODY.fullmatch(body)
        if end == -1 or match is None:
            raise _MacroError(f"%{{{body}{'}' if end != -1 else ''} is not a macro such as %{{d}} or %{{ir}}")
        if match.group(2) and int(match.group(2)) == 0:
            raise _MacroError(f"%{{{body}}} keeps zero labels (§7.3)")
        tokens.append(text[index : end + 1])
        index = end + 1
    if literal:
        tokens.append("".join(literal))
    return tokens
