"""Block, and record, every attempt of the tests to reach anything but loopback.

pytest-socket guards connect() only; DNS over UDP uses sendto() and the system
resolver sends from C, so this guard covers connect, sendto, sendmsg and the
resolver's entry points. Raising alone is not enough: asyncio's datagram transport
catches whatever its socket.sendto raises and the run carries on as if the server
had not answered, so every blocked attempt is also recorded, and the autouse
fixture in conftest.py fails the test that made one.

A child process gets the same guard by running ``python -m tests.helpers.netguard MODULE
ARGS...`` (see tests/helpers/cli_subprocess.py); it appends what it blocked to the file
that ``MAILCHECK_TEST_NETGUARD_LOG`` names, which the watching test reads back.
"""

from __future__ import annotations

import ipaddress
import json
import os
import runpy
import socket
import subprocess
import sys
import tempfile
import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from tests.helpers.paths import ROOT

LOG_VARIABLE = "MAILCHECK_TEST_NETGUARD_LOG"

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_sendto = socket.socket.sendto
_real_sendmsg = socket.socket.sendmsg
_real_getaddrinfo = socket.getaddrinfo
_real_gethostbyname = socket.gethostbyname
_real_gethostbyname_ex = socket.gethostbyname_ex
_real_gethostbyaddr = socket.gethostbyaddr
_real_popen_init = subprocess.Popen.__init__

Kind = Literal["tcp connect", "udp connect", "udp sendto", "udp sendmsg", "system resolver", "unguarded child"]


class NonLoopbackConnection(AssertionError):
    pass


@dataclass(frozen=True)
class Attempt:
    kind: Kind
    target: str
    where: str  # the innermost frame of the project's own code that made the attempt

    def describe(self) -> str:
        return f"{self.kind} {self.target} (from {self.where})"


@dataclass
class _Recorder:
    attempts: list[Attempt]
    log_file: Path | None  # set in a child process: attempts go to the parent's file too


# The innermost watch gets the attempts, so that a guarded test running an inner,
# guarded pytest (pytester) sees only its own. A plain list rather than a contextvar:
# the resolver's getaddrinfo runs in executor threads, which do not inherit contexts.
_watches: list[_Recorder] = []
_unwatched = _Recorder([], None)


_LIBRARY_PREFIXES = tuple({sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix})


def _where() -> str:
    for frame in traceback.StackSummary.extract(traceback.walk_stack(None), lookup_lines=False):
        name = frame.filename
        if name.startswith(_LIBRARY_PREFIXES) or name.startswith("<") or Path(name).name == "netguard.py":
            continue
        path = Path(name)
        return f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{frame.lineno}"
    return "library code only"


def _block(kind: Kind, target: str) -> None:
    attempt = Attempt(kind, target, _where())
    recorder = _watches[-1] if _watches else _unwatched
    recorder.attempts.append(attempt)
    if recorder.log_file is not None:
        with recorder.log_file.open("a", encoding="utf-8") as log:  # one write per line: children may share the file
            log.write(json.dumps(asdict(attempt)) + "\n")
    raise NonLoopbackConnection(f"test tried to reach outside loopback: {attempt.describe()}")


def _is_name(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return host.lower().rstrip(".") != "localhost"
    return False


def _is_outside(host: str) -> bool:
    """A non-loopback address, or a name (which the C library would resolve)."""
    if host == "":
        return False
    try:
        ip = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return _is_name(host)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return not ip.ipv4_mapped.is_loopback
    return not ip.is_loopback


def _check(sock: socket.socket, address: object, kind: Kind) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6) or not isinstance(address, tuple):
        return  # AF_UNIX paths, netlink and the like never leave the machine
    host = address[0].decode() if isinstance(address[0], bytes) else str(address[0])
    if _is_outside(host):
        port = address[1] if len(address) > 1 else "?"
        _block(kind, f"[{host}]:{port}" if ":" in host else f"{host}:{port}")


