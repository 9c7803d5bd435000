"""A small HTTP(S) server on loopback for tests: configurable paths, redirects, a trustme CA.

    with HttpsServer({"/r": redirect("https://b.example/"), "/": Route(200, body=b"hi")},
                     hostnames=["a.example", "b.example"], host="127.0.3.10") as server:
        server.ca_file   # the CA to trust (PEM), for --ca-file
        server.port
        server.requests  # (method, Host header, path) of every request served

Routes are looked up by "METHOD HOST/PATH", "HOST/PATH" (Host header without the
port), "METHOD /PATH", then "/PATH", each first with its query string, then without. A route may delay its answer, to test timeouts. ``tls=False`` serves
plain HTTP.
"""

from __future__ import annotations

import contextlib
import http.server
import ssl
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Route:
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0  # seconds to wait before answering


def redirect(location: str, status: int = 302) -> Route:
    return Route(status, {"Location": location})


@dataclass(frozen=True)
class ServedRequest:
    method: str
    host: str
    path: str


class HttpsServer:
    def __init__(
        self,
        routes: Mapping[str, Route],
        *,
        hostnames: Sequence[str] = ("localhost",),
        host: str = "127.0.0.1",
        tls: bool = True,
    ) -> None:
        self.routes = dict(routes)
        self.hostnames = list(hostnames)
        self.host = host
        self.tls = tls
        self.requests: list[ServedRequest] = []
        self.port = 0
        self.ca_file = ""
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._server: http.server.ThreadingHTTPServer | None = None

    def url(self, hostname: str, path: str = "/") -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{hostname}:{self.port}{path}"

    def __enter__(self) -> HttpsServer:
        server = http.server.ThreadingHTTPServer((self.host, 0), self._handler())
        server.daemon_threads = True
        if self.tls:
            import trustme

            ca = trustme.CA()
            self._tmp = tempfile.TemporaryDirectory()
            self.ca_file = str(Path(self._tmp.name) / "ca.pem")
            ca.cert_pem.write_to_path(self.ca_file)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ca.issue_cert(*self.hostnames).configure_cert(context)
            server.socket = context.wrap_socket(server.socket, server_side=True)
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def _route(self, method: str, host: str, path: str) -> Route:
        bare = path.split("?", 1)[0]
        keys = [f"{method} {host}{path}", f"{method} {host}{bare}", f"{host}{path}", f"{host}{bare}"]
        keys += [f"{method} {path}", f"{method} {bare}", path, bare]
        for key in keys:
            if key in self.routes:
                return self.routes[key]
        return Route(404, body=b"not found")

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_HEAD(self) -> None:
                self._answer(send_body=False)

            def do_GET(self) -> None:
                self._answer(send_body=True)

            def _answer(self, send_body: bool) -> None:
                host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
                outer.requests.append(ServedRequest(self.command, host, self.path))
                route = outer._route(self.command, host, self.path)
                if route.delay:
                    time.sleep(route.delay)
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                if send_body:
                    with contextlib.suppress(OSError):  # the client stopped reading: that is allowed
                        self.wfile.write(route.body)

            def log_message(self, format: str, *args: object) -> None:  # keep test output clean
                pass

        return Handler
