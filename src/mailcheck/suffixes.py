"""The Public Suffix List: DMARC's organizational domain and the registered domain
that URI blocklists list.

publicsuffixlist parses its bundled list in tens of milliseconds of CPU, most of it
punycoding the internationalised rules one by one. The rules never change for a given
list, so the first run keeps them in the user's cache directory already punycoded
(``compact_rules``), under the checksum of the list they came from; later runs hand
that file to the same ``PublicSuffixList`` with ``accept_encoded_idn=False``, which
then has nothing to encode and holds the same rules, so every answer is the same.
When the cache cannot be read or written the list is parsed as it always was.

Parsing is done once per process, only when a check asks, and in a worker thread
(``loaded``) so that the event loop's DNS answers are not kept waiting behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList

# Part of the cache file's name: a change of its layout makes a new file.
_FORMAT = "1"


@functools.cache
def public_suffixes() -> PublicSuffixList:
    from publicsuffixlist import PSLFILE, PublicSuffixList

    source = Path(PSLFILE).read_bytes()
    cache = _cache_file(hashlib.sha256(source).hexdigest()[:32])
    rules = _read_cache(cache) if cache is not None else None
    if rules is None:
        # Lines end at "\n" only, as when publicsuffixlist reads the file.
        rules = compact_rules(source.decode("utf-8", "surrogateescape").split("\n"))
        if cache is not None:
            _write_cache(cache, rules)
    return PublicSuffixList(source=rules, accept_encoded_idn=False)


async def loaded() -> PublicSuffixList:
    """The list, parsed off the event loop the first time."""
    if public_suffixes.cache_info().currsize:
        return public_suffixes()  # parsed already: no thread hop per lookup
    return await asyncio.to_thread(public_suffixes)


def registered_domain(domain: str) -> str:
    """The domain one label under its public suffix (the domain itself for a suffix)."""
    return public_suffixes().privatesuffix(domain) or domain


def compact_rules(lines: Iterable[str]) -> list[str]:
    """The list's rules as publicsuffixlist reads them (the first word of a line,
    lowercased; no comments), each internationalised rule followed by its punycode."""
    rules = []
    for line in lines:
        rule = line.lower().split(" ")[0].rstrip()
        if not rule or rule.startswith("//"):
            continue
        rules.append(rule)
        if not rule.isascii():  # an ASCII rule is its own punycode
            exception = "!" if rule.startswith("!") else ""
            rules.append(exception + rule.lstrip("!").encode("idna").decode("ascii"))
    return rules


def _cache_file(checksum: str) -> Path | None:
    base = os.environ.get("XDG_CACHE_HOME") or (os.path.join(os.path.expanduser("~"), ".cache"))
    if not os.path.isabs(base):  # no home directory to speak of: do not cache
        return None
    return Path(base) / "mailcheck" / f"public-suffixes-{_FORMAT}-{checksum}.txt"


def _read_cache(path: Path) -> list[str] | None:
    try:
        text = path.read_text("utf-8", "surrogateescape")
    except OSError:
        return None
    # Written whole (see _write_cache), so a file without its last line is not ours.
    if not text.endswith("\n"):
        return None
    return text.split("\n")[:-1]


def _write_cache(path: Path, rules: list[str]) -> None:
    """Write the file whole or not at all; a cache that cannot be written is skipped."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", errors="surrogateescape", dir=path.parent, prefix=".suffixes-", delete=False
        ) as file:
            file.write("".join(f"{rule}\n" for rule in rules))
        try:
            os.replace(file.name, path)
        except OSError:
            os.unlink(file.name)
            raise
        for stale in path.parent.glob("public-suffixes-*.txt"):  # an older list's
            if stale != path:
                stale.unlink()
