"""A real HTTP server on 127.0.0.1 that replays recorded responses and injects faults.

A test gives it a function ``route(path, params) -> Reply``; the server logs
every request (path, query parameters, User-Agent, and the time of an
injected clock if one is given) so tests can check what was asked and when.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Reply:
    """What to answer. ``fault``: None, "reset" (close without answering), "truncate" (promise more
    bytes than sent), or "slow" (wait ``delay_s`` first)."""

    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    fault: str | None = None
    delay_s: float = 0.0


@dataclass
class Request:
    path: str
    params: dict
    user_agent: str
    clock_time: float | None


class ReplayServer:
    def __init__(self, route: Callable[[str, dict], Reply], *, clock: Callable[[], float] | None = None) -> None:
        self.route, self.clock = route, clock
        self.requests: list[Request] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                parts = urlsplit(self.path)
                params = dict(parse_qsl(parts.query))
                server.requests.append(Request(parts.path, params, self.headers.get("User-Agent", ""),
                                               server.clock() if server.clock else None))
                reply = server.route(parts.path, params)
                if reply.fault == "reset":
                    self.connection.close()
                    return
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                length = len(reply.body) * 2 if reply.fault == "truncate" else len(reply.body)
                self.send_header("Content-Length", str(length))
                self.end_headers()
                self.wfile.write(reply.body)
                if reply.fault == "truncate":
                    self.wfile.flush()
                    self.connection.close()

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> ReplayServer:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class FakeClock:
    """Monotonic time that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
