"""spf.include, spf.redirect, spf.loop: where the tree's include: and redirect= terms
lead — to one SPF record each, not cancelled by all, never back into themselves."""

from __future__ import annotations

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.checks.spf_tree import LOOP, MISSING, MULTIPLE, UNAVAILABLE, SpfNode
from mailcheck.model import Check

INCLUDE = CheckSpec(
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
)

REDIRECT = CheckSpec(
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
)

SPF_LOOP = CheckSpec(
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
        good=('example.com. TXT "v=spf1 include:_spf.example.com -all"\n_spf.example.com. TXT "v=spf1 ip4:192.0.2.0/24 -all"'),
        why="_spf.example.com no longer includes example.com, so the chain ends instead of returning to its start.",
    ),
    refs=("RFC 7208 §4.6.4", "RFC 7208 §5.2"),
)


def loop_checks(domain: str, root: SpfNode) -> list[Check]:
    # A record included twice on the way meets the same loop on identical paths: report it once.
    loops = {node.detail: node for node in root.walk() if node.problem == LOOP}
    return [
        SPF_LOOP.fail(
            domain,
            f"{node.label} in {node.path[-2]} leads back to a record already being evaluated "
            f"({node.detail}); receivers give permerror",
            details={"path": list(node.path), "detail": node.detail},
            fix=f"Remove {node.label} from {node.path[-2]}, or point it at a record that does not lead back.",
            refs=("RFC 7208 §4.6.4", "RFC 7208 §5.2"),
        )
        for node in loops.values()
    ]


def include_checks(root: SpfNode) -> list[Check]:
    checks = []
    seen: set[str] = set()  # a target reached on several paths is reported once
    for parent in root.walk():
        for node in parent.children:
            if node.problem not in (*MISSING, MULTIPLE, UNAVAILABLE) or node.domain in seen:
                continue
            seen.add(node.domain)
            ref = "RFC 7208 §5.2" if node.via == "include" else "RFC 7208 §6.1"
            if node.problem == UNAVAILABLE:
                checks.append(
                    INCLUDE.error(
                        node.domain,
                        f"could not tell whether {node.label} in {parent.domain} has an SPF record: {node.detail}",
                        details={"parent": parent.domain, "term": node.term},
                        refs=(ref,),
                    )
                )
                continue
            checks.append(
                INCLUDE.fail(
                    node.domain,
                    f"{node.label} in {parent.domain} leads to no single SPF record: {node.detail}; receivers give permerror",
                    details={"parent": parent.domain, "term": node.term, "problem": node.problem},
                    fix=f"Remove {node.label} from {parent.domain}, or publish one SPF record at {node.domain}.",
                    refs=(ref,),
                )
            )
    return checks


def redirect_checks(domain: str, root: SpfNode) -> list[Check]:
    return [
        REDIRECT.warn(
            domain,
            f"{node.record.modifier('redirect').text} in {node.domain} "  # type: ignore[union-attr]
            f"is ignored because the record has {node.record.all.text}",
            fix="Remove either the redirect= or the all: a record with all never follows redirect=.",
            refs=("RFC 7208 §6.1",),
        )
        for node in root.walk()
        if node.record and node.record.redirect is not None and node.record.all is not None
    ]
