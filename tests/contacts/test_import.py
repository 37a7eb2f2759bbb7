import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.contacts import import_csv
from app.core.config import Settings
from app.core.time import utc_now
from app.db.tenancy import bind_organization
from app.models import Contact, Organization
from tests.factories.cast import Cast
from tests.factories.clients import create_client
from tests.factories.identity import Actor, signup

# LinkedIn's export as downloaded: notes before the column row, quoted commas,
# missing emails, accents.
LINKEDIN_EXPORT = (Path(__file__).parent / "data" / "linkedin-Connections.csv").read_bytes()
TEMPLATE_HEADER = (
    "full_name,email,phone,linkedin_url,company_name,title,relationship,source,tags,notes\n"
)


async def upload(
    http: httpx.AsyncClient,
    actor: Actor,
    client_id: str,
    content: bytes,
    filename: str = "contacts.csv",
) -> httpx.Response:
    return await http.post(
        f"/api/v1/clients/{client_id}/contacts/import",
        files={"file": (filename, content, "text/csv")},
        headers=actor.headers,
    )


async def contacts_of(db: AsyncSession, owner: Actor, client_id: str) -> list[Contact]:
    await bind_organization(db, owner.organization_id)
    rows = await db.execute(
        select(Contact)
        .where(Contact.client_id == uuid.UUID(client_id))
        .order_by(Contact.full_name)
        .execution_options(populate_existing=True)
    )
    contacts = list(rows.scalars())
    await db.commit()
    return contacts


async def add_contact(db: AsyncSession, owner: Actor, client_id: str, **fields: Any) -> uuid.UUID:
    await bind_organization(db, owner.organization_id)
    contact = Contact(
        organization_id=owner.organization_id, client_id=uuid.UUID(client_id), **fields
    )
    db.add(contact)
    await db.commit()
    return contact.id


async def test_the_linkedin_export_imports_as_downloaded(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)

    response = await upload(client, owner, seeker["id"], LINKEDIN_EXPORT)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["created"] == 5
    assert body["skipped_duplicates"] == []
    assert body["errors"] == []
    contacts = await contacts_of(db, owner, seeker["id"])
    assert sorted(str(c.id) for c in contacts) == sorted(body["created_ids"])
    by_name = {c.full_name: c for c in contacts}
    assert set(by_name) == {"Ana Lópes", "Bo Chen", "Chidi Okafor", "Dana O'Neil", "Émile Durand"}
    assert by_name["Bo Chen"].company_name == "Contoso, Ltd."
    assert by_name["Bo Chen"].email is None
    assert by_name["Émile Durand"].title == "Product Designer, Senior"
    assert by_name["Ana Lópes"].linkedin_normalized == "linkedin.com/in/ana-lopes-1a2b3c"
    assert by_name["Ana Lópes"].connected_on == date(2026, 11, 14)
    assert by_name["Ana Lópes"].notes is None
    assert {c.imported for c in contacts} == {True}
    assert {c.source for c in contacts} == {"linkedin"}
    assert {c.depth for c in contacts} == {0}
    assert {c.referred_by_id for c in contacts} == {None}


