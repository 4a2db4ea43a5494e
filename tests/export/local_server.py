"""A small HTTP server on loopback that answers as a test tells it to and records every request.

For protocol details and faults a real platform does not produce on demand:
a status, a hang, a huge body, a link to another host. The real FROST-Server
tests are in ``test_sensorthings_frost.py``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    delay_s: float = 0.0
    repeat: int = 1  # the body is sent this many times, streamed
    trickle_s: float = 0.0  # pause before each repeat after the first: an answer that arrives slowly, piece by piece


Answer = Callable[[Request], Reply]


@contextlib.contextmanager
def serving(answer: Answer) -> Iterator[tuple[str, list[Request]]]:
    """Serve ``answer`` until the block ends; yields the base URL and the list the requests are recorded in."""
    seen: list[Request] = []

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                              self.rfile.read(length))
            seen.append(request)
            reply = answer(request)
            time.sleep(reply.delay_s)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body) * reply.repeat))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                for i in range(reply.repeat):
                    if i and reply.trickle_s:
                        time.sleep(reply.trickle_s)
                    self.wfile.write(reply.body)
                    self.wfile.flush()

        do_GET = do_POST = do_PATCH = _any

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="local-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
