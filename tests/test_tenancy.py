"""Tenancy fails closed: the ORM hook refuses unscoped queries, and on PostgreSQL
Row-Level Security hides other organizations even when the filter is left out."""

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import String, bindparam, column, exists, func, literal_column, select, text, values
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import with_loader_criteria

from app.db.session import create_sessionmaker
from app.db.tenancy import (
    TenancyError,
    bind_organization,
    prepare_read,
    run_prepared,
    unscoped,
)
from app.models import Client, Contact
from tests.factories.clients import create_client
from tests.factories.identity import Actor, signup


async def _two_organizations(http: httpx.AsyncClient) -> tuple[Actor, set[str], Actor, set[str]]:
    a, b = await signup(http, organization_name="A"), await signup(http, organization_name="B")
    a_ids = {(await create_client(http, a))["id"] for _ in range(2)}
    b_ids = {(await create_client(http, b))["id"] for _ in range(2)}
    return a, a_ids, b, b_ids


async def test_querying_a_tenant_table_without_an_organization_raises(db: AsyncSession) -> None:
    with pytest.raises(TenancyError):
        await db.execute(select(Client))
    with pytest.raises(TenancyError):
        await db.get(Client, uuid.uuid4())


async def test_bound_session_sees_only_its_organizations_clients(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    a, a_ids, b, b_ids = await _two_organizations(client)
    await bind_organization(db, a.organization_id)
    seen = {str(c.id) for c in (await db.execute(select(Client))).scalars()}
    # The owner session bypasses RLS on PostgreSQL: this is the ORM hook alone.
    assert seen == a_ids
    assert not seen & b_ids
    assert all(c.organization_id == a.organization_id for c in (await db.scalars(select(Client))))

    # Rebinding the same session re-scopes the same (cached) statement.
    await bind_organization(db, b.organization_id)
    assert {str(c.id) for c in await db.scalars(select(Client))} == b_ids


async def test_aggregates_and_subqueries_are_scoped_too(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """`count(*) FROM clients` names no entity in its columns; it must still be scoped."""
    a, a_ids, _b, _b_ids = await _two_organizations(client)
    with pytest.raises(TenancyError):
        await db.execute(select(func.count()).select_from(Client))

    await bind_organization(db, a.organization_id)
    assert await db.scalar(select(func.count()).select_from(Client)) == len(a_ids)
    ids = select(Client.id).subquery()
    assert await db.scalar(select(func.count()).select_from(ids)) == len(a_ids)
    in_subquery = select(func.count(literal_column("1"))).where(
        literal_column("1") == 1, exists(select(Client.id))
    )
    assert await db.scalar(in_subquery) == 1


async def test_a_prepared_read_runs_scoped_to_the_sessions_organization(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """Built once, run for one organization and then another: each run sees its own."""
    a, a_ids, b, b_ids = await _two_organizations(client)
    read = prepare_read(select(Client.id).where(Client.full_name != bindparam("excluded")))
    with pytest.raises(TenancyError):
        await run_prepared(db, read, {"excluded": ""})

    await bind_organization(db, a.organization_id)
    # The owner session bypasses RLS on PostgreSQL: these are the compiled-in criteria.
    assert {str(i) for i in (await run_prepared(db, read, {"excluded": ""})).scalars()} == a_ids
    await bind_organization(db, b.organization_id)
    assert {str(i) for i in (await run_prepared(db, read, {"excluded": ""})).scalars()} == b_ids


def test_a_prepared_read_may_not_hold_a_requests_value() -> None:
    """A value written into a statement built once would be served to the next caller."""
    with pytest.raises(ValueError, match="holds a value"):
        prepare_read(select(Client.id).where(Client.id == uuid.uuid4()))
    with pytest.raises(ValueError, match="holds a value"):
        prepare_read(select(Client.id).where(Client.full_name == bindparam("name", "Ada")))
    with pytest.raises(ValueError, match="holds a value"):
        prepare_read(select(Client.id).limit(10))
    # Values that SQLAlchemy keeps beside the parameters rather than in them.
    by_name = select(Client.id).where(Client.full_name == bindparam("name"))
    with pytest.raises(ValueError, match="holds a value"):
        prepare_read(by_name.params(name="Ada"))
    with pytest.raises(ValueError, match="holds a value"):
        prepare_read(select(Contact.id).where(Contact.client_id.in_(by_name.params(name="Ada"))))
    with pytest.raises(ValueError, match="holds a value"):
        prepare_read(by_name.options(with_loader_criteria(Client, Client.status == "active")))
    listed = values(column("name", String), name="listed").data([("Ada",)])
    with pytest.raises(ValueError, match="holds a value"):
        prepare_read(by_name.where(Client.full_name.in_(select(listed.c.name))))
    # Named constants are allowed when declared, and parameters always.
    named = select(Client.id).where(Client.full_name != bindparam("none", ""))
    prepare_read(named.limit(bindparam("limit")), constants=frozenset({"none"}))


async def _as_application(
    engine: AsyncEngine, organization_id: uuid.UUID | None, statement: Any
) -> set[str]:
    """Run `statement` as the API's role, with app.organization_id set (or not)."""
    async with engine.connect() as connection, connection.begin():
        if organization_id is not None:
            await connection.execute(
                text("SELECT set_config('app.organization_id', :org, true)"),
                {"org": str(organization_id)},
            )
        return {str(row[0]) for row in await connection.execute(statement)}


async def test_row_level_security_hides_other_organizations_without_any_filter(
    client: httpx.AsyncClient, app: Any, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("Row-Level Security is PostgreSQL only")
    engine: AsyncEngine = app.state.engine
    async with engine.connect() as connection:
        superuser, bypasses_rls, owns_clients = (
            await connection.execute(
                text(
                    "SELECT rolsuper, rolbypassrls,"
                    " (SELECT tableowner FROM pg_tables WHERE tablename = 'clients') = rolname"
                    " FROM pg_roles WHERE rolname = current_user"
                )
            )
        ).one()
    assert not superuser
    assert not bypasses_rls
    assert not owns_clients

    a, a_ids, b, b_ids = await _two_organizations(client)
    raw = text("SELECT id FROM clients")

    seen_by_a = await _as_application(engine, a.organization_id, raw)
    assert seen_by_a == a_ids
    assert await _as_application(engine, b.organization_id, raw) == b_ids
    assert await _as_application(engine, None, raw) == set()

    # Through the ORM with the tenancy hook switched off: RLS alone still holds.
    async with create_sessionmaker(engine)() as session:
        await session.execute(
            text("SELECT set_config('app.organization_id', :org, true)"),
            {"org": str(a.organization_id)},
        )
        orm_seen = {
            str(i) for i in await session.scalars(select(Client.id).execution_options(**unscoped()))
        }
    assert orm_seen == a_ids

    async with create_sessionmaker(engine)() as session:
        unset = await session.scalars(select(Client.id).execution_options(**unscoped()))
        assert list(unset) == []


async def test_row_level_security_refuses_writing_into_another_organization(
    client: httpx.AsyncClient, app: Any, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("Row-Level Security is PostgreSQL only")
    a, _, b, b_ids = await _two_organizations(client)
    sessionmaker = create_sessionmaker(app.state.engine)

    async with sessionmaker() as session:
        await bind_organization(session, a.organization_id)
        session.add(Client(organization_id=b.organization_id, full_name="Smuggled"))
        with pytest.raises(DBAPIError, match="row-level security"):
            await session.flush()

    async with sessionmaker() as session:
        await bind_organization(session, a.organization_id)
        with pytest.raises(DBAPIError, match="row-level security"):
            await session.execute(
                text("UPDATE clients SET organization_id = :b WHERE organization_id = :a"),
                {"a": str(a.organization_id), "b": str(b.organization_id)},
            )

    async with sessionmaker() as session:
        await bind_organization(session, b.organization_id)
        names = {c.full_name for c in await session.scalars(select(Client))}
        ids = {str(c.id) for c in await session.scalars(select(Client))}
    assert "Smuggled" not in names
    assert ids == b_ids


async def test_raw_sql_cannot_touch_another_organizations_rows(
    client: httpx.AsyncClient, app: Any, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("Row-Level Security is PostgreSQL only")
    a, _, b, b_ids = await _two_organizations(client)
    async with app.state.engine.connect() as connection, connection.begin():
        await connection.execute(
            text("SELECT set_config('app.organization_id', :org, true)"),
            {"org": str(a.organization_id)},
        )
        updated = await connection.execute(
            text("UPDATE clients SET full_name = 'hijacked' WHERE organization_id = :b"),
            {"b": str(b.organization_id)},
        )
        deleted = await connection.execute(
            text("DELETE FROM clients WHERE organization_id = :b"),
            {"b": str(b.organization_id)},
        )
    assert updated.rowcount == 0
    assert deleted.rowcount == 0
    assert (
        await _as_application(
            app.state.engine,
            b.organization_id,
            text("SELECT id FROM clients WHERE full_name <> 'hijacked'"),
        )
        == b_ids
    )
