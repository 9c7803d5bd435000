"""One domain through the CLI with DNS 50 ms away, next to checkdmarc, in one run.

Serves fixtures/zones and benchmarks/zones from the project's zone server with 50 ms
added to every answer (in this process: the children's CPU is theirs alone), then for
three domains:

- bench.example: good-like (2 MX, a 3-level SPF include tree, DMARC, DKIM);
- spf-toomany.example: an SPF tree of 11 lookups;
- sub.dmarc-inherit.example: a subdomain whose DMARC policy is its parent's;

it runs ``mailcheck domain D --nameserver ... --no-smtp --format json`` as a user does
(a fresh process: its wall time includes interpreter start and imports; its CPU,
user + system, comes from ``os.wait4``), and checkdmarc's ``check_domains`` on the same
domain and server (TLS checks off), timed around the call in a fresh process (so its
imports are not counted: the comparison favours checkdmarc). Each is run RUNS times
and the median kept (the first run of a new Public Suffix List fills mailcheck's cache
of it, see mailcheck.suffixes; the median is of runs that read it). It prints both, the ratio and its median over the three domains,
each domain's budget (its longest chain of dependent lookups x 50 ms + 150 ms), and the
wall time and CPU of ``mailcheck --help`` and ``--version``.

Run: python benchmarks/dns_latency.py [--runs N]
Targets: median ratio <= 0.15; each domain within its budget; CPU of a report <= 150 ms;
--help and --version <= 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mailcheck.dns.zoneserver import ZoneServer

ROOT = Path(__file__).resolve().parent.parent
LATENCY = 0.050
SLACK = 0.150
# The longest chain of dependent queries of each domain, counted from the zones: e.g.
# bench.example: TXT bench.example -> TXT _l1a -> TXT _l2b -> TXT _l3 (SPF includes),
# and MX -> A of mx1 -> PTR of its address -> A of the PTR name (FCrDNS): 4 round trips.
# spf-toomany: TXT -> _a/_b -> _c -> A of mail/relay, and the same MX chain: 4.
# sub.dmarc-inherit: MX -> A of mx1.good.example -> PTR -> A (4); DMARC's walk is 2.
DOMAINS = {"bench.example": 4, "spf-toomany.example": 4, "sub.dmarc-inherit.example": 4}

# What every report imports before it checks anything, as mailcheck imports it (its
# DNS package first, which keeps dnspython's DNS-over-HTTPS stack out).
STACK_FLOOR = "import mailcheck.dns.doh_off, asyncio, typer, dns.message, dns.resolver, dns.rdtypes.ANY.TXT; print('{}')"

CHECKDMARC_WORKER = """
import json, sys, time
import dns.nameserver, dns.resolver
import checkdmarc
port = int(sys.argv[1])
resolver = dns.resolver.Resolver(configure=False)
resolver.nameservers = [dns.nameserver.Do53Nameserver("127.0.0.1", port)]
resolver.timeout = resolver.lifetime = 5
started = time.perf_counter()
checkdmarc.check_domains([sys.argv[2]], resolver=resolver, check_mx_tls=False, timeout=5)
print(json.dumps({"seconds": time.perf_counter() - started}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    # The children import mailcheck from src/: compile it as an installed package is,
    # or with PYTHONDONTWRITEBYTECODE every run would compile the source anew.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True, stdout=subprocess.DEVNULL)
    sys.path.insert(0, str(ROOT / "src"))
    from mailcheck.dns.zones import load_zones
    from mailcheck.dns.zoneserver import ZoneServer

    zones = load_zones([ROOT / "fixtures" / "zones", ROOT / "benchmarks" / "zones"])
    rows = []
    with ZoneServer(zones, latency=LATENCY) as server:
        port = str(server.port)
        for domain, chain in DOMAINS.items():
            cli = [sys.executable, "-m", "mailcheck", "domain", domain, "--nameserver", f"127.0.0.1:{port}"]
            ours = _median([_run(server, [*cli, "--format", "json", "--no-smtp"]) for _ in range(args.runs)])
            theirs = _median(
                [_run(server, [sys.executable, "-c", CHECKDMARC_WORKER, port, domain], inner=True) for _ in range(args.runs)]
            )
            rows.append((domain, chain, ours, theirs))
        starts = {
            flag: _median([_run(None, [sys.executable, "-m", "mailcheck", flag]) for _ in range(5)])
            for flag in ("--help", "--version")
        }
        floor = _median([_run(None, [sys.executable, "-c", STACK_FLOOR]) for _ in range(5)])

    print(
        f"DNS server latency {LATENCY * 1000:.0f} ms per answer; median of {args.runs} runs; {os.cpu_count()} CPUs, load {_load()}"
    )
    print(
        f"{'domain':28}{'mailcheck':>11}{'CPU':>8}{'queries':>9}{'1st asked':>10}{'after':>7}"
        f"{'checkdmarc':>12}{'queries':>9}{'ratio':>7}{'budget':>9}"
    )
    ratios = []
    for domain, chain, ours, theirs in rows:
        ratio = ours["seconds"] / theirs["seconds"]
        ratios.append(ratio)
        budget = chain * LATENCY + SLACK
        verdict = "within" if ours["seconds"] <= budget else "OVER"
        print(
            f"{domain:28}{ours['seconds'] * 1000:>9.0f}ms{ours['cpu'] * 1000:>6.0f}ms{ours['queries']:>9}"
            f"{ours['first_question'] * 1000:>8.0f}ms{ours['after_last_answer'] * 1000:>5.0f}ms"
            f"{theirs['seconds'] * 1000:>10.0f}ms{theirs['queries']:>9}{ratio:>7.2f}{budget * 1000:>6.0f}ms {verdict}"
        )
    print(
        "(1st asked: when mailcheck's first question reached the server after the process started; "
        "after: how long it ran after its last answer left the server)"
    )
    median_ratio = statistics.median(ratios)
    print(f"median ratio mailcheck CLI / checkdmarc: {median_ratio:.2f} (target <= 0.15)")
    worst_cpu = max(ours["cpu"] for _, _, ours, _ in rows)
    print(f"CPU of one report (user + sys, whole process): at most {worst_cpu * 1000:.0f} ms (target <= 150 ms)")
    for flag, m in starts.items():
        print(f"mailcheck {flag}: {m['seconds'] * 1000:.0f} ms wall, {m['cpu'] * 1000:.0f} ms CPU (target <= 100 ms)")
    print(
        f"the stack's floor: a process that only imports typer, asyncio and dnspython (as mailcheck does) "
        f"takes {floor['cpu'] * 1000:.0f} ms CPU, {floor['seconds'] * 1000:.0f} ms wall"
    )


def _run(server: ZoneServer | None, command: list[str], inner: bool = False) -> dict[str, float]:
    """Wall time (or the child's own timing with ``inner``), CPU and the server's queries."""
    if server is not None:
        server.reset_counters()
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    stdout, stderr = process.communicate()
    elapsed = time.perf_counter() - started
    # communicate() reaped the child; its rusage is the difference in RUSAGE_CHILDREN.
    if process.returncode not in (0, 1) or not stdout.strip():
        raise SystemExit(f"{command[:5]} failed ({process.returncode}): {stderr[-2000:]}")
    seconds = json.loads(stdout.strip().splitlines()[-1])["seconds"] if inner else elapsed
    arrivals = server.arrivals if server is not None and server.arrivals else [started]
    return {
        "seconds": seconds,
        "cpu": _child_cpu(process),
        "queries": len(server.queries) if server is not None else 0,
        # When the first question reached the server, and how long the process ran
        # after the last answer left it (judging and printing what the answers said).
        "first_question": min(arrivals) - started,
        "after_last_answer": elapsed - (max(arrivals) - started) - LATENCY,
    }


_seen = 0.0


def _child_cpu(process: subprocess.Popen[str]) -> float:
    """The CPU of the child reaped last: the growth of this process's children's total."""
    import resource

    global _seen
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = usage.ru_utime + usage.ru_stime
    spent, _seen = total - _seen, total
    return spent


def _median(samples: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(sample[key] for sample in samples) for key in samples[0]}


def _load() -> str:
    try:
        return " ".join(f"{value:.1f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


if __name__ == "__main__":
    main()
