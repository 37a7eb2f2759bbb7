"""Which methods the app answers at a path, for `Allow` (405 and OPTIONS).

Starlette's 405 names only the methods of the first route whose path matched, though one
path may be served by several routes (a GET and a POST declared apart). The answer comes
from the app's own OpenAPI document, so `Allow` and the contract cannot disagree.
"""

import re
from dataclasses import dataclass

from fastapi import FastAPI, Request

_HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
_PARAMETER = re.compile(r"\\\{[^/]+?\\\}")


@dataclass(frozen=True, slots=True)
class _PathMethods:
    pattern: re.Pattern[str]
    methods: tuple[str, ...]
    # Characters of the template outside its parameters: of two paths that match, the
    # one naming more is the one meant (`/interviews/{id}.ics`, not `/interviews/{id}`
    # with `.ics` taken into the id).
    literal: int


def _table(app: FastAPI) -> list[_PathMethods]:
    table: list[_PathMethods] | None = getattr(app.state, "path_methods", None)
    if table is None:
        table = []
        for path, item in app.openapi().get("paths", {}).items():
            escaped = re.escape(path)
            pattern = re.compile(_PARAMETER.sub("[^/]+", escaped) + "$")
            methods = tuple(m for m in _HTTP_METHODS if m.lower() in item)
            literal = len(re.sub(r"\{[^/]+?\}", "", path))
            table.append(_PathMethods(pattern, methods, literal))
        app.state.path_methods = table
    return table


def allowed_methods(request: Request, answered: str | None) -> list[str]:
    """The documented methods at the request's path, and OPTIONS. A path the contract does
    not describe (the docs pages) keeps what its one route `answered` in `Allow`."""
    path = request.url.path
    matching = [entry for entry in _table(request.app) if entry.pattern.match(path)]
    most = max((entry.literal for entry in matching), default=0)
    found = {m for entry in matching if entry.literal == most for m in entry.methods}
    if not found and answered:
        found = {m.strip().upper() for m in answered.split(",")}
    return [m for m in _HTTP_METHODS if m in found] + ["OPTIONS"]
