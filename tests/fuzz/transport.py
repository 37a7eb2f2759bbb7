"""Schemathesis speaks `requests`; the app under test runs on the test session's event loop.

Schemathesis' own ASGI transport runs the app on an event loop of its own, in a
thread, and would start a second lifespan (a second engine) beside the one the
test suite runs. This adapter instead sends each request through `httpx`'s ASGI
transport on the session loop, which is idle while a synchronous test runs, so
the fuzzer talks to the very app (and database) the other tests use.
"""

import asyncio
import io
from typing import Any

import httpx
import requests
import requests.adapters
import urllib3

BASE_URL = "http://testserver"


class InProcessAdapter(requests.adapters.HTTPAdapter):
    def __init__(self, app: Any, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._loop = loop
        self._http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        body = request.body
        if isinstance(body, str):
            body = body.encode()
        # Header text travels as latin-1, as on the wire: the app sees the octets a server would.
        headers = [
            (name.encode("latin-1"), value if isinstance(value, bytes) else value.encode("latin-1"))
            for name, value in request.headers.items()
        ]
        answer = self._loop.run_until_complete(
            self._http.request(
                str(request.method), str(request.url), headers=headers, content=body or b""
            )
        )
        raw = urllib3.HTTPResponse(
            body=io.BytesIO(answer.content),
            headers=list(answer.headers.multi_items()),
            status=answer.status_code,
            reason=answer.reason_phrase,
            version=11,
            preload_content=False,
            request_method=request.method,
        )
        return self.build_response(request, raw)

    def close(self) -> None:
        self._loop.run_until_complete(self._http.aclose())


def in_process_session(app: Any, loop: asyncio.AbstractEventLoop) -> requests.Session:
    """A `requests` session whose every request reaches `app` in this process."""
    session = requests.Session()
    adapter = InProcessAdapter(app, loop)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
