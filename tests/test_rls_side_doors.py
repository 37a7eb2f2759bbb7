"""Row-Level Security has no side doors: the settings a request sets to look something up
before it knows the organization (`app.user_id`, `app.lookup_id`, `app.lookup_email`)
let the API's role read the one row the lookup needs, and never update or delete a row
of another organization. Logins and their recovery codes, which belong to no
organization, show a request only its own login, its organization's members and the
login a sign-in names, and only its own login may be written.

Plain SQL as the API's role, with no filter of the application's: RLS alone.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pyotp
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from app.core.time import utc_now
from app.db.rls import TENANT_TABLES
from app.db.tenancy import bind_organization
from app.models import Event, WebhookAttempt, WebhookDelivery
from app.models.enums import Role, Scope
from tests.factories.clients import assign_coach
from tests.factories.contacts import create_contact
from tests.factories.identity import Actor, add_api_key, add_member, signup, unique_email
from tests.factories.webhooks import create_endpoint
from tests.interviews.pipeline_factories import create_company, create_interview, create_outreach

pytestmark = pytest.mark.usefixtures("postgres_only")

API = "/api/v1"
# Every table with an RLS policy keyed on the organization, and the column it keys on.
KEYED_TABLES: dict[str, str] = {
    "organizations": "id",
    **{table: "organization_id" for table in TENANT_TABLES},
}


@pytest.fixture
def postgres_only(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("Row-Level Security is PostgreSQL only")


@dataclass
class OtherOrganization:
    """Organization B, with at least one row in every tenant table."""

    owner: Actor
    coach: Actor
    lookup_ids: dict[str, uuid.UUID]  # per table with an id column: one of B's rows


async def _post(http: httpx.AsyncClient, actor: Actor, path: str, **request: Any) -> Any:
    headers = {**actor.headers, **request.pop("headers", {})}
    response = await http.post(API + path, headers=headers, **request)
    assert response.status_code in (200, 201), f"{path}: {response.text}"
    return response.json()


async def _organization_with_a_row_everywhere(
    http: httpx.AsyncClient, db: AsyncSession, owner_engine: AsyncEngine
) -> OtherOrganization:
    owner = await signup(http, organization_name="B")
    org = owner.organization_id
    coach = await add_member(http, db, org, Role.coach)
    # With an Idempotency-Key, so the stored response is one of B's rows too.
    client = await _post(
        http,
        owner,
        "/clients",
        json={"full_name": "Bea Seeker"},
        headers={"Idempotency-Key": f"b-{uuid.uuid4()}"},
    )
    await assign_coach(http, owner, client["id"], coach)
    contact = await create_contact(http, owner, client["id"])
    await _post(http, owner, f"/contacts/{contact['id']}/interactions", json={"kind": "call"})
    company = await create_company(http, owner, client["id"])
    await create_outreach(http, owner, client["id"], contact["id"])
    interview = await create_interview(http, owner, client["id"], contact_id=contact["id"])
    await _post(
        http, owner, f"/interviews/{interview['id']}/transitions", json={"to_stage": "scheduled"}
    )
    await _post(
        http, owner, "/question-templates", json={"category": "culture", "text": "Why here?"}
    )
    state = await http.put(
        f"{API}/agenda/items/find_person_at_company.{company['id']}/state",
        json={"status": "done"},
        headers=owner.headers,
    )
    assert state.status_code == 200, state.text
    invitation = await _post(
        http, owner, "/invitations", json={"email": unique_email("invitee"), "role": "coach"}
    )
    key = await add_api_key(db, org, [Scope.clients_read.value])
    feed = await _post(http, owner, "/me/calendar-feed")
    digest = await http.patch(
        f"{API}/me/digest", json={"frequency": "daily"}, headers=owner.headers
    )
    assert digest.status_code == 200, digest.text
    endpoint = await create_endpoint(http, owner, "https://93.184.216.34/hooks", enabled=False)
    await bind_organization(db, org)
    event = Event(organization_id=org, type="webhook.test", payload={})
    db.add(event)
    await db.flush()
    delivery = WebhookDelivery(
        organization_id=org,
        endpoint_id=uuid.UUID(endpoint["id"]),
        event_id=event.id,
        message_id=f"msg_{uuid.uuid4().hex}",
    )
    db.add(delivery)
    await db.flush()
    db.add(WebhookAttempt(organization_id=org, delivery_id=delivery.id, status_code=500))
    await db.commit()

    lookup_ids: dict[str, uuid.UUID] = {
        "invitations": uuid.UUID(invitation["id"]),
        "api_keys": uuid.UUID(hex=key.token.split("_")[1]),
        "refresh_tokens": uuid.UUID(hex=str(owner.refresh_token).partition(".")[0]),
        # The feed's URL ends in `<feed id hex>_<secret>.ics`.
        "calendar_feeds": uuid.UUID(hex=feed["url"].rpartition("/")[2].partition("_")[0]),
    }
    async with owner_engine.connect() as connection:  # the owner, past RLS
        for table, key_column in KEYED_TABLES.items():
            rows = await connection.execute(
                text(f"SELECT * FROM {table} WHERE {key_column} = :org LIMIT 1"),  # noqa: S608
                {"org": org},
            )
            row = rows.mappings().first()
            assert row is not None, f"arrange a row of B in {table}: the test covers every table"
            if "id" in row and table not in lookup_ids:
                lookup_ids[table] = row["id"]
    return OtherOrganization(owner=owner, coach=coach, lookup_ids=lookup_ids)


async def _set(connection: AsyncConnection, settings: Mapping[str, object]) -> None:
    for name, value in settings.items():
        await connection.execute(
            text("SELECT set_config(:name, :value, true)"), {"name": name, "value": str(value)}
        )


@dataclass
class Attempt:
    seen: int
    updated: int | str  # a row count, or the error that refused the statement
    deleted: int | str


async def _attempt(
    engine: AsyncEngine,
    settings: Mapping[str, object],
    *,
    select: str,
    update: str,
    delete: str,
    parameters: Mapping[str, object],
) -> Attempt:
    """SELECT, UPDATE and DELETE as the API's role under `settings`; nothing is kept."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            await _set(connection, settings)
            seen = (await connection.execute(text(select), parameters)).scalar_one()
            counts: list[int | str] = []
            for statement in (update, delete):
                savepoint = await connection.begin_nested()
                try:
                    counts.append((await connection.execute(text(statement), parameters)).rowcount)
                except DBAPIError as refused:
                    counts.append(str(refused.orig).splitlines()[0])
                await savepoint.rollback()
        finally:
            await transaction.rollback()
    return Attempt(seen=seen, updated=counts[0], deleted=counts[1])


