"""`/docs` (Swagger UI), `/docs/oauth2-redirect` and `/redoc` (ReDoc), outside the contract.

The pages are FastAPI's own (`get_swagger_ui_html`, `get_redoc_html`), pointed at the
JavaScript, CSS and favicon in `static/`, served under `/docs/assets/`: the files of the
npm packages `swagger-ui-dist` and `redoc` at the versions `static/assets.json` records
(`scripts/refresh_docs_assets.py` refreshes them). Nothing on the pages comes from
another origin, and each carries a Content-Security-Policy that says so to the browser:
scripts from this origin only, plus the page's own inline start-up script by its hash.
"""

import base64
import hashlib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import HTMLResponse

STATIC_DIR = Path(__file__).resolve().parent / "static"
DOCS_PATH = "/docs"
REDOC_PATH = "/redoc"
OAUTH2_REDIRECT_PATH = f"{DOCS_PATH}/oauth2-redirect"
ASSETS_PATH = f"{DOCS_PATH}/assets"

# Inline <script> blocks (no attributes): the start-up code FastAPI writes into the page.
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)

# What the pages need: their own origin, inline styles (Swagger UI's and ReDoc's
# components set them), `data:` images (the icons in Swagger UI's CSS), and for ReDoc a
# search worker it starts from a `blob:` URL.
_POLICY = (
    "default-src 'none'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src blob:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# The OAuth2 redirect page runs its one inline script in the window Swagger UI opened.
_REDIRECT_POLICY = "default-src 'none'; script-src{hashes}; frame-ancestors 'none'; base-uri 'none'"


@cache
def _versions() -> dict[str, str]:
    manifest: dict[str, dict[str, Any]] = json.loads((STATIC_DIR / "assets.json").read_text())
    return {package: entry["version"] for package, entry in manifest.items()}


def _asset(root: str, path: str, package: str) -> str:
    # The version in the query string: a refreshed file is a new URL to every cache.
    return f"{root}{ASSETS_PATH}/{path}?v={_versions()[package]}"


def _with_policy(page: HTMLResponse, policy: str) -> HTMLResponse:
    body = bytes(page.body).decode()
    hashes = "".join(
        " 'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(body)
    )
    page.headers["Content-Security-Policy"] = policy.format(hashes=hashes)
    page.headers["Referrer-Policy"] = "same-origin"
    return page


def install_api_docs(app: FastAPI, *, openapi_url: str) -> None:
    """Serve the docs pages and their files on `app` (created with `docs_url=None` and
    `redoc_url=None`, so FastAPI's CDN-loading pages are not served)."""
    app.mount(ASSETS_PATH, StaticFiles(directory=STATIC_DIR), name="api_docs_assets")

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=_asset(root, "swagger_ui/swagger-ui-bundle.js", "swagger-ui-dist"),
            swagger_css_url=_asset(root, "swagger_ui/swagger-ui.css", "swagger-ui-dist"),
            swagger_favicon_url=_asset(root, "swagger_ui/favicon-32x32.png", "swagger-ui-dist"),
            oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT_PATH}",
            init_oauth=app.swagger_ui_init_oauth,
            # No "online validator" badge: it would send the document to swagger.io.
            swagger_ui_parameters={"validatorUrl": None, **(app.swagger_ui_parameters or {})},
        )
        return _with_policy(page, _POLICY)

    async def swagger_ui_redirect(request: Request) -> HTMLResponse:
        return _with_policy(get_swagger_ui_oauth2_redirect_html(), _REDIRECT_POLICY)

    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=_asset(root, "redoc/redoc.standalone.js", "redoc"),
            redoc_favicon_url=_asset(root, "swagger_ui/favicon-32x32.png", "swagger-ui-dist"),
            with_google_fonts=False,
        )
        return _with_policy(page, _POLICY)

    app.add_route(DOCS_PATH, swagger_ui, include_in_schema=False)
    app.add_route(OAUTH2_REDIRECT_PATH, swagger_ui_redirect, include_in_schema=False)
    app.add_route(REDOC_PATH, redoc, include_in_schema=False)
