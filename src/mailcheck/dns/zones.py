"""Load RFC 1035 zone files given with ``--zone`` (files or folders of ``*.zone``)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import dns.exception
import dns.name
import dns.zone

from mailcheck.errors import BadInput

ZONE_SUFFIXES = (".zone", ".db")


def load_zones(paths: Iterable[str | Path]) -> dict[dns.name.Name, dns.zone.Zone]:
    """Zones by origin. A folder contributes every ``*.zone``/``*.db`` file in it.

    A file's origin is its ``$ORIGIN``, or else its file name without the suffix
    (``good.example.zone`` holds ``good.example.``).
    """
    zones: dict[dns.name.Name, dns.zone.Zone] = {}
    for path in _zone_files(paths):
        zone = load_zone_file(path)
        origin = zone.origin
        assert origin is not None  # from_file is given the origin
        if origin in zones:
            raise BadInput(f"zone {origin} is loaded twice (again from {path})")
        zones[origin] = zone
    return zones


def load_zone_file(path: Path) -> dns.zone.Zone:
    origin = _declared_origin(path) or _origin_from_file_name(path)
    try:
        return dns.zone.from_file(str(path), origin=origin, relativize=False, check_origin=True)
    except dns.exception.SyntaxError as exc:
        # dnspython's message already starts with "file:line:".
        raise BadInput(f"zone file {exc}") from None
    except dns.zone.NoSOA:
        raise BadInput(f"zone file {path}: the zone {origin} has no SOA record at its origin") from None
    except dns.zone.NoNS:
        raise BadInput(f"zone file {path}: the zone {origin} has no NS record at its origin") from None
    except dns.exception.DNSException as exc:
        raise BadInput(f"zone file {path}: {exc}") from None
    except OSError as exc:
        raise BadInput(f"zone file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        line = _line_of_offset(path, exc.start)
        raise BadInput(
            f"zone file {path}:{line}: byte 0x{exc.object[exc.start]:02x} is not UTF-8 text "
            "(write non-ASCII names as punycode xn--..., other bytes as \\DDD escapes)"
        ) from None


def _line_of_offset(path: Path, offset: int) -> int:
    """The line of the file holding byte ``offset`` of the text dnspython decoded.

    The decoder reports an offset into the chunk it was decoding, not the file, so the
    file's first byte that is not UTF-8 is looked for again here.
    """
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start
    return data.count(b"\n", 0, offset) + 1


def _declared_origin(path: Path) -> str | None:
    """The first ``$ORIGIN`` of the file, when it comes before any record."""
    try:
        with path.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                words = line.split(";", 1)[0].split()
                if not words:
                    continue
                if words[0].upper() == "$ORIGIN" and len(words) > 1:
                    return words[1] if words[1].endswith(".") else words[1] + "."
                if not words[0].startswith("$"):
                    return None
    except OSError:
        return None
    return None


def _origin_from_file_name(path: Path) -> str:
    name = path.name
    for suffix in ZONE_SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name + "."


def _zone_files(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for entry in paths:
        path = Path(entry)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in ZONE_SUFFIXES and p.is_file())
            if not found:
                raise BadInput(f"--zone {path}: the folder holds no *.zone files")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise BadInput(f"--zone {path}: no such file or folder")
    return files
