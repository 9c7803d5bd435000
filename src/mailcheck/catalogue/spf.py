"""spf.*: the domain's SPF record, the tree of records it includes, and its verdict for an IP."""

from mailcheck.catalogue.spec import CheckSpec, Example

SPECS = (
    CheckSpec(
        id="spf.record",
        title="One SPF record is published",
        verifies=(
            'The domain has exactly one TXT record starting with "v=spf1". Fails when it has none '
            "(the name does not exist, has no TXT record, or none of its TXT records starts with "
            "v=spf1, with a TXT that mentions spf pointed out) or more than one; error when its TXT "
            "records could not be looked up."
        ),
        why=(
            "Without SPF, receivers cannot tell which hosts may send as the domain, and DMARC has "
            "only DKIM to rely on. Two SPF records at one name are a permerror, so SPF passes for "
            "no host at all."
        ),
        example=Example(
            bad=(
                'example.com. TXT "v=spf1 include:_spf.example.net -all"\n'
                'example.com. TXT "v=spf1 ip4:192.0.2.10 -all"'
            ),
            good='example.com. TXT "v=spf1 ip4:192.0.2.10 include:_spf.example.net -all"',
            why="The two records are merged into one, with the terms of both and a single -all at the end.",
        ),
        refs=("RFC 7208 §4.5", "RFC 7208 §3"),
    ),
    CheckSpec(
        id="spf.syntax",
        title="Every SPF record in the tree parses",
        verifies=(
            "The domain's SPF record and every record reached from it through include: or "
            "redirect= follow the RFC 7208 grammar, macros included. A syntax error fails, naming "
            "the term and its position; a modifier named like a mechanism (include=, ip4=) only "
            "warns, since it is valid but ignored."
        ),
        why=(
            "Receivers give permerror for a record with a syntax error, and an error in an included "
            "record breaks evaluation for every domain that includes it. A misspelt include= is "
            "silently skipped, so the senders it was meant to list do not pass."
        ),
        example=Example(
            bad='example.com. TXT "v=spf1 ip4:192.0.2.10" "include:_spf.example.net -all"',
            good='example.com. TXT "v=spf1 ip4:192.0.2.10 " "include:_spf.example.net -all"',
            why=(
                "The strings of one TXT record are joined with nothing between them, so the first "
                'needs a trailing space; without it the receiver reads "ip4:192.0.2.10include:...".'
            ),
        ),
        refs=("RFC 7208 §12", "RFC 7208 §4.6"),
    ),
    CheckSpec(
        id="spf.lookups",
        title="At most 10 DNS lookups",
        verifies=(
            "Counts the DNS lookups a receiver needs for the whole tree: every include, a, mx, ptr "
            "and exists up to the first all, and redirect= when no all overrides it, each time it is "
            "reached (ip4, ip6, all and exp= cost none). Fails above 10, when an mx term names more "
            "than 10 MX hosts, or when an include loop repeats lookups; warns when parts of the tree "
            "depend on the sender (macros) and cannot be counted. Error when an include or redirect= "
            "target's record could not be fetched (the count is then only a lower bound) or an mx "
            "term's MX hosts could not be counted; an a term costs one lookup whatever its answer, so "
            "an unanswered a lookup changes nothing here."
        ),
        why=(
            "A receiver that reaches the limit stops with permerror, and SPF then fails for every "
            "sender, legitimate or not. Each provider's include usually nests several lookups, so "
            "the limit is easy to pass without noticing."
        ),
        example=Example(
            bad=(
                'example.com. TXT "v=spf1 a mx include:_spf.example.net include:_spf.example.org -all"\n'
                "   (each include costs 1 lookup plus 4 in the record it names: 12 in all)"
            ),
            good=(
                'example.com. TXT "v=spf1 ip4:192.0.2.0/28 ip4:192.0.2.128/25 include:_spf.example.net -all"'
            ),
            why=(
                "The a and mx terms and one provider's include are replaced by the address ranges "
                "they stand for, leaving 5 lookups."
            ),
        ),
        refs=("RFC 7208 §4.6.4",),
    ),
    CheckSpec(
        id="spf.void-lookups",
        title="At most 2 void lookups",
        verifies=(
            "Counts the names in the tree that answer with no records: a and mx targets that do not "
            "exist or have no address or MX records, and include targets that do not exist or have no "
            "TXT record. Fails above 2 and warns at 1 or 2. For an a term a receiver asks only the "
            "sending IP's family (A for IPv4, AAAA for IPv6), so a host with addresses of one family "
            "is void for the other: the count follows --ip, and without --ip it is made for an IPv4 "
            "sender, the family nearly all mail uses; where a host has one family only, the summary "
            "names the family counted and the other family's count. Below the limit, an error when a "
            "lookup that could hide a void one went unanswered (an a or mx target, or an include or "
            "redirect= target's record), and a warning instead of a pass when part of the tree was "
            "not followed (names built from the sender's macros, or a tree over 200 records). exists "
            "targets are not probed."
        ),
        why=(
            "Receivers that apply the RFC's limit give permerror after the second void lookup, so "
            "a few stale names left in a record can make SPF fail for every sender. Even one "
            "usually means a retired host or service is still listed."
        ),
        example=Example(
            bad=(
                'example.com. TXT "v=spf1 ip4:192.0.2.10 a:old-mail.example.com mx:shop.example.com '
                'include:_spf.gone.example -all"\n'
                "   (old-mail.example.com and _spf.gone.example no longer exist; shop.example.com has no MX)"
            ),
            good='example.com. TXT "v=spf1 ip4:192.0.2.10 -all"',
            why="The three terms that point at names without records are removed.",
        ),
        refs=("RFC 7208 §4.6.4", "RFC 7208 §11.1"),
    ),
    CheckSpec(
        id="spf.all",
        title="The record ends with -all or ~all",
        verifies=(
            "Looks at the all of the record that decides, following redirect= where it applies "
            "(info only when the record it leads to is unusable). "
            "Fails on +all (or a bare all) and on a pass include (include: or +include:) whose record "
            "passes every host: it ends with +all, directly or through redirect=, or has such an include "
            "itself. An include with -, ~ or ? that matches every host decides like -all, ~all or ?all. "
            "Warns on ?all, on no all and no redirect=, and on terms written after all; passes on -all or ~all."
        ),
        why=(
            "The all term decides what mail from unlisted hosts gets: -all or ~all marks it as "
            "unauthenticated, ?all or no all gives neutral, which receivers treat like no SPF, and "
            "+all lets every host on the internet pass SPF as the domain. Terms after all are never "
            "evaluated, so the hosts they list do not pass."
        ),
        example=Example(
            bad='example.com. TXT "v=spf1 ip4:192.0.2.0/24 +all"',
            good='example.com. TXT "v=spf1 ip4:192.0.2.0/24 -all"',
            why="With -all only the listed network passes; +all let any host pass.",
        ),
        refs=("RFC 7208 §5.1", "RFC 7208 §8"),
    ),
    CheckSpec(
        id="spf.include",
        title="Each include and redirect leads to one SPF record",
        verifies=(
            "Every include: and every redirect= that receivers follow, anywhere in the tree, names "
            "a domain with exactly one SPF record. Fails when the target does not exist, has no TXT "
            "record, has no TXT record starting with v=spf1, or has several; error when its TXT "
            "records could not be looked up. A target reached along several paths is reported once."
        ),
        why=(
            "Receivers give permerror when an include or redirect= target has no single SPF record, "
            "so SPF fails for every host not matched by an earlier term. It usually happens when a "
            "provider is dropped or moves its SPF record and the domain still points at the old name."
        ),
        example=Example(
            bad=(
                'example.com. TXT "v=spf1 ip4:192.0.2.10 include:spf.old-provider.example -all"\n'
                "   (spf.old-provider.example has no TXT record)"
            ),
            good='example.com. TXT "v=spf1 ip4:192.0.2.10 -all"',
            why="The include of the provider that no longer publishes an SPF record is removed.",
        ),
        refs=("RFC 7208 §5.2", "RFC 7208 §6.1"),
    ),
    CheckSpec(
        id="spf.redirect",
        title="redirect= is not cancelled by all",
        verifies=(
            "Warns for each record in the tree that has both a redirect= modifier and an all "
            "mechanism: receivers ignore redirect= when the record contains all anywhere, so the "
            "redirect is never followed."
        ),
        why=(
            "The owner usually meant the redirect target to decide, but the record's own all "
            "decides instead, so hosts listed only at the target do not pass."
        ),
        example=Example(
            bad='example.com. TXT "v=spf1 redirect=_spf.example.com ~all"',
            good='example.com. TXT "v=spf1 redirect=_spf.example.com"',
            why="Without the all, receivers follow redirect= and use the record at _spf.example.com.",
        ),
        refs=("RFC 7208 §6.1",),
    ),
    CheckSpec(
        id="spf.loop",
        title="No include or redirect loop",
        verifies=(
            "Fails for each include: or redirect= whose target is a record already on the path "
            "from the top of the tree to it, so evaluation would lead back into itself; each loop is "
            "reported once. The same record included on two separate branches is not a loop."
        ),
        why=(
            "A receiver following a loop keeps querying until the 10-lookup limit stops it with "
            "permerror, so SPF fails for every host the loop is reached for."
        ),
        example=Example(
            bad=(
                'example.com. TXT "v=spf1 include:_spf.example.com -all"\n'
                '_spf.example.com. TXT "v=spf1 ip4:192.0.2.0/24 include:example.com -all"'
            ),
            good=(
                'example.com. TXT "v=spf1 include:_spf.example.com -all"\n'
                '_spf.example.com. TXT "v=spf1 ip4:192.0.2.0/24 -all"'
            ),
            why="_spf.example.com no longer includes example.com, so the chain ends instead of returning to its start.",
        ),
        refs=("RFC 7208 §4.6.4", "RFC 7208 §5.2"),
    ),
    CheckSpec(
        id="spf.ptr",
        title="No ptr mechanism",
        verifies=(
            "Warns when any record in the tree uses the ptr mechanism before its first all, naming "
            "each use; nothing is reported when none does."
        ),
        why=(
            "ptr makes the receiver look up the sending IP's reverse DNS and then the addresses of "
            "the names it finds: slow, dependent on DNS the domain may not control, and RFC 7208 "
            "says it should not be used. Some receivers skip it, so hosts listed only through ptr "
            "may fail."
        ),
        example=Example(
            bad='example.com. TXT "v=spf1 ptr -all"',
            good='example.com. TXT "v=spf1 ip4:192.0.2.0/28 -all"',
            why="The sending hosts are listed by address instead of being found through reverse DNS.",
        ),
        refs=("RFC 7208 §5.5",),
    ),
    CheckSpec(
        id="spf.length",
        title="The SPF record fits in DNS",
        verifies=(
            "Warns when a string of the domain's SPF record is longer than 255 bytes, or when the "
            "TXT answer at the domain (the SPF record with every other TXT record at that name) is "
            "over the 512 bytes of a plain UDP DNS response. Records reached through include: are "
            "not measured."
        ),
        why=(
            "One TXT string holds at most 255 bytes, so a longer one cannot be published as written. "
            "An answer over 512 bytes makes receivers retry over TCP or with EDNS; some fail to, "
            "and for them the domain has no SPF result."
        ),
        example=Example(
            bad=(
                'example.com. TXT "v=spf1 ip4:192.0.2.1 ip4:192.0.2.2 ... ip4:192.0.2.62 -all"\n'
                "   (one string of about 900 bytes)"
            ),
            good='example.com. TXT "v=spf1 ip4:192.0.2.0/26 -all"',
            why="The single addresses are merged into one prefix that covers them, well under both limits.",
        ),
        refs=("RFC 7208 §3.3", "RFC 7208 §3.4"),
    ),
    CheckSpec(
        id="spf.evaluation",
        title="The SPF verdict for the sending IP",
        verifies=(
            "Only with --ip: evaluates SPF the way a receiver does (pyspf's check_host()) for that "
            "IP sending as --mail-from (default postmaster@DOMAIN) with --helo (default the domain). "
            "pass passes; fail and permerror fail; softfail, neutral and none warn; temperror, or "
            "input pyspf cannot evaluate, is an error."
        ),
        why=(
            "This is the result the receiver records and DMARC uses: only pass counts toward SPF "
            "alignment, so a sending IP that gets anything else relies on DKIM alone."
        ),
        example=Example(
            bad=(
                'example.com. TXT "v=spf1 include:_spf.example.net -all"\n'
                "   (mail is sent from 192.0.2.25, which _spf.example.net does not list: fail)"
            ),
            good='example.com. TXT "v=spf1 ip4:192.0.2.25 include:_spf.example.net -all"',
            why="Listing the sending IP turns the result for 192.0.2.25 from fail into pass.",
        ),
        refs=("RFC 7208 §2.6", "RFC 7208 §4"),
    ),
)
