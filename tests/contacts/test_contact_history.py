"""Loading a practice's history: backdated contacts, LinkedIn's "Connected On", imports marked."""

from datetime import date, timedelta
from pathlib import Path

import httpx

from app.core.time import utc_now
from tests.factories.clients import create_client
from tests.factories.contacts import create_contact
from tests.factories.identity import signup

LINKEDIN_EXPORT = (Path(__file__).parent / "data" / "linkedin-Connections.csv").read_bytes()


def _z(text: str) -> str:
    return text.replace("+00:00", "Z")


async def test_a_contact_can_be_added_as_of_when_the_client_really_met_them(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    met = utc_now() - timedelta(days=40)

    contact = await create_contact(
        client, owner, seeker["id"], created_at=met.isoformat(), keep_in_touch_days=30
    )

    assert contact["created_at"] == _z(met.isoformat())
    # The cadence counts from when they met, as it counts from creation today: overdue.
    assert contact["next_touch_due_at"] == _z((met + timedelta(days=30)).isoformat())
    listed = await client.get(
        f"/api/v1/clients/{seeker['id']}/contacts", params={"due": "true"}, headers=owner.headers
    )
    assert [c["id"] for c in listed.json()["data"]] == [contact["id"]]


async def test_a_contact_dated_in_the_future_is_refused_naming_the_field(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    url = f"/api/v1/clients/{seeker['id']}/contacts"
    later = utc_now() + timedelta(minutes=10)

    response = await client.post(
        url, json={"full_name": "Tomorrow", "created_at": later.isoformat()}, headers=owner.headers
    )

    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "created_at"]]
    # A laptop's clock a little ahead is tolerated.
    skewed = (utc_now() + timedelta(minutes=4)).isoformat()
    await create_contact(client, owner, seeker["id"], created_at=skewed)
    for bad in ("2026-11-01T10:00:00", "0001-01-01T00:00:00+01:00", 1700000000):
        refused = await client.post(
            url, json={"full_name": "Odd", "created_at": bad}, headers=owner.headers
        )
        assert refused.status_code == 422, (bad, refused.text)


async def test_the_linkedin_connection_date_is_kept_as_a_date(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)

    response = await client.post(
        f"/api/v1/clients/{seeker['id']}/contacts/import",
        files={"file": ("Connections.csv", LINKEDIN_EXPORT, "text/csv")},
        headers=owner.headers,
    )

    assert response.status_code == 200, response.text
    listed = await client.get(f"/api/v1/clients/{seeker['id']}/contacts", headers=owner.headers)
    by_name = {c["full_name"]: c for c in listed.json()["data"]}
    assert {name: c["connected_on"] for name, c in by_name.items()} == {
        "Ana Lópes": "2026-11-14",
        "Bo Chen": "2026-10-02",
        "Chidi Okafor": "2025-08-19",
        "Dana O'Neil": "2024-01-07",
        "Émile Durand": "2023-03-30",
    }
    # The date is a column now, not a line of notes; imported contacts say so.
    assert {c["notes"] for c in by_name.values()} == {None}
    assert {c["imported"] for c in by_name.values()} == {True}
    one = await client.get(f"/api/v1/contacts/{by_name['Bo Chen']['id']}", headers=owner.headers)
    assert one.json()["connected_on"] == "2026-10-02"
    assert one.json()["imported"] is True


async def test_a_bad_connection_date_in_an_export_is_reported_for_its_row(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    content = (
        "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
        "Ana,Lopes,https://www.linkedin.com/in/ana,,,,12 Mar 2024\n"
        "Bo,Chen,https://www.linkedin.com/in/bo,,,,sometime\n"
        "Cy,Far,https://www.linkedin.com/in/cy,,,,01 Jan 2999\n"
        "Di,None,https://www.linkedin.com/in/di,,,,\n"
    )

    response = await client.post(
        f"/api/v1/clients/{seeker['id']}/contacts/import",
        files={"file": ("Connections.csv", content.encode(), "text/csv")},
        headers=owner.headers,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["created"] == 2
    assert [e["row"] for e in body["errors"]] == [3, 4]
    assert "Connected On" in body["errors"][0]["reason"]


async def test_the_connection_date_is_set_on_create_and_update_and_never_in_the_future(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    contact = await create_contact(client, owner, seeker["id"], connected_on="2024-03-12")
    assert contact["connected_on"] == "2024-03-12"
    assert contact["imported"] is False
    url = f"/api/v1/contacts/{contact['id']}"

    changed = await client.patch(url, json={"connected_on": "2025-01-02"}, headers=owner.headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["connected_on"] == "2025-01-02"
    cleared = await client.patch(url, json={"connected_on": None}, headers=owner.headers)
    assert cleared.json()["connected_on"] is None

    future = (date.today() + timedelta(days=3)).isoformat()
    for body in ({"connected_on": future}, {"connected_on": "12 Mar 2024"}, {"imported": True}):
        refused = await client.patch(url, json=body, headers=owner.headers)
        assert refused.status_code == 422, (body, refused.text)
    refused = await client.post(
        f"/api/v1/clients/{seeker['id']}/contacts",
        json={"full_name": "Later", "connected_on": future},
        headers=owner.headers,
    )
    assert refused.status_code == 422
    assert [e["loc"] for e in refused.json()["errors"]] == [["body", "connected_on"]]
