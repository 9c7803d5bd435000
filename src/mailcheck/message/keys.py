"""DKIM and ARC public keys for one run: fetched through the run's resolver before
dkimpy needs them, all at once, and kept for the run, so 1,000 messages from 50
domains cost 50 key lookups, not 1,000.

dkimpy asks its ``dnsfunc`` synchronously from a worker thread; ours only reads what
was fetched, so verifying never waits on DNS inside the thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mailcheck.dns.errors import DnsError, DnsUnavailable, NoRecords, NoSuchDomain
from mailcheck.dns.resolver import Resolver


@dataclass(frozen=True)
class KeyAnswer:
    """What the key name held: its TXT text, or why there is none."""

    name: str
    text: str | None
    # "missing" (NXDOMAIN or no TXT) or "unavailable" (could not tell); None when found.
    problem: str | None = None
    reason: str = ""


class KeyStore:
    def __init__(self, resolver: Resolver | None) -> None:
        self._resolver = resolver
        self._answers: dict[str, asyncio.Future[KeyAnswer]] = {}

    async def fetch(self, names: Iterable[str]) -> dict[str, KeyAnswer]:
        wanted = [name.lower().rstrip(".") for name in names]
        for name in wanted:
            if name not in self._answers:
                self._answers[name] = asyncio.ensure_future(self._lookup(name))
        results = await asyncio.gather(*(self._answers[name] for name in wanted))
        return dict(zip(wanted, results, strict=False))

    async def _lookup(self, name: str) -> KeyAnswer:
        if self._resolver is None:
            return KeyAnswer(name, None, "unavailable", "no DNS in this run")
        try:
            answer = await self._resolver.query(name, "TXT")
        except (NoSuchDomain, NoRecords) as exc:
            return KeyAnswer(name, None, "missing", exc.reason)
        except DnsUnavailable as exc:
            return KeyAnswer(name, None, "unavailable", exc.reason)
        except DnsError as exc:  # any other answer that is not a key
            return KeyAnswer(name, None, "unavailable", exc.reason)
        texts = answer.texts()
        return KeyAnswer(name, "".join(texts[:1]) if len(texts) == 1 else ("\n".join(texts) if texts else None))


def dnsfunc_for(answers: dict[str, KeyAnswer]) -> Callable[..., bytes | None]:
    """A dkimpy ``dnsfunc`` over keys already fetched: bytes of the TXT, or None."""

    def lookup(name: bytes | str, timeout: float = 5) -> bytes | None:
        text = name.decode("ascii", "replace") if isinstance(name, bytes) else name
        answer = answers.get(text.lower().rstrip("."))
        if answer is None or answer.text is None:
            return None
        return answer.text.encode("utf-8", "replace")

    return lookup
