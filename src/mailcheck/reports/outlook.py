"""Outlook's .msg files: the attachments of a message saved from Outlook.

A .msg is not MIME but an OLE compound file (MS-CFB) that holds each property of the
message as a stream (MS-OXMSG): the attachments are storages named
``__attach_version1.0_#N``, each with its bytes, file name and MIME type in property
streams, or, for an attached message (a report forwarded as an attachment), a whole
message of its own below it. olefile reads the compound file. extract-msg reads .msg
files whole, but it is GPL-3.0, which this MIT-licensed project cannot take on, and an
attachment needs only the four property streams named here.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from olefile import OleFileIO

# Messages attached to messages, followed this deep.
MAX_NESTING = 3

_PROPERTIES = "__properties_version1.0"
_ATTACHMENT = "__attach_version1.0_#"
# Property streams: __substg1.0_ + the property's id + its type (MS-OXPROPS).
_DATA = "__substg1.0_37010102"  # PidTagAttachDataBinary, the attachment's bytes
_EMBEDDED = "__substg1.0_3701000D"  # PidTagAttachDataObject: an attached message
_LONG_FILENAME = 0x3707  # PidTagAttachLongFilename
_FILENAME = 0x3704  # PidTagAttachFilename (8.3)
_DISPLAY_NAME = 0x3001  # PidTagDisplayName
_MIME_TAG = 0x370E  # PidTagAttachMimeTag
# String properties come as UTF-16 (PT_UNICODE) or in the message's code page
# (PT_STRING8), which for the names and MIME types here is ASCII in practice.
_STRING_TYPES = (("001F", "utf-16-le"), ("001E", "cp1252"))


@dataclass(frozen=True)
class Attachment:
    """One attachment of a .msg: the name Outlook shows for it, its MIME type (often
    empty), and its bytes."""

    name: str
    content_type: str
    data: bytes


class NotAMessage(Exception):
    """The bytes are no Outlook message whose attachments can be read, and why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def attachments(data: bytes, max_size: int, max_count: int) -> list[Attachment]:
    """The attachments of the .msg in ``data``, and of the messages attached to it, in
    order; at most ``max_count``, each at most ``max_size`` bytes (a larger one is left
    out: it cannot be a report within the cap). NotAMessage when ``data`` is not one."""
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001  (olefile's complaints about a broken file are not all OSError)
        raise NotAMessage(f"not a readable OLE compound file ({exc})") from None
    try:
        if not ole.exists(_PROPERTIES):
            raise NotAMessage(f"an OLE compound file but no Outlook message (no {_PROPERTIES}): a Word or Excel file?")
        found: list[Attachment] = []
        _collect(ole, [], max_size, max_count, found, depth=0)
        return found
    except NotAMessage:
        raise
    except Exception as exc:  # noqa: BLE001  (a stream whose sectors lie: the file is damaged)
        raise NotAMessage(f"a damaged Outlook message ({exc})") from None
    finally:
        ole.close()


def _collect(ole: OleFileIO, prefix: list[str], max_size: int, max_count: int, found: list[Attachment], depth: int) -> None:
    for storage in _attachment_storages(ole, prefix):
        if len(found) >= max_count:
            return
        names = [_text(ole, storage, tag) for tag in (_LONG_FILENAME, _FILENAME, _DISPLAY_NAME)]
        name = next((n for n in names if n), storage[-1])
        if ole.exists("/".join([*storage, _EMBEDDED])):
            if depth < MAX_NESTING:
                _collect(ole, [*storage, _EMBEDDED], max_size, max_count, found, depth + 1)
            continue
        stream = "/".join([*storage, _DATA])
        if not ole.exists(stream) or ole.get_size(stream) > max_size:
            continue  # attached by reference, an OLE object, or too large to be a report
        data = ole.openstream(stream).read()
        found.append(Attachment(name, _text(ole, storage, _MIME_TAG).lower(), data))


def _attachment_storages(ole: OleFileIO, prefix: list[str]) -> list[list[str]]:
    """The attachment storages right below ``prefix``, in attachment order."""
    entries = ole.listdir(streams=False, storages=True)
    below = [e for e in entries if len(e) == len(prefix) + 1 and e[: len(prefix)] == prefix]
    return sorted((e for e in below if e[-1].startswith(_ATTACHMENT)), key=lambda e: e[-1])


def _text(ole: OleFileIO, storage: list[str], tag: int) -> str:
    for kind, encoding in _STRING_TYPES:
        stream = "/".join([*storage, f"__substg1.0_{tag:04X}{kind}"])
        if ole.exists(stream):
            raw: bytes = ole.openstream(stream).read()
            return raw.decode(encoding, "replace").rstrip("\0").strip()
    return ""