def _connect(self: socket.socket, address: Any) -> None:
    _check(self, address, "udp connect" if self.type == socket.SOCK_DGRAM else "tcp connect")
    return _real_connect(self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    _check(self, address, "udp connect" if self.type == socket.SOCK_DGRAM else "tcp connect")
    return _real_connect_ex(self, address)


def _sendto(self: socket.socket, data: Any, *args: Any) -> int:
    # sendto(data, address) or sendto(data, flags, address)
    _check(self, args[-1], "udp sendto")
    return _real_sendto(self, data, *args)


def _sendmsg(self: socket.socket, buffers: Any, *args: Any, **kwargs: Any) -> int:
    address = kwargs.get("address", args[2] if len(args) > 2 else None)
    if address is not None:
        _check(self, address, "udp sendmsg")
    return _real_sendmsg(self, buffers, *args, **kwargs)


def _resolver_name(host: object) -> str | None:
    """The name a system-resolver call would look up, or None if it asks nothing."""
    if host is None:
        return None
    name = host.decode() if isinstance(host, bytes) else str(host)
    return name if name and _is_name(name) else None


def _getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if (name := _resolver_name(host)) is not None:
        _block("system resolver", f"getaddrinfo({name!r})")
    return _real_getaddrinfo(host, *args, **kwargs)


def _gethostbyname(host: str) -> str:
    if (name := _resolver_name(host)) is not None:
        _block("system resolver", f"gethostbyname({name!r})")
    return _real_gethostbyname(host)


def _gethostbyname_ex(host: str) -> tuple[str, list[str], list[str]]:
    if (name := _resolver_name(host)) is not None:
        _block("system resolver", f"gethostbyname_ex({name!r})")
    return _real_gethostbyname_ex(host)


def _gethostbyaddr(host: str) -> tuple[str, list[str], list[str]]:
    # A name is looked up first; a non-loopback address means a PTR query.
    if _is_outside(host):
        _block("system resolver", f"gethostbyaddr({host!r})")
    return _real_gethostbyaddr(host)


def _popen_init(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
    # A mailcheck child started without tests.helpers.netguard would reach the network unseen.
    argv = [str(a) for a in args] if isinstance(args, (list, tuple)) else [str(args)]
    by_module = any(a == "-m" and b == "mailcheck" for a, b in zip(argv, argv[1:], strict=False))
    if by_module or Path(argv[0]).name == "mailcheck":
        _block("unguarded child", " ".join(argv[:4]) + " ... (start it with tests/helpers/cli_subprocess.py)")
    _real_popen_init(self, args, *rest, **kwargs)


def _in_forked_child() -> None:
    # A forked child (mailcheck's bulk worker processes) keeps the patched functions,
    # but the recorders it holds die with it: its attempts go to the watching test's
    # file, as a guarded child's do.
    if log := os.environ.get(LOG_VARIABLE):
        for recorder in (*_watches, _unwatched):
            recorder.log_file = Path(log)


def install_in_child() -> None:
    """The guard in a child process started some other way than ``-m tests.helpers.netguard``
    (a Dask worker's preload): attempts go to the watching test's file."""
    install_loopback_guard()
    if log := os.environ.get(LOG_VARIABLE):
        _unwatched.log_file = Path(log)


def install_loopback_guard() -> None:
    os.register_at_fork(after_in_child=_in_forked_child)
    socket.socket.connect = _connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign,assignment]
    socket.socket.sendto = _sendto  # type: ignore[method-assign,assignment]
    socket.socket.sendmsg = _sendmsg  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = _getaddrinfo
    socket.gethostbyname = _gethostbyname
    socket.gethostbyname_ex = _gethostbyname_ex
    socket.gethostbyaddr = _gethostbyaddr
    subprocess.Popen.__init__ = _popen_init  # type: ignore[method-assign,assignment]


def take_unwatched() -> list[Attempt]:
    """Attempts made while no test was watching (imports, session fixtures), emptied."""
    taken = list(_unwatched.attempts)
    _unwatched.attempts.clear()
    return taken


@contextmanager
def watch() -> Iterator[list[Attempt]]:
    """Collect the attempts made inside the block, by this process and by guarded
    children (the log file's name is in the environment while the block runs)."""
    recorder = _Recorder([], None)
    handle, name = tempfile.mkstemp(prefix="netguard-", suffix=".jsonl")
    os.close(handle)
    log_file = Path(name)
    previous = os.environ.get(LOG_VARIABLE)
    os.environ[LOG_VARIABLE] = str(log_file)
    _watches.append(recorder)
    attempts: list[Attempt] = []
    try:
        yield attempts
    finally:
        _watches.remove(recorder)
        if previous is None:
            os.environ.pop(LOG_VARIABLE, None)
        else:
            os.environ[LOG_VARIABLE] = previous
        children = [Attempt(**json.loads(line)) for line in log_file.read_text(encoding="utf-8").splitlines() if line]
        log_file.unlink()
        attempts.extend(recorder.attempts)
        attempts.extend(Attempt(a.kind, a.target, f"{a.where}, in a child process") for a in children)


def report(attempts: list[Attempt]) -> str:
    """One line per distinct attempt, with how often it was made."""
    counts = Counter(attempt.describe() for attempt in attempts)
    lines = [f"  {text}" + (f"  ×{count}" if count > 1 else "") for text, count in counts.items()]
    return f"the network guard blocked {len(attempts)} attempt(s) to reach outside loopback:\n" + "\n".join(lines)


def _main(argv: list[str]) -> None:
    """``python -m tests.helpers.netguard MODULE ARGS...``: run MODULE as ``python -m`` would, guarded."""
    if not argv:
        raise SystemExit("usage: python -m tests.helpers.netguard MODULE [ARGS...]")
    install_in_child()
    sys.argv = argv
    runpy.run_module(argv[0], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    _main(sys.argv[1:])
