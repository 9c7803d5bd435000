"""Well-known URL shorteners: they hide where a link goes, and filters distrust them."""

from __future__ import annotations

SHORTENERS = frozenset(
    {
        "bit.ly",
        "bitly.com",
        "t.co",
        "tinyurl.com",
        "goo.gl",
        "ow.ly",
        "is.gd",
        "buff.ly",
        "rebrand.ly",
        "cutt.ly",
        "shorturl.at",
        "tiny.cc",
        "rb.gy",
        "t.ly",
        "lnkd.in",
        "bl.ink",
        "s.id",
        "v.gd",
        "soo.gd",
        "clck.ru",
        "qr.ae",
        "trib.al",
        "shorte.st",
        "adf.ly",
        "tr.im",
        "x.co",
        "urlz.fr",
        "dlvr.it",
        "ift.tt",
        "short.io",
        "surl.li",
        "tiny.one",
    }
)


def is_shortener(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host in SHORTENERS or any(host.endswith("." + s) for s in SHORTENERS)
