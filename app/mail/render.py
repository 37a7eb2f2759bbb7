"""Email bodies from the templates in `templates/`: plain text and HTML, one pair per kind.

HTML is autoescaped (a client's name is text, never markup); the plain-text templates
are not HTML and are rendered without escaping.
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    html: str


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        # A context value the template names but the caller forgot is a bug, not a blank.
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def render(template: str, subject: str, context: dict[str, Any]) -> Rendered:
    """`<template>.txt` and `<template>.html` with `context` (and `subject`)."""
    environment = _environment()
    values = {"subject": subject, "organization_name": None, **context}
    return Rendered(
        text=environment.get_template(f"{template}.txt").render(values),
        html=environment.get_template(f"{template}.html").render(values),
    )
