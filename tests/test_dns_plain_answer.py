"""A plain positive answer is read without dnspython's Message, and reads exactly as
dnspython reads it: the same records in the same order, the smallest TTL, the AD flag;
every other shape of reply is left to dnspython (read_plain_answer gives None)."""

from __future__ import annotations

import struct
from collections.abc import Callable

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import dns.rrset
import pytest

from mailcheck.dns.nameservers import Nameserver
from mailcheck.dns.plain_answer import read_plain_answer
from mailcheck.dns.resolver import Answer, Reply, Resolver
from mailcheck.dns.transport import question_wire
from tests.helpers import run_async
from tests.helpers.dns_servers import scripted_dns

NAME = "mail.example"


def _reply(query: dns.message.Message, *rrsets: dns.rrset.RRset, ad: bool = False) -> dns.message.Message:
    reply = dns.message.make_response(query)
    reply.answer.extend(rrsets)
    if ad:
        reply.flags |= dns.flags.AD
    return reply


def _ask(script: Callable[[dns.message.Message], dns.message.Message], name: str = NAME, rdtype: str = "MX") -> Answer:
    with scripted_dns(script) as port:
        resolver = Resolver(upstream=[Nameserver("127.0.0.1", port)], timeout=2.0)
        return run_async(resolver.query(name, rdtype))


def _dnspython_reads(answer: Answer) -> tuple[list[str], int]:
    """What dnspython's own answer (built from the same reply) holds."""
    rrset = answer.raw.rrset
    assert rrset is not None
    return [r.to_text() for r in rrset], rrset.ttl


def test_a_plain_answer_has_the_records_and_smallest_ttl_that_dnspython_reads() -> None:
    def script(query: dns.message.Message) -> dns.message.Message:
        records = dns.rrset.from_text(f"{NAME}.", 120, "IN", "MX", "10 mx1.example.", "20 mx2.example.")
        return _reply(query, records, ad=True)  # dnspython sends a set's records in a random order

    answer = _ask(script)
    assert sorted(answer.to_text()) == ["10 mx1.example.", "20 mx2.example."]
    assert answer.ttl == 120
    assert answer.authenticated is True
    assert answer.canonical_name == NAME
    assert isinstance(answer.source, Reply)  # read without a Message, which is built when asked for
    assert _dnspython_reads(answer) == (answer.to_text(), answer.ttl)
    assert sorted(r.exchange.to_text() for r in answer.rdata) == ["mx1.example.", "mx2.example."]


@pytest.mark.parametrize(
    "shape",
    ["cname", "glue in the additional section", "an EDNS option", "owner in capitals"],
)
def test_other_shapes_read_as_dnspython_reads_them(shape: str) -> None:
    def script(query: dns.message.Message) -> dns.message.Message:
        owner = f"{NAME}."
        if shape == "cname":
            reply = _reply(
                query,
                dns.rrset.from_text(owner, 300, "IN", "CNAME", "target.example."),
                dns.rrset.from_text("target.example.", 60, "IN", "MX", "5 mx.target.example."),
            )
        elif shape == "owner in capitals":
            reply = _reply(query, dns.rrset.from_text(owner.upper(), 300, "IN", "MX", "5 mx.target.example."))
        else:
            reply = _reply(query, dns.rrset.from_text(owner, 300, "IN", "MX", "5 mx.target.example."))
        if shape == "glue in the additional section":
            reply.additional.append(dns.rrset.from_text("mx.target.example.", 300, "IN", "A", "192.0.2.25"))
        if shape == "an EDNS option":
            reply.use_edns(0, options=[dns.edns.GenericOption(dns.edns.OptionType.NSID, b"ns1")])
        return reply

    answer = _ask(script)
    assert answer.to_text() == ["5 mx.target.example."]
    assert answer.ttl == (60 if shape == "cname" else 300)
    assert answer.canonical_name == ("target.example" if shape == "cname" else NAME)
    read_plainly = shape == "owner in capitals"
    assert isinstance(answer.source, Reply if read_plainly else dns.resolver.Answer)
    assert _dnspython_reads(answer) == (answer.to_text(), answer.ttl)


def _wire(*records: bytes, additional: bytes = b"", trailing: bytes = b"", flags: int = 0x8180) -> tuple[bytes, bytes]:
    """A reply to ``NAME A`` with ``records`` (wire) in the answer section, and the question."""
    question = question_wire(NAME, dns.rdatatype.A)
    header = struct.pack("!HHHHHH", 0x1234, flags, 1, len(records), 0, 1 if additional else 0)
    return header + question + b"".join(records) + additional + trailing, question


def _a(address: bytes, ttl: int = 300, owner: bytes = b"\xc0\x0c") -> bytes:
    return owner + struct.pack("!HHIH", dns.rdatatype.A, dns.rdataclass.IN, ttl, len(address)) + address


OPT = b"\x00" + struct.pack("!HHIH", dns.rdatatype.OPT, 1232, 0, 0)


def test_a_record_twice_is_one_record_as_in_dnspython() -> None:
    reply, question = _wire(_a(b"\xc0\x00\x02\x01", 300), _a(b"\xc0\x00\x02\x02", 60), _a(b"\xc0\x00\x02\x01", 30))
    plain = read_plain_answer(reply, question, dns.rdatatype.A)
    assert plain is not None
    assert [r.to_text() for r in plain.rdata] == ["192.0.2.1", "192.0.2.2"]
    assert plain.ttl == 30
    message = dns.message.from_wire(reply)
    assert [r.to_text() for r in message.answer[0]] == ["192.0.2.1", "192.0.2.2"]
    assert message.answer[0].ttl == 30


@pytest.mark.parametrize(
    ("case", "records", "additional", "trailing", "flags"),
    [
        ("extended rcode in the OPT record", (_a(b"\xc0\x00\x02\x01"),), OPT[:5] + b"\x01" + OPT[6:], b"", 0x8180),
        ("a byte after the last record", (_a(b"\xc0\x00\x02\x01"),), OPT, b"\x00", 0x8180),
        ("a record cut short", (_a(b"\xc0\x00\x02\x01")[:-1],), b"", b"", 0x8180),
        ("an address of 3 bytes", (_a(b"\xc0\x00\x02"),), b"", b"", 0x8180),
        ("another owner", (_a(b"\xc0\x00\x02\x01", owner=b"\x03www\xc0\x0c"),), b"", b"", 0x8180),
        ("NXDOMAIN with a record", (_a(b"\xc0\x00\x02\x01"),), b"", b"", 0x8183),
        ("not a response", (_a(b"\xc0\x00\x02\x01"),), b"", b"", 0x0100),
    ],
)
def test_any_other_reply_is_left_to_dnspython(
    case: str, records: tuple[bytes, ...], additional: bytes, trailing: bytes, flags: int
) -> None:
    reply, question = _wire(*records, additional=additional, trailing=trailing, flags=flags)
    assert read_plain_answer(reply, question, dns.rdatatype.A) is None, case


def test_a_plain_reply_with_a_plain_opt_record_is_read() -> None:
    reply, question = _wire(_a(b"\xc0\x00\x02\x01", 300), additional=OPT)
    plain = read_plain_answer(reply, question, dns.rdatatype.A)
    assert plain is not None
    assert [r.to_text() for r in plain.rdata] == ["192.0.2.1"]
    assert plain.ttl == 300
    assert read_plain_answer(reply, question_wire("other.example", dns.rdatatype.A), dns.rdatatype.A) is None
    assert read_plain_answer(reply, question, dns.rdatatype.AAAA) is None
