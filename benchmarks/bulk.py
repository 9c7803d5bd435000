"""Throughput and memory of a bulk run: generated domains through a DNS server 50 ms away.

Generates the zone files of 1,000 fixture domains (and their reverse zone) into a
temporary folder at run time, serves them from the project's zone server with 50 ms
added to every answer (in this process), then in the same run:

- a first, unmeasured run with the default options, so that the zone server holds the
  reply to every question the measured runs ask (it keeps each reply it built, as a
  recursive resolver keeps a hot name; building one with dnspython costs it about
  0.5 ms of CPU, which would otherwise be taken from mailcheck on the same cores;
  ``--cold`` skips it);

- ``mailcheck domain --from-file LIST --format jsonl`` with the default options (all
  checks on: 51 common DKIM selectors probed, SMTP on: the MX addresses are loopback
  ones nothing listens on, so each connection is refused at once), as a user runs it
  (a fresh process; wall time includes interpreter start);
- the same with ``--dkim-selector google`` (a bulk user who knows the selector);
- checkdmarc's Python API (``check_domains``, one domain per call, TLS checks off) in
  a loop. checkdmarc resolves one query at a time, so it runs on the first SUBSET
  domains of the same list only, and its rate is extrapolated from those;
- memory: a list of 100,000 lines (the 1,000 domains over and over) with the default
  options; the RSS of the whole process tree (mailcheck and its worker processes) is
  read when 1,000 and when 10,000 reports have been written, then the run is stopped.

For each: domains per second and the peak RSS (``os.wait4``'s rusage: the largest
process of the tree). For the zone server: queries answered, the most it held at
once, and its share of the CPU, to show whether it is the bottleneck; then the CPU
a domain of each side, the rate the machine's cores allow for both and for mailcheck
alone, and how long a domain took with the run's domains in flight (--concurrency).

Run: python benchmarks/bulk.py [--domains N] [--subset N] [--concurrency N] [--cold] [--no-memory]
Targets: >= 100 domains/s with the default options, >= 200/s with --dkim-selector;
peak RSS < 200 MB; RSS after 10,000 reports within 10 % of RSS after 1,000.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LATENCY = 0.050
DEFAULT_CONCURRENCY = 100  # mailcheck domain --from-file's default --concurrency

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
        key = " ".join(f'"{DKIM_KEY[i : i + 200]}"' for i in range(0, len(DKIM_KEY), 200))
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
    parser.add_argument("--subset", type=int, default=30, help="domains for checkdmarc (it is sequential)")
    parser.add_argument("--concurrency", type=int, default=None, help="mailcheck's --concurrency (default: its own)")
    parser.add_argument("--cold", action="store_true", help="no warm-up run: the zone server builds every reply")
    parser.add_argument("--no-memory", action="store_true", help="skip the 100,000-line memory run")
    parser.add_argument("--only-memory", action="store_true", help="only the 100,000-line memory run")
    args = parser.parse_args()

    # The children import mailcheck from src/: compile it as an installed package is,
    # or with PYTHONDONTWRITEBYTECODE every run would compile the source anew.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True, stdout=subprocess.DEVNULL)
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
        subset = folder / "subset.txt"
        subset.write_text("\n".join(names[: args.subset]) + "\n")
        long_list = folder / "long.txt"
        long_list.write_text("\n".join(names[i % len(names)] for i in range(100_000)) + "\n")

        # The fixture zones add the blocklist zones the reputation checks ask.
        with ZoneServer(load_zones([zones_dir, ROOT / "fixtures" / "zones"]), latency=LATENCY) as server:
            port = str(server.port)
            command = [
                sys.executable, "-m", "mailcheck", "domain",
                "--nameserver", f"127.0.0.1:{port}", "--format", "jsonl", "--timeout", "5", "-q",
            ]  # fmt: skip
            if args.concurrency is not None:
                command += ["--concurrency", str(args.concurrency)]
            if args.only_memory:
                fast = [*command, "--no-smtp", "--dkim-selector", "google", "--from-file", str(long_list)]
                after_1k, after_10k, largest = _memory(server, fast)
                print(f"100,000-line list ({' '.join(fast[3:])}; load average {os.getloadavg()[0]:.1f}):")
                _print_memory(after_1k, after_10k, largest)
                return
            if not args.cold:
                warm = _measure(server, [*command, "--from-file", str(listing)])
                print(
                    f"warm-up run (default options, not counted): {warm['seconds']:.1f}s, {warm['queries']} queries, "
                    f"the zone server {1000 * warm['server_cpu'] / max(1, warm['queries']):.2f} ms of CPU a query"
                )
            default = _measure(server, [*command, "--from-file", str(listing)])
            selector = _measure(server, [*command, "--from-file", str(listing), "--dkim-selector", "google"])
            statuses, problems = _tally(default["stdout"])
            reference = _measure(server, [sys.executable, "-c", CHECKDMARC_WORKER, port, str(subset)])
            memory = None if args.no_memory else _memory(server, [*command, "--from-file", str(long_list)])

    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"{len(names)} generated domains; DNS server latency {LATENCY * 1000:.0f} ms per answer; "
        f"{os.cpu_count()} CPUs, load average {load} (a machine shared with other work)"
    )
    print(
        f"{'':34}{'domains':>8}{'wall':>9}{'domains/s':>11}{'peak RSS':>10}{'CPU':>8}"
        f"{'queries':>9}{'server max':>11}{'server CPU':>11}{'reused':>8}"
    )
    rates = {}
    for label, count, m in (
        ("mailcheck, default options", len(names), default),
        ("mailcheck --dkim-selector google", len(names), selector),
        ("checkdmarc check_domains loop", args.subset, reference),
    ):
        rates[label] = count / m["seconds"]
        print(
            f"{label:34}{count:>8}{m['seconds']:>8.1f}s{rates[label]:>11.1f}{m['rss_mb']:>8.0f}MB{m['child_cpu']:>7.1f}s"
            f"{m['queries']:>9}{m['max_active']:>11}{100 * m['server_cpu'] / m['seconds']:>10.0f}%"
            f"{100 * m['reused'] / max(1, m['queries']):>7.0f}%"
        )
    print(f"mailcheck reports (default options): {sum(statuses.values())} lines, statuses {statuses}")
    for problem, count in sorted(problems.items(), key=lambda item: -item[1])[:5]:
        print(f"  {count:5d} x {problem}")
    theirs = rates["checkdmarc check_domains loop"]
    print(f"throughput ratio mailcheck (default options) / checkdmarc: {rates['mailcheck, default options'] / theirs:.0f}x")
    print(
        "server CPU: the zone server's share of one core (this process); CPU: the child's user+system time; "
        "server reused: the queries it answered with a reply it had built before."
    )
    cores = os.cpu_count() or 1
    in_flight = args.concurrency or DEFAULT_CONCURRENCY
    for label, m in (("default options", default), ("--dkim-selector google", selector)):
        # What the CPU alone allows: both sides of the benchmark share the same cores.
        client_ms = 1000 * m["child_cpu"] / len(names)
        server_ms = 1000 * m["server_cpu"] / len(names)
        queries = max(1, m["queries"])
        # Little's law: with in_flight domains at once, each took this long on average.
        each = m["seconds"] * in_flight / len(names)
        print(
            f"{label}: mailcheck {client_ms:.1f} ms CPU a domain ({1000 * m['child_cpu'] / queries:.2f} ms a query, "
            f"start-up included), the zone server {server_ms:.1f} ms ({1000 * m['server_cpu'] / queries:.2f} ms a query): "
            f"{cores} cores allow {1000 * cores / (client_ms + server_ms):.0f} domains/s for both, "
            f"{1000 * cores / client_ms:.0f}/s for mailcheck alone; with {in_flight} domains in flight "
            f"(--concurrency), a domain took {each:.2f} s"
        )
        if m["shed"]:
            print(f"  the zone server was overloaded: it dropped {m['shed']} queries that had waited over a second")
    fast = rates["mailcheck, default options"] >= 100 and rates["mailcheck --dkim-selector google"] >= 200
    print(f"target >= 100 domains/s (default) and >= 200/s (--dkim-selector): {'met' if fast else 'NOT met'}")
    peak = max(default["rss_mb"], selector["rss_mb"])
    print(f"target peak RSS < 200 MB: {'met' if peak < 200 else 'NOT met'} ({peak:.0f} MB)")
    if memory is not None:
        print("100,000-line list, default options:")
        _print_memory(*memory)


def _print_memory(after_1k: float, after_10k: float, largest: float) -> None:
    growth = (after_10k - after_1k) / after_1k
    print(
        f"  RSS of the process tree {after_1k:.0f} MB after 1,000 reports, {after_10k:.0f} MB after 10,000 "
        f"({growth:+.1%}; target within 10 %: {'met' if abs(growth) <= 0.10 else 'NOT met'}); "
        f"largest process {largest:.0f} MB (target < 200 MB)"
    )


def _tally(stdout: str) -> tuple[dict[str, int], dict[str, int]]:
    statuses: dict[str, int] = {}
    problems: dict[str, int] = {}
    for report in (json.loads(line) for line in stdout.splitlines()):
        statuses[report["status"]] = statuses.get(report["status"], 0) + 1
        for check in (c for o in report["obstacles"] for c in o["checks"]):
            if check["status"] in ("error", "fail"):
                key = f"{check['id']} {check['status']}: {check['summary'][:90]}"
                problems[key] = problems.get(key, 0) + 1
    return statuses, problems


def _memory(server, command: list[str]) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    """RSS (MB) of the process tree after 1,000 and 10,000 reports; the largest process."""
    marks: dict[int, float] = {}
    with tempfile.NamedTemporaryFile("w+b") as out:
        # Its own process group, so that stopping it stops its worker processes too
        # (a terminated parent leaves its forked workers running).
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL, cwd=ROOT, start_new_session=True)
        try:
            while len(marks) < 2 and process.poll() is None:
                time.sleep(0.2)
                lines = _count_lines(out.name)
                for mark in (1_000, 10_000):
                    if mark not in marks and lines >= mark:
                        marks[mark] = _tree_rss_mb(process.pid)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            _pid, _status, usage = os.wait4(process.pid, 0)
    if len(marks) < 2:
        raise SystemExit(f"the 100,000-line run ended before 10,000 reports ({process.returncode})")
    return marks[1_000], marks[10_000], usage.ru_maxrss / 1024


def _count_lines(path: str) -> int:
    with open(path, "rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


def _tree_rss_mb(pid: int) -> float:
    """The resident memory of ``pid`` and its children (the worker processes)."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
        pending.extend(int(child) for child in children)
    return total / 1024


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
        "reused": server.replies_reused,
        "shed": server.shed,
        "server_cpu": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        "child_cpu": usage.ru_utime + usage.ru_stime,
        "stdout": stdout,
    }


if __name__ == "__main__":
    main()
