"""/docs and /redoc work offline: every file they load comes from the app itself.

The pages reference only same-origin URLs, each of which answers 200 with the type a
browser (with `X-Content-Type-Options: nosniff`) accepts for it; the files served are the
ones `app/api_docs/static/assets.json` pins; and none of it is part of the contract.
"""

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from app.api_docs.pages import STATIC_DIR

PAGES = ["/docs", "/redoc"]
OPENAPI_URL = "/api/v1/openapi.json"
# What each kind of file must be served as (a script under nosniff must have a JS type).
CONTENT_TYPES = {
    ".js": ("text/javascript", "application/javascript"),
    ".css": ("text/css",),
    ".png": ("image/png",),
}
URL_ATTRIBUTES = {"src", "href", "spec-url", "action", "srcset", "data"}


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in URL_ATTRIBUTES and value]
        self._in_inline_script = tag == "script" and not dict(attrs).get("src")

    def handle_endtag(self, tag: str) -> None:
        self._in_inline_script = False

    def handle_data(self, data: str) -> None:
        if self._in_inline_script:
            self.inline_scripts.append(data)


def references(html: str) -> _References:
    parser = _References()
    parser.feed(html)
    return parser


def is_same_origin(url: str) -> bool:
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc and parts.path.startswith("/")


@pytest.mark.parametrize("page", PAGES)
async def test_docs_pages_load_only_same_origin_files(client: httpx.AsyncClient, page: str) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    found = references(response.text)
    assert found.urls, "the page references no file at all"
    assert [url for url in found.urls if not is_same_origin(url)] == []
    # Nothing else in the page names another origin either (a URL built in a script).
    assert re.findall(r"[a-z]+://|//[a-z0-9]", response.text, re.IGNORECASE) == []

    for url in found.urls:
        asset = await client.get(url)
        assert asset.status_code == 200, url
        if url.split("?")[0] == OPENAPI_URL:
            continue
        suffix = Path(urlsplit(url).path).suffix
        media_type = asset.headers["content-type"].split(";")[0].strip()
        assert media_type in CONTENT_TYPES[suffix], (url, media_type)
        assert asset.headers["x-content-type-options"] == "nosniff"
        assert len(asset.content) > 0


async def test_swagger_ui_reads_the_contract_and_the_redirect_page(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.get("/docs")).text
    assert f"url: '{OPENAPI_URL}'" in page
    assert "window.location.origin + '/docs/oauth2-redirect'" in page
    assert '"validatorUrl": null' in page  # no badge that posts the document to swagger.io
    redirect = await client.get("/docs/oauth2-redirect")
    assert redirect.status_code == 200
    assert "swaggerUIRedirectOauth2" in redirect.text
    assert references(redirect.text).urls == []
    assert (await client.get(OPENAPI_URL)).status_code == 200


@pytest.mark.parametrize("page", [*PAGES, "/docs/oauth2-redirect"])
async def test_docs_pages_allow_only_their_own_origin_and_inline_script(
    client: httpx.AsyncClient, page: str
) -> None:
    response = await client.get(page)
    directives = [d.partition(" ") for d in response.headers["content-security-policy"].split("; ")]
    policy = {name: sources for name, _, sources in directives}
    assert policy["default-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in references(response.text).inline_scripts
    ]
    sources = policy["script-src"].split()
    assert sorted(source for source in sources if source.startswith("'sha256-")) == sorted(hashes)
    assert "'unsafe-inline'" not in sources
    assert "'unsafe-eval'" not in sources
    assert [source for source in sources if source not in ("'self'", *hashes)] == []


async def test_docs_assets_serve_only_their_folder(client: httpx.AsyncClient) -> None:
    for path in (
        "/docs/assets/missing.js",
        "/docs/assets/%2e%2e/pages.py",
        "/docs/assets/..%2fpages.py",
        "/docs/assets/swagger_ui/%2e%2e/%2e%2e/pages.py",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path


def test_vendored_files_are_the_pinned_ones() -> None:
    manifest: dict[str, dict[str, Any]] = json.loads((STATIC_DIR / "assets.json").read_text())
    assert set(manifest) == {"swagger-ui-dist", "redoc"}
    # ReDoc 3 is an ES module that reports usage to its vendor: get_redoc_html loads 2.x.
    assert manifest["redoc"]["version"].startswith("2.")
    for package, entry in manifest.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", entry["version"]), package
        folder = STATIC_DIR / entry["folder"]
        on_disk = {path.name for path in folder.iterdir()}
        assert on_disk == set(entry["files"]), f"{package}: run scripts/refresh_docs_assets.py"
        for name, digest in entry["files"].items():
            assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


async def test_docs_pages_are_not_in_the_contract(client: httpx.AsyncClient) -> None:
    paths = (await client.get(OPENAPI_URL)).json()["paths"]
    assert [path for path in paths if path.startswith(("/docs", "/redoc"))] == []
