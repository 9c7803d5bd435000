"""Throughput of a bulk run: 1,000 generated domains through a DNS server 50 ms away.

Generates the zone files of 1,000 fixture domains (and their reverse zone) into a
temporary folder at run time, serves them from the project's zone server with 50 ms
added to every answer, then in the same run:

- ``mailcheck domain --from-file LIST --format jsonl --no-smtp --dkim-selector google``
  on all 1,000, as a user runs it (a fresh process; wall time includes interpreter
  start). A bulk user knows the selector; checkdmarc checks no DKIM at all;
- the same without ``--dkim-selector`` (51 common selectors probed per domain) on the
  first DEFAULT_SUBSET domains, to show what selector probing costs;
- checkdmarc's Python API (``check_domains``, one domain per call, TLS checks off) in
  a loop. checkdmarc resolves one query at a time, so it runs on the first SUBSET
  domains of the same list only, and its rate is extrapolated from those.

For each: domains per second and the child's peak RSS (``os.wait4``'s rusage). For the
zone server: queries answered, the most it held at once, and its answer rate, to show
it is not the bottleneck (each answer is a thread sleeping its 50 ms; the threads do
not queue behind each other).

Run: python benchmarks/bulk.py [--domains N] [--subset N] [--concurrency N]
Target: at least 50 domains/s at 50 ms RTT, peak RSS under 200 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LATENCY = 0.050

CHECKDMARC_WORKER = """
import json, sys, time
import dns.nameserver, dns.resolver
import checkdmarc
port, listing = int(sys.argv[1]), sys.argv[2]
domains = [line.strip() for line in open(listing) if line.strip()]
resolver = dns.resolver.Resolver(configure=False)
resolver.nameservers = [dns.nameserver.Do53Nameserver("127.0.0.1", port)]
resolver.timeout = resolver.lifetime = 5
started = time.perf_counter()
for domain in domains:
    checkdmarc.check_domains([domain], resolver=resolver, check_mx_tls=False, timeout=5)
