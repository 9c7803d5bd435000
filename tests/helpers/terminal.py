"""Run ``python -m mailcheck`` as a user does: in a pseudo-terminal, with pipes that
close early, with a DNS server that never answers."""

from __future__ import annotations

import fcntl
import os
import select
import socket
import struct
import subprocess
import termios
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from tests.helpers.cli_subprocess import guarded_env, mailcheck_command
from tests.helpers.paths import ROOT, ZONES

OFFLINE = ("--zone", str(ZONES), "--offline", "--timeout", "5")


def mailcheck(*args: str) -> list[str]:
    return mailcheck_command(*args)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a colour terminal, without the test runner's colour settings."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM", "COLUMNS", "LINES")}
    env.update(TERM="xterm-256color", **extra)
    return env


@dataclass
class TerminalRun:
    exit_code: int
    screen: bytes  # every byte the terminal received (stderr, and stdout unless redirected)
    elapsed: float


class Terminal:
    """A pseudo-terminal running one process; ``stdout`` may be redirected elsewhere."""

    def __init__(self, argv: list[str], *, env: dict[str, str], stdout: IO[bytes] | None = None) -> None:
        self.master, slave = os.openpty()
        # A real terminal has a size; rich falls back to 80 columns without one.
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=stdout if stdout is not None else slave, stderr=slave, env=guarded_env(env), cwd=ROOT
        )
        os.close(slave)
        self.screen = b""

    def read_until(self, condition: Callable[[bytes], bool], timeout: float) -> bool:
        """Read what the terminal shows until ``condition(screen)`` or the process ends."""
        deadline = time.monotonic() + timeout
        while not condition(self.screen) and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: the process closed the terminal
                return condition(self.screen)
            if not data:
                return condition(self.screen)
            self.screen += data
        return condition(self.screen)

    def finish(self, timeout: float) -> TerminalRun:
        self.read_until(lambda _: False, timeout) if self.process.poll() is None else None
        try:
            code = self.process.wait(timeout=max(0.1, timeout))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"still running after {timeout} s; the terminal showed {self.screen[-2000:]!r}") from None
        self.read_until(lambda _: False, 0.2)  # what is left in the terminal's buffer
        os.close(self.master)
        return TerminalRun(code, self.screen, time.monotonic() - self.started)


def run_in_terminal(
    *args: str, env: dict[str, str] | None = None, stdout: IO[bytes] | None = None, timeout: float = 60
) -> TerminalRun:
    terminal = Terminal(mailcheck(*args), env=env or clean_env(), stdout=stdout)
    terminal.read_until(lambda _: terminal.process.poll() is not None, timeout)
    return terminal.finish(timeout)


@contextmanager
def silent_dns_server() -> Iterator[int]:
    """A loopback DNS server (UDP and TCP on one port) that takes queries and never answers."""
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    port = udp.getsockname()[1]
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        tcp.bind(("127.0.0.1", port))
        tcp.listen(64)
    except OSError:  # the TCP port is taken: queries over TCP are then refused, which is fine
        pass
    try:
        yield port
    finally:
        udp.close()
        tcp.close()
