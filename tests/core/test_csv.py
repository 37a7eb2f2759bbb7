"""Cells a spreadsheet must show as text, never run (CSV injection)."""

import uuid
from datetime import UTC, date, datetime

import pytest

from app.core.csv import cell, defused


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        "+1",
        "-1",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
        '\ufeff=HYPERLINK("http://evil")',  # a byte order mark first
        "\u200b=1",  # zero-width space
        "\u200c\u200d=1",  # zero-width non-joiner and joiner
        "\u2060=1",  # word joiner
        "\u200e=1",  # left-to-right mark, another format character
        " =1",
        "\u00a0\u3000=1",  # no-break and ideographic spaces
        "\n@cmd",
        "\ufeff \u200b\t",  # a tab once the invisible start is skipped
        "\uff1d1+1",  # fullwidth =
        "\uff0b1",  # fullwidth +
        "\uff0d1",  # fullwidth -
        "\uff20SUM(A1)",  # fullwidth @
        "\u200b\uff1d1",
    ],
)
def test_text_that_starts_like_a_formula_behind_invisible_characters_is_defused(
    text: str,
) -> None:
    assert defused(text) == "'" + text
    assert cell(text) == "'" + text


@pytest.mark.parametrize("text", ["", "Grace", "a=b", "1-2", "\u200bGrace", " x", "'=1", "\u200b"])
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert defused(text) == text


def test_cells_write_values_as_text() -> None:
    some_id = uuid.UUID(int=1)
    assert cell(None) == ""
    assert cell(True) == "true"
    assert cell(-3) == "-3"  # numbers are numbers, not formulas
    assert cell(0.5) == "0.5"
    assert cell(some_id) == str(some_id)
    assert cell(date(2030, 1, 7)) == "2030-01-07"
    assert cell(datetime(2030, 1, 7, 10, tzinfo=UTC)) == "2030-01-07T10:00:00+00:00"
    assert cell(["=a", "b"]) == '["=a", "b"]'
    assert cell({"k": "=v"}) == '{"k": "=v"}'


def test_lists_may_be_joined_and_are_defused_as_one_cell() -> None:
    ids = [uuid.UUID(int=1), uuid.UUID(int=2)]
    assert cell(ids, list_separator=" ") == f"{ids[0]} {ids[1]}"
    assert cell([], list_separator=" ") == ""
    assert cell(["\u200b=cmd", "x"], list_separator=" ") == "'\u200b=cmd x"