def _lookups(other: OtherOrganization) -> dict[str, dict[str, object]]:
    """Every lookup setting, pointed at organization B's rows (and logins)."""
    lookups: dict[str, dict[str, object]] = {
        "no lookup": {},
        "app.user_id = B's owner": {"app.user_id": other.owner.user_id},
        "app.user_id = B's coach": {"app.user_id": other.coach.user_id},
        "app.lookup_email = B's owner": {"app.lookup_email": other.owner.email},
        "app.lookup_id = B's owner": {"app.lookup_id": other.owner.user_id},
    }
    for table, row_id in other.lookup_ids.items():
        lookups[f"app.lookup_id = a row of {table}"] = {"app.lookup_id": row_id}
    return lookups


def _readable_by_lookup(table: str, lookup: str) -> int:
    """What a SELECT-only lookup clause shows of B's rows, by design: at login, a
    member's membership of B and B itself; a refresh token, invitation or API key by its
    id, and a calendar feed by the id its URL carries. Nothing else of B, ever."""
    if lookup.startswith("app.user_id = B's") and table in ("organizations", "memberships"):
        return 1
    by_id = ("invitations", "api_keys", "refresh_tokens", "calendar_feeds")
    if table in by_id and lookup == f"app.lookup_id = a row of {table}":
        return 1
    return 0


async def test_a_lookup_reads_its_one_row_and_writes_no_row_of_another_organization(
    client: httpx.AsyncClient, db: AsyncSession, owner_engine: AsyncEngine, app: Any
) -> None:
    a = await signup(client, organization_name="A")
    b = await _organization_with_a_row_everywhere(client, db, owner_engine)
    engine: AsyncEngine = app.state.engine
    unexpected = []
    for table, key_column in KEYED_TABLES.items():
        statements = {
            "select": f"SELECT count(*) FROM {table} WHERE {key_column} = :b",  # noqa: S608
            "update": f"UPDATE {table} SET {key_column} = {key_column} WHERE {key_column} = :b",  # noqa: S608
            "delete": f"DELETE FROM {table} WHERE {key_column} = :b",  # noqa: S608
        }
        for bound in (None, a.organization_id):
            for lookup, settings in _lookups(b).items():
                if bound is not None:
                    settings = {"app.organization_id": bound, **settings}
                got = await _attempt(
                    engine, settings, **statements, parameters={"b": b.owner.organization_id}
                )
                expected = Attempt(seen=_readable_by_lookup(table, lookup), updated=0, deleted=0)
                if got != expected:
                    unexpected.append(
                        f"{table}, organization {'A' if bound else 'unset'}, {lookup}: "
                        f"{got} (expected {expected})"
                    )
    assert unexpected == [], "\n".join(unexpected)


