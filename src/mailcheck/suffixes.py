"""The Public Suffix List: DMARC's organizational domain and the registered domain
that URI blocklists list.

Parsing the list costs tens of milliseconds of CPU and its data never changes, so it
is parsed once per process, in a worker thread (``loaded``) so that the event loop's
DNS answers are not kept waiting behind it.
"""

from __future__ import annotations

import asyncio
import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList


@functools.cache
def public_suffixes() -> PublicSuffixList:
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


async def loaded() -> PublicSuffixList:
    """The list, parsed off the event loop the first time."""
    if public_suffixes.cache_info().currsize:
        return public_suffixes()  # parsed already: no thread hop per lookup
    return await asyncio.to_thread(public_suffixes)


def registered_domain(domain: str) -> str:
    """The domain one label under its public suffix (the domain itself for a suffix)."""
    return public_suffixes().privatesuffix(domain) or domain
