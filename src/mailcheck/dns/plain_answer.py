"""The records of a plain positive answer, read from the reply without a dnspython Message.

Most positive answers of a run are the plainest kind: the records of the type asked,
at the name asked, and an OPT record. dnspython reads such a reply into a Message
(every section's names, an RRset a set, each record hashed as it is added), then the
stub resolver's chaining looks the set up again; in a bulk run that was the largest
single cost of the CPU. Here such a reply's records are read directly, each by
dnspython's own rdata parser, into what the Message would have held (the same records
in the same order, duplicates dropped, the smallest TTL).

Anything else gives None, and the reply is read by dnspython as before, so what is
accepted or rejected does not change: a CNAME, an RRSIG, a record of another type or
name, anything in the authority section, an additional section other than one OPT
record without options (an EDNS option, an extended rcode), a compression pointer
other than to the question's name, bytes after the last record.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.wire

_HEADER = struct.Struct("!HHHHHH")
_RECORD = struct.Struct("!HHIH")  # type, class, TTL, rdata length
# QR set, opcode QUERY, rcode NOERROR (RFC 1035 §4.1.1); the other bits may be anything.
_FLAGS_MASK = 0xF80F
_FLAGS_PLAIN = 0x8000
# A compressed name pointing at offset 12: the question's name (RFC 1035 §4.1.4).
_QUESTION_NAME = b"\xc0\x0c"
_CLASS_IN = 1
_TYPE_OPT = 41
# dnspython reads a TTL with the top bit set as 0 (RFC 2181 §8).
_MAX_TTL = 0x7FFFFFFF
# Signatures: dnspython's Rdataset checks what each one covers.
_SIGNATURES = frozenset({dns.rdatatype.RRSIG, dns.rdatatype.SIG})


@dataclass(frozen=True)
class PlainAnswer:
    rdata: tuple[dns.rdata.Rdata, ...]
    ttl: int


def read_plain_answer(reply: bytes, question: bytes, rdtype: dns.rdatatype.RdataType) -> PlainAnswer | None:
    """The records of ``reply`` when it is a plain answer to ``question`` (its wire
    bytes: the name, the type and the class), else None (see the module's docstring)."""
    if len(reply) < 12 or rdtype in _SIGNATURES:
        return None
    _id, flags, questions, answers, authority, additional = _HEADER.unpack_from(reply)
    if flags & _FLAGS_MASK != _FLAGS_PLAIN or questions != 1 or not answers or authority or additional > 1:
        return None
    name = question[:-4].lower()
    position = 12 + len(question)
    if reply[12 : position - 4].lower() != name or reply[position - 4 : position] != question[-4:]:
        return None
    read = _records(reply, position, answers, name, rdtype)
    if read is None:
        return None
    records, ttl, position = read
    if additional:
        position = _after_plain_opt(reply, position)
    if position != len(reply):
        return None
    if len(records) == 1:
        return PlainAnswer((records[0],), ttl)
    if dns.rdatatype.is_singleton(rdtype):  # a set of one (SOA, CNAME): the last record would win
        return None
    # A set holds each record once, in the order first seen (as dnspython's Rdataset).
    return PlainAnswer(tuple(dict.fromkeys(records)), ttl)


def _records(
    reply: bytes, position: int, count: int, name: bytes, rdtype: dns.rdatatype.RdataType
) -> tuple[list[dns.rdata.Rdata], int, int] | None:
    """The ``count`` records from ``position``, each of ``rdtype`` at ``name`` (the
    question's, lower-cased), their smallest TTL and where they end; else None."""
    records: list[dns.rdata.Rdata] = []
    ttl = _MAX_TTL
    rdata_class = dns.rdata.get_rdata_class(dns.rdataclass.IN, rdtype)
    for _ in range(count):
        if reply[position : position + 2] == _QUESTION_NAME:
            position += 2
        elif reply[position : position + len(name)].lower() == name:
            position += len(name)
        else:
            return None
        if position + _RECORD.size > len(reply):
            return None
        record_type, record_class, record_ttl, length = _RECORD.unpack_from(reply, position)
        position += _RECORD.size
        if record_type != rdtype or record_class != _CLASS_IN or position + length > len(reply):
            return None
        parser = dns.wire.Parser(reply, position)
        try:
            with parser.restrict_to(length):
                records.append(rdata_class.from_wire_parser(dns.rdataclass.IN, rdtype, parser, None))
        except Exception:  # noqa: BLE001  (dnspython, reading the whole reply, says what is wrong)
            return None
        position += length
        ttl = min(ttl, 0 if record_ttl > _MAX_TTL else record_ttl)
    return records, ttl, position


def _after_plain_opt(reply: bytes, position: int) -> int:
    """Where the OPT record at ``position`` ends when it is a plain one (the root's
    name, no options, no extended rcode: RFC 6891 §6.1.2), else -1."""
    if reply[position : position + 1] != b"\x00" or position + 1 + _RECORD.size > len(reply):
        return -1
    record_type, _payload, extended, length = _RECORD.unpack_from(reply, position + 1)
    if record_type != _TYPE_OPT or extended >> 24 or length:
        return -1
    return position + 1 + _RECORD.size
