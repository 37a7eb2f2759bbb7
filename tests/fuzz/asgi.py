"""One request, byte for byte, straight into the ASGI app, as uvicorn would hand it over.

httpx (tests/fuzz/transport.py) parses and re-encodes what it sends: it refuses a URL
over 64 KiB and normalises percent-escapes and dot segments. The string fuzzer needs
the octets it chose to reach the app, so it builds the ASGI scope itself, the way
uvicorn does (`raw_path` as sent, `path` percent-decoded as UTF-8 with replacement,
`query_string` as sent, header names lowercased, values untouched).

Like httpx's `ASGITransport(raise_app_exceptions=True)`, an exception escaping the app
propagates to the caller (Starlette's error middleware sends its 500 and re-raises);
an app that returns without completing its response raises `NoResponse`: on a socket,
that is a connection closed without an answer.
"""

import asyncio
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import orjson


class NoResponse(Exception):
    """The app returned without sending a complete response."""


@dataclass
class AsgiResponse:
    status_code: int
    raw_headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    content: bytes = b""

    @property
    def headers(self) -> dict[str, str]:
        # Last one wins, as a dict; enough for Content-Type and friends.
        return {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in self.raw_headers
        }

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return orjson.loads(self.content)


async def call(
    app: Any,
    method: str,
    target: str,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    *,
    client: tuple[str, int] = ("127.0.0.1", 50000),
) -> AsgiResponse:
    raw_target = target.encode("latin-1")
    raw_path, _, query = raw_target.partition(b"?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(raw_path.decode("latin-1")),
        "raw_path": raw_path,
        "query_string": query,
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            *((name.lower(), value) for name, value in headers),
            *([(b"content-length", str(len(body)).encode())] if body else []),
        ],
        "client": client,
        "server": ("testserver", 80),
        "state": {},
    }
    sent_body = False
    complete = asyncio.Event()
    started: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        await complete.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            if started:
                raise RuntimeError("response started twice")
            started.update(message)
        elif message["type"] == "http.response.body":
            if not started:
                raise RuntimeError("response body before its start")
            if complete.is_set():
                raise RuntimeError("response body after its end")
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                complete.set()

    await app(scope, receive, send)
    if not started:
        raise NoResponse("the app returned without starting a response")
    if not complete.is_set():
        raise NoResponse(f"the app returned in the middle of a {started['status']} response")
    return AsgiResponse(started["status"], list(started.get("headers", [])), b"".join(chunks))
