"""A real HTTP receiver on 127.0.0.1 (a thread), scripted answer by answer."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HANG = -1  # an answer that never comes (until the receiver stops)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    answers: list[int]
    requests: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def next_answer(self) -> int:
        return self.answers.pop(0) if self.answers else 200


@contextmanager
def run_receiver(*answers: int, echo: bool = False) -> Iterator[Receiver]:
    """Answers each POST with the next status in `answers` (then 200); HANG hangs.

    A failure answers "receiver trouble" many times over; with `echo`, every answer is
    the request's own body, as some receivers do."""
    state = Receiver(url="", answers=list(answers))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            state.requests.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
            status = state.next_answer()
            if status == HANG:
                state.release.wait(timeout=30)
                return
            if echo:
                payload = b"echo: " + body
            elif status < 300:
                payload = b'{"ok": true}'
            else:
                payload = b"receiver trouble " * 300
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
