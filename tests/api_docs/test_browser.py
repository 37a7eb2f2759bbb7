"""/docs and /redoc in a real browser with the network cut off.

Headless Chromium (Debian's `chromium`, driven by Playwright without a browser download
of its own) opens both pages from uvicorn on 127.0.0.1. Every request to a host other
than the loopback is aborted by route interception, and the browser resolves no name
but the loopback; the test waits until each UI has rendered the operations of the
contract, then checks that nothing tried to leave the machine, that the pages' scripts
raised nothing and that the Content-Security-Policy refused nothing.

`COACH_DOCS_SCREENSHOTS=<folder>` also saves a screenshot of each page there.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
STARTUP_SECONDS = 60
RENDER_MS = 90_000  # two shared cores: ReDoc lays out a 500 KB document
CHROMIUM = shutil.which("chromium") or shutil.which("/usr/bin/chromium")
SCREENSHOTS = os.environ.get("COACH_DOCS_SCREENSHOTS")
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}

# CI installs Chromium (.ci/run): there a missing browser fails instead of skipping.
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install -y chromium)",
)
playwright_api = pytest.importorskip(
    "playwright.async_api", reason="needs the dev extras (playwright)"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """uvicorn serving the app on a free port of 127.0.0.1 (the pages need no database
    rows: a scratch SQLite file, no worker)."""
    folder = tmp_path_factory.mktemp("docs-server")
    env = {key: value for key, value in os.environ.items() if not key.startswith("COACH_")}
    env.update(
        {
            "COACH_ENV": "development",
            "COACH_DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'docs.db'}",
            "COACH_JWT_SECRET": "docs-browser-only-secret-" + "x" * 40,
            "COACH_WORKER_IN_PROCESS": "false",
            "COACH_LOG_LEVEL": "WARNING",
        }
    )
    port = _free_port()
    log = folder / "server.log"
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", HOST]
    command += ["--port", str(port), "--no-access-log"]
    with log.open("wb") as sink:
        process = subprocess.Popen(  # noqa: S603
            command, env=env, cwd=PROJECT_ROOT, stdout=sink, stderr=subprocess.STDOUT
        )
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"uvicorn exited:\n{log.read_text(errors='replace')}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"uvicorn did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def operation_count(base_url: str) -> int:
    """The document's operations, its `webhooks:` included (both pages show each one)."""
    document = httpx.get(f"{base_url}/api/v1/openapi.json", timeout=10).json()
    items = [*document["paths"].values(), *document.get("webhooks", {}).values()]
    return sum(1 for item in items for method in item if method in HTTP_METHODS)


@dataclass
class Traffic:
    """What the page asked for: every request, those aborted, what the console said."""

    requested: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def left_loopback(self) -> list[str]:
        return [url for url in self.requested if not _is_local(url)]


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname in LOOPBACK


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    assert CHROMIUM is not None, "CI must have Chromium: .ci/run installs it"
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (once)
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            # No name resolves but the loopback's, and no proxy: the network is cut off
            # for the browser itself too, whatever the route interception below misses.
            args=[
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
                "--no-proxy-server",
            ],
        )
        yield browser
        await browser.close()


async def _open(browser: Any, url: str) -> tuple[Any, Traffic]:
    traffic = Traffic()
    context = await browser.new_context(viewport={"width": 1280, "height": 900})

    async def only_loopback(route: Any) -> None:
        if _is_local(route.request.url):
            await route.continue_()
        else:
            traffic.blocked.append(route.request.url)
            await route.abort("internetdisconnected")

    await context.route("**/*", only_loopback)
    page = await context.new_page()
    page.on("request", lambda request: traffic.requested.append(request.url))
    page.on("pageerror", lambda error: traffic.errors.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            traffic.errors.append(f"console {message.type}: {message.text}")
            if message.type in ("error", "warning")
            else None
        ),
    )
    response = await page.goto(url, wait_until="load")
    assert response is not None
    assert response.status == 200
    return page, traffic


async def _finish(page: Any, traffic: Traffic, name: str) -> None:
    if SCREENSHOTS:  # the folder is made before the browser starts (`browser`)
        await page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"))
    await page.context.close()
    assert traffic.blocked == []
    assert traffic.left_loopback() == []
    assert traffic.errors == []


async def test_swagger_ui_renders_every_operation_offline(
    browser: Any, base_url: str, operation_count: int
) -> None:
    page, traffic = await _open(browser, f"{base_url}/docs")
    await page.wait_for_selector(".opblock", timeout=RENDER_MS)
    assert "Coach API" in await page.inner_text(".info .title")
    assert await page.locator(".opblock").count() == operation_count
    assert await page.locator(".opblock-summary-path", has_text="/healthz").count() == 1
    await _finish(page, traffic, "swagger-ui")


async def test_redoc_renders_the_title_and_the_operations_offline(
    browser: Any, base_url: str, operation_count: int
) -> None:
    page, traffic = await _open(browser, f"{base_url}/redoc")
    await page.wait_for_selector("h1:has-text('Coach API')", timeout=RENDER_MS)
    menu = page.locator("[role=menu] [role=menuitem]")
    await menu.first.wait_for(timeout=RENDER_MS)
    await page.locator("[role=menuitem]", has_text="The process is up").first.wait_for()
    # Each operation is a menu entry and a section, named by its operation id.
    operations = await page.evaluate(
        """() => new Set([...document.querySelectorAll("[data-item-id*='/operation/']")]
            .map(element => element.dataset.itemId)).size"""
    )
    assert operations == operation_count
    await _finish(page, traffic, "redoc")
