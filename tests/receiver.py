"""A real webhook receiver on 127.0.0.1 (a port the system picks), in a thread: it
answers each POST with the next of its planned statuses and keeps what it got."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    url: str
    statuses: list[int]
    got: list[Received] = field(default_factory=list)
    on_post: Callable[[], None] | None = None
    """Called while each POST is being answered (the sender is waiting)."""


@contextmanager
def receiving(*statuses: int) -> Iterator[Receiver]:
    """A receiver answering ``statuses`` in turn (200 once they run out)."""
    receiver = Receiver("", list(statuses))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode()
            receiver.got.append(Received(dict(self.headers.items()), body))
            if receiver.on_post is not None:
                receiver.on_post()
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
