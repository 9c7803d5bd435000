"""Turn a source's links, their trails and the blocklist lookups into checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from mailcheck.blocklists.catalogue import BlockList
from mailcheck.blocklists.lookup import Lookup, listing_check
from mailcheck.blocklists.targets import Target, answers_for, host_target, kind_words
from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.errors import BadInput
from mailcheck.links.extract import MAX_INPUT_BYTES, MAX_LINKS, MAX_URL_CHARS, Extraction, Link, shown_url
from mailcheck.links.shorteners import is_shortener
from mailcheck.links.trail import Trail, hosts_of
from mailcheck.model import Check, Status

FOUND = CheckSpec(
    id="links.found",
    title="Links found in the input",
    verifies=(
        "Counts the distinct http, https and mailto links `mailcheck links` extracted (from HTML "
        "attributes such as href and src and from URLs in text, part by part for a message; a "
        "URL given on the command line is one link) and the hosts they lead to, including "
        "hosts met along redirects with --follow. Always info; the details list each link and "
        "where it was found."
    ),
    why=(
        "Receivers' filters judge every host a message links to, tracking and image hosts "
        "included: this is the list of what they will look up."
    ),
    example=Example(
        bad='<a href="https://bit.ly/3xAmPlE">offer</a> <img src="http://203.0.113.7/pixel.gif">',
        good='<a href="https://www.example.com/offer">offer</a> <img src="https://www.example.com/pixel.gif">',
        why="Every link now leads to the sender's own domain, not to a shortener and a bare IP address.",
    ),
    refs=("RFC 3986 §3", "RFC 5782 §2"),
)

LINKS_URL = CheckSpec(
    id="links.url",
    title="A link leads only to unlisted hosts",
    verifies=(
        "Every host one link meets (its own, a mailto: address's domain, and with --follow each "
        "host along its redirects, at most 10 requests, HEAD then GET) is looked up on the "
        "chosen blocklists: domains on the domain lists, IP addresses on the IP lists. Fail when "
        "a host is listed; error when a lookup could not tell or the redirects could not be "
        "followed to the end (timeout, connection or certificate failure, still redirecting after "
        "10 requests, a redirect to a non-http(s) scheme); warn for a known URL shortener or a "
        "host that is not a valid name; skip when no list could be asked about any of its hosts "
        "(no chosen list takes that kind of host, such as an IPv6 address and only IPv4 lists, "
        "or --offline left every list for it out), and info when only some hosts could be "
        "asked; pass otherwise. The HTTP status of the final page is not judged."
    ),
    why=(
        "Receivers look up the domains in a message's links on lists such as Spamhaus DBL, "
        "URIBL and SURBL and reject or junk mail that carries a listed one, however clean the "
        "sender. Shorteners hide the destination and are shared with abusers, so filters "
        "distrust them."
    ),
    example=Example(
        bad='<a href="https://promo.example.net/deal">\npromo.example.net.dbl.example. A 127.0.1.2',
        good='<a href="https://www.example.com/deal">\nwww.example.com.dbl.example.   (NXDOMAIN: not listed)',
        why="The link leads to the sender's own, unlisted domain instead of a listed one.",
    ),
    refs=("RFC 5782 §2",),
)

LIMITS = CheckSpec(
    id="links.limits",
    title="The input was read within mailcheck's limits",
    verifies=(
        "Says what `mailcheck links` left unchecked in a large input: a file over 25 MB is read "
        "only as far as its first 25 MB; only the first 1,000 distinct links are checked, and the "
        "rest are counted; a URL over 8,192 characters is listed but not looked up. Warn when "
        "anything was cut, with the sizes and counts; not reported otherwise. Wherever a URL "
        "over 200 characters is shown it is shortened, with the number of characters cut."
    ),
    why=(
        "Providers refuse messages over about 25 MB, servers refuse URLs over about 8 KB, and "
        "real messages carry dozens of links: an input past these is rarely mail, and checking "
        "all of it would take minutes. Saying what was cut keeps a clean report honest."
    ),
    example=Example(
        bad="a 40 MB page with 250,000 distinct links, one of them 60,000 characters long",
        good="a message of 80 KB with 40 links, each under 200 characters",
        why="The whole message is read and every one of its links is checked.",
    ),
    refs=("RFC 9110 §4.1",),
)

SHORTENER_FIX = "Link to your own domain: filters distrust shorteners, and one abuser gets them listed for all."


def link_hosts(link: Link, trail: Trail | None) -> list[str]:
    """The hosts a link meets: its own, or every host along its redirects."""
    if link.url.lower().startswith("mailto:"):
        address = link.url[len("mailto:") :].split("?", 1)[0]
        return [address.rpartition("@")[2]] if "@" in address else []
    return hosts_of(trail.urls if trail else [link.url])


def targets_for(hosts: Sequence[str]) -> dict[str, Target]:
    """A blocklist target for each host that is a valid name or address."""
    targets = {}
    for host in hosts:
        try:
            targets[host] = host_target(host, host)
        except BadInput:
            continue
    return targets


def found_check(source: str, links: Sequence[Link], hosts: Sequence[str]) -> Check:
    if not links:
        return FOUND.info(source, f"no links found in {source}")
    return FOUND.info(
        source,
        f"{len(links)} link{'s' if len(links) != 1 else ''} to {len(hosts)} host{'s' if len(hosts) != 1 else ''} in {source}",
        details={"links": [{"url": link.url, "where": link.where} for link in links], "hosts": list(hosts)},
    )


def limits_check(source: str, extraction: Extraction) -> Check | None:
    """links.limits: what the input limits left unchecked, or None when nothing was cut."""
    if not extraction.cut:
        return None
    parts = []
    if extraction.read_bytes < extraction.input_bytes:
        parts.append(
            f"read the first {_megabytes(extraction.read_bytes)} of {_megabytes(extraction.input_bytes)}; links in the rest were not checked"
        )
    if extraction.links_left_out:
        more = extraction.links_left_out
        parts.append(f"checked the first {MAX_LINKS:,} links; {more:,} more distinct link{'s' if more != 1 else ''} left out")
    if extraction.too_long_count:
        count = extraction.too_long_count
        parts.append(f"{count:,} URL{'s' if count != 1 else ''} over {MAX_URL_CHARS:,} characters not looked up")
    details = {
        "input_bytes": extraction.input_bytes,
        "read_bytes": extraction.read_bytes,
        "max_input_bytes": MAX_INPUT_BYTES,
        "links_checked": len(extraction.links),
        "links_left_out": extraction.links_left_out,
        "max_links": MAX_LINKS,
        "too_long": [{"url": long.shown, "length": long.length, "where": long.where} for long in extraction.too_long],
        "too_long_count": extraction.too_long_count,
        "max_url_chars": MAX_URL_CHARS,
    }
    fix = "Check a smaller part of the input, or split it: mailcheck reads what a receiver's filter would bother with."
    return LIMITS.warn(source, f"{source}: {'; '.join(parts)}", details=details, fix=fix)


def _megabytes(count: int) -> str:
    return f"{count / (1024 * 1024):,.1f} MB"


def link_check(
    link: Link,
    trail: Trail | None,
    targets: Mapping[str, Target],
    lookups: Mapping[str, Sequence[Lookup]],
    chosen: Sequence[BlockList],
) -> Check:
    """links.url: where one link leads and whether any host on the way is listed.

    ``chosen`` are the run's lists before --offline left any out: they say why a host
    no list was asked about went unasked.
    """
    hosts = link_hosts(link, trail)
    asked = [host for host in hosts if host in targets and lookups.get(targets[host].value)]
    unasked = [host for host in hosts if host in targets and host not in asked]
    found = [lookup for host in asked for lookup in lookups[targets[host].value]]
    listed = [lookup for lookup in found if lookup.outcome == "listed"]
    failed = [lookup for lookup in found if lookup.outcome not in ("listed", "clean")]
    shorteners = [host for host in hosts if is_shortener(host)]
    invalid = [host for host in hosts if host not in targets]
    parts: list[str] = []
    if shorteners:
        parts.append(f"{', '.join(shorteners)} {'is a URL shortener' if len(shorteners) == 1 else 'are URL shorteners'}")
    if trail is not None and trail.error:
        parts.append(f"not followed to the end: {trail.error}")
    if listed:
        parts.append(
            "; ".join(
                f"{lookup.target.value} is listed on {lookup.blocklist.name} ({', '.join(lookup.meanings)})" for lookup in listed
            )
        )
    elif failed:
        parts.append(f"{len(failed)} lookup{'s' if len(failed) != 1 else ''} could not tell")
    elif found:
        zones = len({lookup.blocklist.zone for lookup in found})
        parts.append(f"{', '.join(asked)}: not listed on {zones} list{'s' if zones != 1 else ''}")
    parts.extend(_not_asked(host, targets[host], chosen) for host in unasked)
    if not hosts:
        parts.append("no host to look up")
    if invalid:
        parts.append(f"not a valid host: {', '.join(invalid)}")
    status = _status(listed, failed, trail, shorteners, invalid)
    if status is Status.PASS and not found:
        status = Status.SKIP  # nothing was looked up: no list vouches for the link
    elif status is Status.PASS and unasked:
        status = Status.INFO  # clean where asked, but not every host could be asked
    details: dict[str, object] = {
        "url": link.url,
        "where": link.where,
        "hosts": hosts,
        "shorteners": shorteners,
        "not_asked": unasked,
        "listings": [
            {
                "host": lookup.target.value,
                "list": lookup.blocklist.label,
                "codes": list(lookup.codes),
                "meanings": list(lookup.meanings),
            }
            for lookup in listed
        ],
    }
    if trail is not None:
        details.update(
            final_url=trail.final_url,
            redirects=trail.redirects,
            hops=[{"url": h.url, "method": h.method, "status": h.status, "location": h.location} for h in trail.hops],
            error=trail.error,
        )
    fix = None
    if listed:
        fix = "Remove links to listed domains: receivers reject or junk mail that carries them."
    elif shorteners:
        fix = SHORTENER_FIX
    summary = f"{_path(link, trail)}: {'; '.join(parts)}" if parts else _path(link, trail)
    return LINKS_URL.result(
        status, shown_url(link.url), summary, details=details, fix=fix, refs=("RFC 5782 §2",) if listed else ()
    )


def _not_asked(host: str, target: Target, chosen: Sequence[BlockList]) -> str:
    """Why no list was asked about ``host``: none takes its kind, or --offline left them out."""
    applicable = [b for b in chosen if answers_for(target, b)]
    if not applicable:
        return f"no list could be asked about {host}: none of the chosen lists answers for {kind_words(target)}"
    labels = ", ".join(b.label for b in applicable)
    return (
        f"no list could be asked about {host}: the lists for {kind_words(target)} ({labels}) were skipped, "
        "as --offline is set and --zone does not serve them"
    )


def listing_checks(lookups: Sequence[Lookup]) -> list[Check]:
    return [listing_check(lookup) for lookup in lookups]


def _path(link: Link, trail: Trail | None) -> str:
    url = shown_url(link.url)
    if trail is None or not trail.hops:
        return url
    if not trail.redirects:
        return f"{url} (no redirect)"
    noun = "redirect" if trail.redirects == 1 else "redirects"
    return f"{url} → {shown_url(trail.final_url)} ({trail.redirects} {noun})"


def _status(listed, failed, trail, shorteners, invalid) -> Status:  # type: ignore[no-untyped-def]
    if listed:
        return Status.FAIL
    if failed or (trail is not None and trail.error):
        return Status.ERROR
    if shorteners or invalid:
        return Status.WARN
    return Status.PASS


def is_web_url(text: str) -> bool:
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