async def test_a_login_is_seen_only_by_itself_its_organizations_and_a_sign_in_naming_it(
    client: httpx.AsyncClient, app: Any
) -> None:
    a = await signup(client, organization_name="A")
    b = await signup(client, organization_name="B")
    started = await client.post(f"{API}/me/mfa", headers=b.headers)
    assert started.status_code == 200, started.text
    confirmed = await client.post(
        f"{API}/me/mfa/confirm",
        json={"code": pyotp.TOTP(started.json()["secret"]).at(utc_now())},
        headers=b.headers,
    )
    assert confirmed.status_code == 200, confirmed.text
    engine: AsyncEngine = app.state.engine
    users = {
        "select": "SELECT count(*) FROM users WHERE id = :b",
        "update": "UPDATE users SET full_name = 'Hijacked' WHERE id = :b",
        "delete": "DELETE FROM users WHERE id = :b",
    }
    codes = {
        "select": "SELECT count(*) FROM mfa_recovery_codes WHERE user_id = :b",
        "update": "UPDATE mfa_recovery_codes SET used_at = now() WHERE user_id = :b",
        "delete": "DELETE FROM mfa_recovery_codes WHERE user_id = :b",
    }
    other_lookups: dict[str, dict[str, object]] = {
        "no lookup": {},
        "app.user_id = A's owner": {"app.user_id": a.user_id},
        "app.lookup_id = B's owner": {"app.lookup_id": b.user_id},
        "app.lookup_email = B's owner": {"app.lookup_email": b.email},
    }
    unexpected = []

    async def expect(label: str, settings: dict[str, object], table: str, want: Attempt) -> None:
        statements = users if table == "users" else codes
        got = await _attempt(engine, settings, **statements, parameters={"b": b.user_id})
        if got != want:
            unexpected.append(f"{table}, {label}: {got} (expected {want})")

    nothing = Attempt(seen=0, updated=0, deleted=0)
    for bound in (None, a.organization_id):
        for lookup, settings in other_lookups.items():
            if bound is not None:
                settings = {"app.organization_id": bound, **settings}
            label = f"organization {'A' if bound else 'unset'}, {lookup}"
            # A sign-in reads the login its email names; nothing else shows B's owner.
            readable = 1 if lookup.startswith("app.lookup_email") else 0
            await expect(label, settings, "users", Attempt(seen=readable, updated=0, deleted=0))
            await expect(label, settings, "mfa_recovery_codes", nothing)
    # B itself reads its members' logins, but writes none of them, nor sees their codes.
    in_b = {"app.organization_id": b.organization_id}
    await expect("organization B", in_b, "users", Attempt(seen=1, updated=0, deleted=0))
    await expect("organization B", in_b, "mfa_recovery_codes", nothing)
    # A login acting for itself (signed in, or being erased) reads and writes its own rows.
    itself = {"app.user_id": b.user_id}
    await expect("B's owner itself", itself, "users", Attempt(seen=1, updated=1, deleted=1))
    await expect(
        "B's owner itself", itself, "mfa_recovery_codes", Attempt(seen=10, updated=10, deleted=10)
    )
    assert unexpected == [], "\n".join(unexpected)

    # Nor can a login or a recovery code be written for anyone but the login acting.
    async with engine.connect() as connection, connection.begin():
        email = unique_email("smuggled")
        await _set(
            connection, {"app.organization_id": a.organization_id, "app.lookup_email": email}
        )
        with pytest.raises(DBAPIError, match="row-level security"):
            async with connection.begin_nested():
                await connection.execute(
                    text(
                        "INSERT INTO users (id, email, full_name, password_hash, created_at,"
                        " updated_at) VALUES (:id, :email, 'Smuggled', 'x', now(), now())"
                    ),
                    {"id": uuid.uuid4(), "email": email},
                )
        await _set(connection, {"app.user_id": a.user_id})
        with pytest.raises(DBAPIError, match="row-level security"):
            async with connection.begin_nested():
                await connection.execute(
                    text(
                        "INSERT INTO mfa_recovery_codes (id, user_id, code_hash, created_at)"
                        " VALUES (:id, :b, 'smuggled', now())"
                    ),
                    {"id": uuid.uuid4(), "b": b.user_id},
                )
        with pytest.raises(DBAPIError, match="row-level security"):
            async with connection.begin_nested():
                await connection.execute(
                    text("UPDATE users SET id = :b WHERE id = :a"),
                    {"a": a.user_id, "b": uuid.uuid4()},
                )
