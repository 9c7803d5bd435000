"""How long `mailcheck domain` takes against a DNS server 50 ms away, next to checkdmarc.

Serves fixtures/zones and benchmarks/zones from the project's zone server with 50 ms
added to every answer, then in the same run:

- `mailcheck domain bench.example` as a user runs it (a fresh process: wall time
  includes interpreter start), and the same check in-process (DNS time only);
- checkdmarc's Python API (`check_domains`, TLS off) on the same domain and server,
  timed around the call in a fresh process.

It prints, for both: wall time, the number of queries the server saw, and the most
queries it held at once; then the ratio. Run: python benchmarks/dns_latency.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LATENCY = 0.050
DOMAIN = "bench.example"
SELECTORS = ("s1", "s2")
# The longest chain of dependent queries in bench.example, counted by hand from the
# zone: TXT bench.example -> TXT _l1a -> TXT _l2b -> TXT _l3 (the SPF include tree),
# and MX -> A of mx1 -> PTR of its address -> A of the PTR name (FCrDNS): 4 round trips.
LONGEST_CHAIN = 4

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

MAILCHECK_WORKER = """
import json, sys, time
# Libraries load before the clock starts, as the checkdmarc worker imports checkdmarc
# first: the CLI row includes them (process start), this row measures the DNS work.
import checkdmarc, dkim, spf
from mailcheck.suffixes import public_suffixes
public_suffixes()
from mailcheck.commands.domain import DomainRequest, run_domain
from mailcheck.dns.nameservers import Nameserver
from mailcheck.runtime import NetworkOptions
port = int(sys.argv[1])
request = DomainRequest.from_cli([sys.argv[2]], sys.argv[3:], None, None, None, smtp=False)
network = NetworkOptions(nameservers=(Nameserver("127.0.0.1", port),), timeout=5)
started = time.perf_counter()
reports, log = run_domain(request, network)
print(json.dumps({"seconds": time.perf_counter() - started, "status": reports[0].status.value}))
"""


def main() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from mailcheck.dns.zones import load_zones
    from mailcheck.dns.zoneserver import ZoneServer

    zones = load_zones([ROOT / "fixtures" / "zones", ROOT / "benchmarks" / "zones"])
    with ZoneServer(zones, latency=LATENCY) as server:
        port = str(server.port)
        selector_args = [a for s in SELECTORS for a in ("--dkim-selector", s)]
        cli = _measure(server, [sys.executable, "-m", "mailcheck", "domain", DOMAIN, "--nameserver", f"127.0.0.1:{port}", "--format", "json", "--no-smtp", *selector_args], wall=True)
        inproc = _measure(server, [sys.executable, "-c", MAILCHECK_WORKER, port, DOMAIN, *SELECTORS])
        reference = _measure(server, [sys.executable, "-c", CHECKDMARC_WORKER, port, DOMAIN])
        help_start = _help_time()

    budget = (LONGEST_CHAIN + 2) * LATENCY
    print(f"DNS server latency: {LATENCY * 1000:.0f} ms per answer; domain {DOMAIN}")
    print(f"{'':28}{'wall':>10}{'queries':>10}{'in flight':>11}")
    for label, m in (("mailcheck domain (CLI)", cli), ("mailcheck (in-process)", inproc), ("checkdmarc check_domains", reference)):
        print(f"{label:28}{m['seconds'] * 1000:>8.0f}ms{m['queries']:>10}{m['max_active']:>11}")
    print(f"ratio mailcheck/checkdmarc (in-process): {inproc['seconds'] / reference['seconds']:.2f}  (target <= 0.25)")
    print(f"ratio mailcheck CLI/checkdmarc: {cli['seconds'] / reference['seconds']:.2f}")
    print(
        f"chain budget (longest chain {LONGEST_CHAIN} + 2) x {LATENCY * 1000:.0f} ms = {budget * 1000:.0f} ms; "
        f"mailcheck in-process {inproc['seconds'] * 1000:.0f} ms -> {'within' if inproc['seconds'] <= budget else 'OVER'}"
    )
    print(f"mailcheck --help: {help_start * 1000:.0f} ms (target < 300 ms)")


def _measure(server, command: list[str], wall: bool = False) -> dict:
    server.reset_counters()
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1) or not done.stdout.strip():
        raise SystemExit(f"{command[:4]} failed ({done.returncode}): {done.stderr[-2000:]}")
    seconds = elapsed if wall else json.loads(done.stdout.strip().splitlines()[-1])["seconds"]
    return {"seconds": seconds, "queries": len(server.queries), "max_active": server.max_active}


def _help_time() -> float:
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "mailcheck", "--help"], capture_output=True, cwd=ROOT, check=True)
        best = min(best, time.perf_counter() - started)
    return best


if __name__ == "__main__":
    main()