print(json.dumps({"seconds": time.perf_counter() - started}))
"""

# A 2048-bit RSA public key (the fixtures' good.example key): dkimpy parses it.
DKIM_KEY = (
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAzHinoHK+Hpv2EOAm1CZRUfsMk0TmtgwdsRhanopzO/8IFrjsI66YZL7hFpn/"
    "tS5CUb7CChqFSaooBab5bt9Ali15h2XovnE+zA2+NuIm8XavY03S7rqH4tJcWvUpm4kJ03QGP/k7ypIdvCLXujM9uI/YAfAed/FPTAfa"
    "QPJPDsq5XMO4uLR4s+3HgHs9pk6BJfyll6ONPei+3Z9NNZohKVTxKXr8i8NBkI/JDF1/GV54oLtjG+nz4kCkcCV0PhQRyjwhCPbllXNo"
    "7TFzEeOKsSTP1iKzNltuZcxh8t79WZJKTHV7iYvXaqgbEZWdsvIL8tU/Y5u2bmpv89ulz81fZQIDAQAB"
)


def generate(folder: Path, count: int) -> list[str]:
    """``count`` healthy-looking domains: MX on loopback with reverse DNS, an SPF
    include, DMARC, a DKIM key under a common selector. Returns the names."""
    names = []
    reverse = [
        "$ORIGIN 2.127.in-addr.arpa.",
        "$TTL 300",
        "@ SOA ns1.bulk-ns.example. hostmaster.bulk-ns.example. 1 3600 600 604800 300",
        "@ NS ns1.bulk-ns.example.",
    ]
    for index in range(count):
        name = f"d{index:04d}.bulk.example"
        third, fourth = divmod(index, 250)
        address = f"127.2.{third}.{fourth + 1}"
        names.append(name)
        key = " ".join(f'"{DKIM_KEY[i:i + 200]}"' for i in range(0, len(DKIM_KEY), 200))
        (folder / f"{name}.zone").write_text(
            "\n".join(
                [
                    f"$ORIGIN {name}.",
                    "$TTL 300",
                    "@ SOA ns1.bulk-ns.example. hostmaster.bulk-ns.example. 1 3600 600 604800 300",
                    "@ NS ns1.bulk-ns.example.",
                    "@ NS ns2.bulk-ns.example.",
                    "@ A 127.2.255.1",
                    "@ MX 10 mx1",
                    f"mx1 A {address}",
                    f'@ TXT "v=spf1 mx include:_spf.{name} -all"',
                    '_spf TXT "v=spf1 ip4:192.0.2.0/24 -all"',
                    f'_dmarc TXT "v=DMARC1; p=reject; rua=mailto:dmarc@{name}"',
                    f'google._domainkey TXT "v=DKIM1; k=rsa; p=" {key}',
                    "",
                ]
            )
        )
        reverse.append(f"{fourth + 1}.{third} PTR mx1.{name}.")
    (folder / "2.127.in-addr.arpa.zone").write_text("\n".join(reverse) + "\n")
    (folder / "bulk-ns.example.zone").write_text(
        "$ORIGIN bulk-ns.example.\n$TTL 300\n"
        "@ SOA ns1 hostmaster 1 3600 600 604800 300\n@ NS ns1\nns1 A 127.0.0.53\nns2 A 127.0.0.54\n"
    )
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", type=int, default=1000)
    parser.add_argument("--subset", type=int, default=50, help="domains for checkdmarc (it is sequential)")
    parser.add_argument("--default-subset", type=int, default=200, help="domains for the run without --dkim-selector")
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "src"))
    from mailcheck.dns.zones import load_zones
    from mailcheck.dns.zoneserver import ZoneServer

    with tempfile.TemporaryDirectory(prefix="mailcheck-bulk-") as tmp:
        folder = Path(tmp)
        zones_dir = folder / "zones"
        zones_dir.mkdir()
        names = generate(zones_dir, args.domains)
        listing = folder / "domains.txt"
        listing.write_text("\n".join(names) + "\n")
        default_subset = folder / "default-subset.txt"
        default_subset.write_text("\n".join(names[: args.default_subset]) + "\n")
        subset = folder / "subset.txt"
        subset.write_text("\n".join(names[: args.subset]) + "\n")

        # The fixture zones add the blocklist zones the reputation checks ask.
        with ZoneServer(load_zones([zones_dir, ROOT / "fixtures" / "zones"]), latency=LATENCY) as server:
            port = str(server.port)
            command = [
                sys.executable, "-m", "mailcheck", "domain",
                "--nameserver", f"127.0.0.1:{port}", "--format", "jsonl", "--no-smtp",
                "--concurrency", str(args.concurrency), "--timeout", "5", "-q",
            ]  # fmt: skip
            ours = _measure(server, [*command, "--from-file", str(listing), "--dkim-selector", "google"])
            probing = _measure(server, [*command, "--from-file", str(default_subset)])
            lines = [json.loads(line) for line in ours["stdout"].splitlines()]
            statuses: dict[str, int] = {}
            problems: dict[str, int] = {}
            for report in lines:
                statuses[report["status"]] = statuses.get(report["status"], 0) + 1
                for check in (c for o in report["obstacles"] for c in o["checks"]):
                    if check["status"] in ("error", "fail"):
                        key = f"{check['id']} {check['status']}: {check['summary'][:90]}"
                        problems[key] = problems.get(key, 0) + 1
            reference = _measure(server, [sys.executable, "-c", CHECKDMARC_WORKER, port, str(subset)])

    ours_rate = len(names) / ours["seconds"]
    theirs_rate = args.subset / reference["seconds"]
    print(
        f"{len(names)} generated domains; DNS server latency {LATENCY * 1000:.0f} ms per answer; "
        f"mailcheck --concurrency {args.concurrency}; {os.cpu_count()} CPUs"
    )
    print(
        f"{'':34}{'domains':>8}{'wall':>9}{'domains/s':>11}{'peak RSS':>10}{'CPU':>8}"
        f"{'queries':>9}{'server max':>11}{'server q/s':>11}{'server CPU':>11}"
    )
    probing_rate = args.default_subset / probing["seconds"]
    for label, count, m, rate in (
        ("mailcheck -s google", len(names), ours, ours_rate),
        ("mailcheck (51 selectors probed)", args.default_subset, probing, probing_rate),
        ("checkdmarc check_domains loop", args.subset, reference, theirs_rate),
    ):
        print(
            f"{label:34}{count:>8}{m['seconds']:>8.1f}s{rate:>11.1f}{m['rss_mb']:>8.0f}MB{m['child_cpu']:>7.1f}s"
            f"{m['queries']:>9}{m['max_active']:>11}{m['queries'] / m['seconds']:>11.0f}"
            f"{100 * m['server_cpu'] / m['seconds']:>10.0f}%"
        )
    print(f"mailcheck reports: {len(lines)} lines, statuses {statuses}")
    for problem, count in sorted(problems.items(), key=lambda item: -item[1])[:5]:
        print(f"  {count:5d} x {problem}")
    print(f"throughput ratio mailcheck/checkdmarc: {ours_rate / theirs_rate:.1f}x")
    print(
        "server CPU is the zone server's share of one core during the run (it answers each "
        "query in a thread that sleeps the latency); CPU is the child's user+system time."
    )
    verdict = "met" if ours_rate >= 50 and ours["rss_mb"] < 200 else "NOT met"
    print(f"target >= 50 domains/s and < 200 MB peak RSS: {verdict}")


def _measure(server, command: list[str]) -> dict:  # type: ignore[no-untyped-def]
    """Run ``command`` as a child; its wall time, peak RSS and the server's counters."""
    import resource

    server.reset_counters()
    # This process only runs the zone server meanwhile: its CPU time is the server's.
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, text=True, cwd=ROOT)
        # wait4 gives this child's own rusage (RUSAGE_CHILDREN would mix the two runs).
        _pid, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode not in (0, 1, 3) or not stdout.strip():
        raise SystemExit(f"{command[:5]} failed ({process.returncode}): {stderr[-2000:]}")
    return {
        "seconds": elapsed,
        "rss_mb": usage.ru_maxrss / 1024,  # Linux reports kilobytes
        "queries": len(server.queries),
        "max_active": server.max_active,
        "server_cpu": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        "child_cpu": usage.ru_utime + usage.ru_stime,
        "stdout": stdout,
    }


if __name__ == "__main__":
    main()
