"""The loopback guard fails a test that tries to reach outside loopback, even when the
code under test swallows the guard's exception (as asyncio's datagram transport does),
and even when the attempt is made by a mailcheck child process."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
import textwrap

import pytest

from tests.helpers import ROOT, netguard

pytest_plugins = ["pytester"]

# The inner runs reuse the real guard fixture and helpers of this suite.
INNER_CONFTEST = "from tests.conftest import loopback_only, zone_server  # noqa: F401\n"


@pytest.fixture
def inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makeconftest(INNER_CONFTEST)
    return pytester


def run_inner(inner: pytest.Pytester, source: str) -> pytest.RunResult:
    # In a child process: an in-process run drops the modules it imported when it ends,
    # and the classes of their second import no longer match the ones other tests hold.
    inner.makepyfile(test_inner=textwrap.dedent(source))
    return inner.runpytest_subprocess("-p", "no:cacheprovider", "-q", timeout=120)


def test_a_query_to_a_real_nameserver_fails_the_test_although_the_cli_carries_on(inner: pytest.Pytester) -> None:
    result = run_inner(
        inner,
        """
        from tests.helpers import run_cli

        def test_leaks():
            result = run_cli("domain", "good.example", "--nameserver", "192.0.2.53", "--timeout", "0.5", "--no-smtp")
            assert result.exit_code == 3  # asyncio swallowed the guard's exception: "no answer"
        """,
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_leaks*",
            "*the network guard blocked * attempt(s) to reach outside loopback:",
            "*udp connect 192.0.2.53:53 (from src/mailcheck/*.py:*)*",
        ]
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_a_test_that_talks_only_to_loopback_passes(inner: pytest.Pytester) -> None:
    result = run_inner(
        inner,
        """
        from tests.helpers.cli_subprocess import run_mailcheck
        from tests.helpers import offline, run_cli

        def test_in_process():
            result = run_cli("domain", "good.example", *offline("--no-smtp"))
            assert result.exit_code == 0, result.stdout + result.stderr

        def test_in_a_child_process(zone_server):
            done = run_mailcheck("domain", "good.example", "--nameserver", f"127.0.0.1:{zone_server.port}", "--no-smtp")
            assert done.returncode == 0, done.stdout + done.stderr
        """,
    )
    result.assert_outcomes(passed=2)
    assert "network guard" not in result.stdout.str()


def test_a_child_process_is_guarded_and_its_attempts_fail_the_test(inner: pytest.Pytester) -> None:
    result = run_inner(
        inner,
        """
        from tests.helpers.cli_subprocess import run_mailcheck

        def test_child_leaks():
            done = run_mailcheck("domain", "good.example", "--nameserver", "192.0.2.53", "--timeout", "0.5", "--no-smtp")
            assert done.returncode == 3, done.stderr  # the child carried on: "no answer"
        """,
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_child_leaks*",
            "*udp connect 192.0.2.53:53 (from src/mailcheck/*.py:*, in a child process)*",
        ]
    )


def test_swallowed_connects_and_lookups_fail_their_tests(inner: pytest.Pytester) -> None:
    result = run_inner(
        inner,
        """
        import asyncio, contextlib, socket

        def test_tcp_connect():
            with contextlib.suppress(Exception):
                socket.create_connection(("192.0.2.1", 25), timeout=1)

        def test_asyncio_sock_connect():
            async def connect():
                loop = asyncio.get_running_loop()
                with socket.socket() as sock, contextlib.suppress(Exception):
                    sock.setblocking(False)
                    await loop.sock_connect(sock, ("192.0.2.1", 25))
            asyncio.run(connect())

        def test_system_resolver():
            with contextlib.suppress(Exception):
                socket.getaddrinfo("example.com", 443)
        """,
    )
    result.assert_outcomes(passed=3, errors=3)
    result.stdout.fnmatch_lines_random(
        [
            "*ERROR at teardown of test_tcp_connect*",
            "*ERROR at teardown of test_asyncio_sock_connect*",
            "*ERROR at teardown of test_system_resolver*",
            "*tcp connect 192.0.2.1:25 (from */test_inner.py:5)*",
            "*tcp connect 192.0.2.1:25 (from */test_inner.py:12)*",
            "*system resolver getaddrinfo('example.com') (from */test_inner.py:17)*",
        ]
    )


# Direct checks of what the guard records, without an inner pytest run.


def test_each_way_out_is_blocked_and_recorded() -> None:
    async def datagram_to_outside() -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, family=socket.AF_INET)
        transport.sendto(b"query", ("192.0.2.53", 53))  # asyncio swallows what this raises
        transport.close()

    with netguard.watch() as attempts:
        with socket.socket(socket.AF_INET6) as sock, pytest.raises(netguard.NonLoopbackConnection):
            sock.connect_ex(("2001:db8::25", 25))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock, pytest.raises(netguard.NonLoopbackConnection):
            sock.sendmsg([b"query"], [], 0, ("192.0.2.53", 53))
        with pytest.raises(netguard.NonLoopbackConnection):
            socket.gethostbyname("mail.example.com")
        asyncio.run(datagram_to_outside())
    assert [(a.kind, a.target) for a in attempts] == [
        ("tcp connect", "[2001:db8::25]:25"),
        ("udp sendmsg", "192.0.2.53:53"),
        ("system resolver", "gethostbyname('mail.example.com')"),
        ("udp sendto", "192.0.2.53:53"),
    ]
    assert all(a.where.startswith("tests/test_netguard.py:") for a in attempts)


def test_a_mailcheck_child_started_without_the_guard_is_refused() -> None:
    with netguard.watch() as attempts, pytest.raises(netguard.NonLoopbackConnection):
        subprocess.run([sys.executable, "-m", "mailcheck", "--version"], check=False)
    [attempt] = attempts
    assert (attempt.kind, attempt.target) == (
        "unguarded child",
        f"{sys.executable} -m mailcheck --version ... (start it with tests/helpers/cli_subprocess.py)",
    )


def test_loopback_literals_and_localhost_pass_unrecorded() -> None:
    with netguard.watch() as attempts:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(b"x", ("127.0.0.1", 9))
            sock.connect(("127.0.0.53", 9))
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.sendto(b"x", ("::1", 9))
            sock.sendto(b"x", ("::ffff:127.0.0.1", 9))
        assert socket.getaddrinfo("localhost", 25)
        assert socket.getaddrinfo("192.0.2.1", 25)  # a literal asks no resolver
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", 9), timeout=1)
    assert attempts == []


def test_the_report_counts_repeated_attempts() -> None:
    attempts = [netguard.Attempt("udp sendto", "192.0.2.53:53", "src/x.py:1")] * 3
    attempts.append(netguard.Attempt("system resolver", "getaddrinfo('a.example')", "tests/y.py:2"))
    assert netguard.report(attempts) == (
        "the network guard blocked 4 attempt(s) to reach outside loopback:\n"
        "  udp sendto 192.0.2.53:53 (from src/x.py:1)  ×3\n"
        "  system resolver getaddrinfo('a.example') (from tests/y.py:2)"
    )
