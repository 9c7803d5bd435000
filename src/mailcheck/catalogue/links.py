"""links.*: the links of a message or page, where they lead, and their hosts' listings."""

from mailcheck.catalogue.spec import CheckSpec, Example

SPECS = (
    CheckSpec(
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
    ),
    CheckSpec(
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
    ),
    CheckSpec(
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
    ),
)
