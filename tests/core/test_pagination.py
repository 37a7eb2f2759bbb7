"""Cursor pagination walks every row exactly once."""

import base64
import json
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, Field, TypeAdapter, field_serializer

from app.core.pagination import Page, PageWriter
from tests.factories.clients import create_client
from tests.factories.contacts import create_contact
from tests.factories.identity import signup


async def test_pages_walk_every_client_once(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    created = [
        (await create_client(client, owner, full_name=f"Seeker {i}"))["id"] for i in range(5)
    ]

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor is not None:
            params["cursor"] = cursor
        page = await client.get("/api/v1/clients", params=params, headers=owner.headers)
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["data"]) <= 2
        seen += [c["id"] for c in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert pages < 10

    assert pages == 3
    assert len(seen) == len(set(seen)) == 5
    assert seen == created  # default order: oldest first


async def test_descending_and_name_sorts_also_walk_once(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    for name in ("bea", "Cal", "abe", "Dee", "abe"):
        await create_client(client, owner, full_name=name)
    for sort in ("-created_at", "full_name"):
        seen: list[dict[str, str]] = []
        cursor: str | None = None
        while True:
            params: dict[str, str | int] = {"limit": 2, "sort": sort}
            if cursor:
                params["cursor"] = cursor
            body = (
                await client.get("/api/v1/clients", params=params, headers=owner.headers)
            ).json()
            seen += body["data"]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert len({c["id"] for c in seen}) == 5
        if sort == "full_name":
            assert [c["full_name"].lower() for c in seen] == ["abe", "abe", "bea", "cal", "dee"]


async def test_exact_final_page_has_no_next_cursor(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    for _ in range(2):
        await create_client(client, owner)
    body = (await client.get("/api/v1/clients", params={"limit": 2}, headers=owner.headers)).json()
    assert len(body["data"]) == 2
    assert body["next_cursor"] is None


def _cursor(values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/clients",
        "/api/v1/events",
        "/api/v1/audit-log",
        "/api/v1/members",
        "/api/v1/api-keys",
        "/api/v1/webhook-endpoints",
    ],
)
async def test_invalid_cursor_is_a_422_problem(client: httpx.AsyncClient, path: str) -> None:
    owner = await signup(client)
    await create_client(client, owner)
    forged = [
        _cursor([1, 2]),
        _cursor(["x", "y"]),
        _cursor(["2020-01-01T00:00:00+00:00", {"uuid": str(uuid.uuid4())}]),
        _cursor([1577836800, {"uuid": str(uuid.uuid4())}]),
        _cursor([{"dt": "not a date"}, {"uuid": "nope"}]),
        _cursor([{"dt": "2020-01-01T00:00:00+00:00"}, "not-a-uuid"]),
        _cursor([{"dt": "2020-01-01T00:00:00+00:00"}, {"uuid": "not-a-uuid"}]),
        _cursor([{"dt": "9999-12-31T23:59:59-23:00"}, {"uuid": str(uuid.uuid4())}]),
        _cursor([{"dt": "0001-01-01T00:00:00+23:00"}, {"uuid": str(uuid.uuid4())}]),
        _cursor([None, None]),
        _cursor([[], {}]),
        _cursor([{"uuid": 5}, 1]),
        _cursor([{"dt": 5}, {"uuid": str(uuid.uuid4())}]),
        _cursor([{"when": "2020-01-01T00:00:00+00:00"}, {"uuid": str(uuid.uuid4())}]),
    ]
    for cursor in ("not-a-cursor!", "W10", "eyJhIjoxfQ", "WyJ4Il0", *forged):
        response = await client.get(path, params={"cursor": cursor}, headers=owner.headers)
        assert response.status_code == 422, (cursor, response.text)
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("path", "sort"),
    [("/api/v1/clients", "full_name"), ("/api/v1/clients/{client_id}/companies", "name")],
)
async def test_a_name_sorted_cursor_holding_no_name_is_a_422(
    client: httpx.AsyncClient, path: str, sort: str
) -> None:
    """Found by the string fuzzer: a name-sorted list compared a forged cursor's list, or
    an integer no column holds, with `lower(name)` and the driver failed (a 500)."""
    owner = await signup(client)
    seeker = await create_client(client, owner)
    row = {"uuid": str(uuid.uuid4())}
    for value in ([], {}, 2**63, -(2**63) - 1, 7, 1.5, True):
        response = await client.get(
            path.format(client_id=seeker["id"]),
            params={"sort": sort, "cursor": _cursor([value, row])},
            headers=owner.headers,
        )
        assert response.status_code == 422, (value, response.text)
        assert response.json()["parameter"] == "cursor"


@pytest.mark.parametrize("name", ["Ana\x00", "Ana\ud800"], ids=["nul", "lone-surrogate"])
async def test_a_cursor_holding_text_the_database_cannot_store_is_a_422(
    client: httpx.AsyncClient, name: str
) -> None:
    """A name-sorted list's cursor carries a name back to the database: one that
    PostgreSQL cannot take is refused, not sent."""
    owner = await signup(client)
    seeker = await create_client(client, owner)
    await create_contact(client, owner, seeker["id"], full_name="Ana")
    response = await client.get(
        f"/api/v1/clients/{seeker['id']}/contacts",
        params={"sort": "name", "cursor": _cursor([name, {"uuid": str(uuid.uuid4())}])},
        headers=owner.headers,
    )
    assert response.status_code == 422, response.text
    assert response.json()["parameter"] == "cursor"


async def test_limit_above_the_maximum_is_refused(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    for limit in (500, 0, -1):
        response = await client.get(
            "/api/v1/clients", params={"limit": limit}, headers=owner.headers
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["loc"] == ["query", "limit"]


class _Kind(StrEnum):
    first = "first"
    second = "second"


class _Row(BaseModel):
    id: uuid.UUID
    parent_id: uuid.UUID | None
    kind: _Kind
    maybe_kind: _Kind | None
    at: datetime
    maybe_at: datetime | None
    tags: list[str]
    note: str | None
    count: int | None
    flag: bool


class _DriverUuid(uuid.UUID):
    """What asyncpg returns for a uuid column: a subclass."""


def test_a_page_writer_writes_rows_as_the_model_would() -> None:
    """Plain rows (enum columns as their text, the driver's own UUIDs) come out byte for
    byte as `Page[model]` writes the validated models."""
    every_ascii = "".join(chr(i) for i in range(128))
    rows: list[dict[str, Any]] = [
        {
            "id": _DriverUuid(str(uuid.uuid4())),
            "parent_id": uuid.uuid4(),
            "kind": "first",
            "maybe_kind": None,
            "at": datetime(2026, 3, 29, 1, 30, 0, 123456, tzinfo=UTC),
            "maybe_at": datetime(2026, 3, 29, 2, 0, tzinfo=UTC),  # no microseconds
            "tags": ["a", "é", "日本", "😀"],
            "note": every_ascii + "\u2028\u2029 and more",
            "count": 2**40,
            "flag": True,
        },
        {
            "id": uuid.uuid4(),
            "parent_id": None,
            "kind": _Kind.second,
            "maybe_kind": "second",
            "at": datetime(1970, 1, 1, tzinfo=UTC),
            "maybe_at": None,
            "tags": [],
            "note": None,
            "count": None,
            "flag": False,
        },
    ]
    adapter = TypeAdapter(Page[_Row])
    expected = adapter.dump_json(adapter.validate_python({"data": rows, "next_cursor": "c"}))
    assert PageWriter(_Row).json(rows, "c") == expected
    assert PageWriter(_Row).json([], None) == b'{"data":[],"next_cursor":null}'


def test_a_page_writer_refuses_a_model_it_would_write_differently() -> None:
    class Aliased(BaseModel):
        name: str = Field(serialization_alias="fullName")

    class Serialized(BaseModel):
        name: str

        @field_serializer("name")
        def shout(self, value: str) -> str:
            return value.upper()

    class Fractional(BaseModel):
        ratio: float | None

    for model in (Aliased, Serialized, Fractional):
        with pytest.raises(TypeError, match="does not write its fields"):
            PageWriter(model)