async def test_importing_the_same_export_twice_skips_everyone_the_second_time(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    first = await upload(client, owner, seeker["id"], LINKEDIN_EXPORT)

    again = await upload(client, owner, seeker["id"], LINKEDIN_EXPORT)

    assert again.status_code == 200
    body = again.json()
    assert body["created"] == 0
    assert [s["row"] for s in body["skipped_duplicates"]] == [5, 6, 7, 8, 9]
    assert {s["existing_contact_id"] for s in body["skipped_duplicates"]} == set(
        first.json()["created_ids"]
    )


async def test_a_byte_order_mark_and_windows_line_endings_are_fine(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    content = (
        "\ufeff"
        + TEMPLATE_HEADER
        + "Zoë Kraus,zoe@example.de,+49 30 1234,,Acme GmbH,CTO,work,event,berlin; cto ;berlin,"
        + '"Met at a meetup, said to follow up"\n'
    ).replace("\n", "\r\n")

    response = await upload(client, owner, seeker["id"], content.encode("utf-8"))

    assert response.status_code == 200, response.text
    assert response.json()["created"] == 1
    [contact] = await contacts_of(db, owner, seeker["id"])
    assert contact.full_name == "Zoë Kraus"
    assert contact.relationship == "work"
    assert contact.source == "event"
    assert contact.tags == ["berlin", "cto"]
    assert contact.notes == "Met at a meetup, said to follow up"
    assert contact.email_normalized == "zoe@example.de"


async def test_bad_rows_are_reported_and_good_rows_still_import(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    content = (
        "full_name,email,relationship\n"  # row 1
        "Ana Lopes,ana@example.org,work\n"  # row 2
        ",nameless@example.org,work\n"  # row 3: no name
        "Bo Chen,not-an-email,social\n"  # row 4
        "\n"  # row 5: blank, ignored
        "Chidi Okafor,chidi@example.com,enemy\n"  # row 6: unknown relationship
        "Dana O'Neil,dana@example.com,Professional Association\n"  # row 7
        "Emil,emil@example.com,work,surplus\n"  # row 8: unquoted comma
    )

    response = await upload(client, owner, seeker["id"], content.encode())

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["created"] == 2
    assert [e["row"] for e in body["errors"]] == [3, 4, 6, 8]
    reasons = {e["row"]: e["reason"] for e in body["errors"]}
    assert "name" in reasons[3]
    assert "not-an-email" in reasons[4]
    assert "enemy" in reasons[6]
    assert "quoted" in reasons[8]
    contacts = await contacts_of(db, owner, seeker["id"])
    assert [(c.full_name, c.relationship) for c in contacts] == [
        ("Ana Lopes", "work"),
        ("Dana O'Neil", "professional_association"),
    ]


async def test_duplicates_in_the_file_and_against_existing_contacts_are_skipped(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    other = await create_client(client, owner)
    existing = await add_contact(
        db,
        owner,
        seeker["id"],
        full_name="Ana Lopes",
        email="Ana@Example.org",
        email_normalized="ana@example.org",
    )
    # The same person in another client's network is not a duplicate for this one.
    await add_contact(
        db,
        owner,
        other["id"],
        full_name="Bo Chen",
        linkedin_url="https://linkedin.com/in/bochen",
        linkedin_normalized="linkedin.com/in/bochen",
    )
    content = (
        TEMPLATE_HEADER
        + " Ana L. , ANA@example.org ,,,,,,,,\n"  # row 2: existing by email
        + "Bo Chen,,,https://www.linkedin.com/in/bochen/,,,,,,\n"  # row 3: new
        + "Bo C.,,,http://linkedin.com/in/BoChen?trk=x,,,,,,\n"  # row 4: same as row 3
        + "Chidi,chidi@example.com,,,,,,,,\n"  # row 5: new
        + "Chidi Okafor,Chidi@Example.com,,,,,,,,\n"  # row 6: same as row 5
    )

    response = await upload(client, owner, seeker["id"], content.encode())

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["created"] == 2
    bo_id, chidi_id = body["created_ids"]
    assert body["skipped_duplicates"] == [
        {
            "row": 2,
            "existing_contact_id": str(existing),
            "reason": "same email as an existing contact",
        },
        {
            "row": 4,
            "existing_contact_id": bo_id,
            "reason": "same LinkedIn URL as row 3 of this file",
        },
        {"row": 6, "existing_contact_id": chidi_id, "reason": "same email as row 5 of this file"},
    ]
    assert body["errors"] == []
    assert len(await contacts_of(db, owner, seeker["id"])) == 3


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"name;email\nAna;ana@example.org\n", "No column row"),
        (b"Notes:\nnothing to see here\n", "No column row"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not CSV"),
        (b"   \n", "empty"),
        (b"full_name,email,favourite_colour\nAna,,blue\n", "favourite_colour"),
    ],
)
async def test_a_file_that_is_not_a_contact_csv_is_refused_with_the_reason(
    client: httpx.AsyncClient, content: bytes, why: str
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)

    response = await upload(client, owner, seeker["id"], content)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert why in response.json()["detail"]


async def test_a_file_with_too_many_rows_is_refused_naming_the_limit(
    client: httpx.AsyncClient, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_csv, "MAX_ROWS", 3)
    owner = await signup(client)
    seeker = await create_client(client, owner)
    rows = "".join(f"Person {n},person{n}@example.com\n" for n in range(4))

    response = await upload(client, owner, seeker["id"], f"full_name,email\n{rows}".encode())

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert "3 data rows" in response.json()["detail"]
    assert response.json()["limit_rows"] == 3
    assert await contacts_of(db, owner, seeker["id"]) == []


async def test_a_file_over_the_size_limit_is_refused_naming_the_limit(
    client: httpx.AsyncClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The route's own check (the body size middleware keeps the limit it started with).
    monkeypatch.setattr(settings, "import_max_bytes", 2048)
    owner = await signup(client)
    seeker = await create_client(client, owner)
    content = b"full_name\n" + b"A very long name indeed\n" * 100

    response = await upload(client, owner, seeker["id"], content)

    assert response.status_code == 413
    assert "2,048 bytes" in response.json()["detail"]
    assert response.json()["limit_bytes"] == 2048


async def test_import_is_refused_for_a_client_you_cannot_see(
    client: httpx.AsyncClient, db: AsyncSession, cast: Cast
) -> None:
    owner, coach, seeker = cast.owner, cast.coach, cast.client_login
    mine, theirs = cast.seeker, cast.other
    stranger = await signup(client, organization_name="Elsewhere")
    content = LINKEDIN_EXPORT

    for actor in (coach, seeker, stranger):
        assert (await upload(client, actor, theirs["id"], content)).status_code == 404
    assert await contacts_of(db, owner, theirs["id"]) == []
    # A client imports into their own network.
    assert (await upload(client, seeker, mine["id"], content)).json()["created"] == 5


async def test_the_upload_must_be_a_multipart_file(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)

    response = await client.post(
        f"/api/v1/clients/{seeker['id']}/contacts/import",
        json={"file": "full_name\nAna\n"},
        headers=owner.headers,
    )

    assert response.status_code == 422


def test_the_template_is_documented_in_the_openapi_description(app: Any) -> None:
    operation = app.openapi()["paths"]["/api/v1/clients/{client_id}/contacts/import"]["post"]
    for column in import_csv.TEMPLATE_COLUMNS:
        assert f"`{column}`" in operation["description"]
    assert "Connections.csv" in operation["description"]
    assert "413" in operation["responses"]


async def test_imported_contacts_follow_the_organizations_keep_in_touch_defaults(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    await bind_organization(db, owner.organization_id)
    organization = await db.get_one(Organization, owner.organization_id)
    organization.keep_in_touch_defaults = {"work": 30}
    await db.commit()
    before = utc_now()

    response = await upload(
        client, owner, seeker["id"], b"full_name,relationship\nAna,work\nBo,social\n"
    )

    assert response.status_code == 200, response.text
    ana, bo = await contacts_of(db, owner, seeker["id"])
    assert ana.next_touch_due_at is not None
    assert before + timedelta(days=30) <= ana.next_touch_due_at <= utc_now() + timedelta(days=30)
    assert bo.next_touch_due_at is None
