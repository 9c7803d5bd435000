"""spf.include, spf.redirect, spf.loop: where the tree's include: and redirect= terms
lead — to one SPF record each, not cancelled by all, never back into themselves."""

from __future__ import annotations

from mailcheck.checks.spf_tree import LOOP, MISSING, MULTIPLE, UNAVAILABLE, SpfNode
from mailcheck.model import Check, Status


def loop_checks(domain: str, root: SpfNode) -> list[Check]:
    # A record included twice on the way meets the same loop on identical paths: report it once.
    loops = {node.detail: node for node in root.walk() if node.problem == LOOP}
    return [
        Check(
            "spf.loop",
            Status.FAIL,
            domain,
            f"{node.label} in {node.path[-2]} leads back to a record already being evaluated "
            f"({node.detail}); receivers give permerror",
            {"path": list(node.path), "lines": [node.detail]},
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
                checks.append(Check("spf.include", Status.ERROR, node.domain,
                                    f"could not tell whether {node.label} in {parent.domain} has an SPF record: {node.detail}",
                                    {"parent": parent.domain, "term": node.term}, refs=(ref,)))
                continue
            checks.append(
                Check(
                    "spf.include",
                    Status.FAIL,
                    node.domain,
                    f"{node.label} in {parent.domain} leads to no single SPF record: {node.detail}; receivers give permerror",
                    {"parent": parent.domain, "term": node.term, "problem": node.problem},
                    fix=f"Remove {node.label} from {parent.domain}, or publish one SPF record at {node.domain}.",
                    refs=(ref,),
                )
            )
    return checks


def redirect_checks(domain: str, root: SpfNode) -> list[Check]:
    return [
        Check(
            "spf.redirect",
            Status.WARN,
            domain,
            f"{node.record.modifier('redirect').text} in {node.domain} "  # type: ignore[union-attr]
            f"is ignored because the record has {node.record.all.text}",  # type: ignore[union-attr]
            fix="Remove either the redirect= or the all: a record with all never follows redirect=.",
            refs=("RFC 7208 §6.1",),
        )
        for node in root.walk()
        if node.record and node.record.redirect is not None and node.record.all is not None
    ]
