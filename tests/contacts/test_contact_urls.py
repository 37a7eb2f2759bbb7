"""Web addresses (a contact's `linkedin_url`, a company's `website`) are parsed as URLs:
what is not an http(s) address with a host is a 422 naming the field, never a 500."""

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories.clients import create_client
from tests.factories.contacts import create_contact, stored_contacts
from tests.factories.identity import signup
from tests.interviews.pipeline_factories import create_company

NOT_WEB_ADDRESSES = {
    "unclosed-bracket": "https://[www.linkedin.com/in/ada",
    "bracket-in-host": "https://linkedin.com]/in/ada",
    "bracket-in-path": "https://www.linkedin.com/in/ada]",
    "not-ipv6-in-brackets": "https://[linkedin.com]/in/ada",
    "fullwidth-number-sign": "https://www.linkedin\uff03.com/in/ada",
    "space": "https://www.linkedin.com/in/ada lovelace",
    "control-character": "https://www.linkedin.com/in/ada\x01",
    "javascript": "javascript:alert(1)",
    "ftp": "ftp://files.example.com/ada",
    "credentials": "https://ada:secret@www.linkedin.com/in/ada",
    "no-host": "https:///in/ada",
    "port-out-of-range": "https://www.linkedin.com:99999/in/ada",
    "overlong": "https://www.linkedin.com/in/" + "a" * 480,
}


@pytest.mark.parametrize("url", NOT_WEB_ADDRESSES.values(), ids=NOT_WEB_ADDRESSES.keys())
async def test_a_linkedin_url_that_is_not_a_web_address_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, url: str
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    ada = await create_contact(client, owner, seeker["id"], full_name="Ada")

    created = await client.post(
        f"/api/v1/clients/{seeker['id']}/contacts",
        json={"full_name": "Bo", "linkedin_url": url},
        headers=owner.headers,
    )
    changed = await client.patch(
        f"/api/v1/contacts/{ada['id']}", json={"linkedin_url": url}, headers=owner.headers
    )

    for response in (created, changed):
        assert response.status_code == 422, response.text
        assert [e["loc"] for e in response.json()["errors"]] == [["body", "linkedin_url"]]
    stored = await stored_contacts(db, owner.organization_id, seeker["id"])
    assert [(c.full_name, c.linkedin_url) for c in stored.values()] == [("Ada", None)]


@pytest.mark.parametrize("url", NOT_WEB_ADDRESSES.values(), ids=NOT_WEB_ADDRESSES.keys())
async def test_a_company_website_that_is_not_a_web_address_is_refused(
    client: httpx.AsyncClient, url: str
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    acme = await create_company(client, owner, seeker["id"], website="https://acme.example")

    created = await client.post(
        f"/api/v1/clients/{seeker['id']}/companies",
        json={"name": "Globex", "website": url},
        headers=owner.headers,
    )
    changed = await client.patch(
        f"/api/v1/companies/{acme['id']}", json={"website": url}, headers=owner.headers
    )

    for response in (created, changed):
        assert response.status_code == 422, response.text
        assert [e["loc"] for e in response.json()["errors"]] == [["body", "website"]]
    read = await client.get(f"/api/v1/companies/{acme['id']}", headers=owner.headers)
    assert read.json()["website"] == "https://acme.example"


@pytest.mark.parametrize(
    ("typed", "stored", "profile"),
    [
        (
            "https://www.LinkedIn.com/in/Jane-Doe/?trk=x",
            "https://www.linkedin.com/in/Jane-Doe/?trk=x",
            "linkedin.com/in/jane-doe",
        ),
        ("linkedin.com/in/ADA-L/", "https://linkedin.com/in/ADA-L/", "linkedin.com/in/ada-l"),
        ("HTTP://m.linkedin.com/pub/bo", "http://m.linkedin.com/pub/bo", "linkedin.com/pub/bo"),
        ("https://[2001:db8::1]/ada", "https://[2001:db8::1]/ada", "[2001:db8::1]/ada"),
        ("https://bücher.example/Ana", "https://bücher.example/Ana", "bücher.example/ana"),
    ],
)
async def test_a_web_address_is_stored_with_its_profile_normalised(
    client: httpx.AsyncClient, db: AsyncSession, typed: str, stored: str, profile: str
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    ada = await create_contact(client, owner, seeker["id"], linkedin_url=typed)
    assert ada["linkedin_url"] == stored
    stored_rows = await stored_contacts(db, owner.organization_id, seeker["id"])
    assert [c.linkedin_normalized for c in stored_rows.values()] == [profile]


async def test_an_empty_linkedin_url_means_none(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    ada = await create_contact(
        client, owner, seeker["id"], linkedin_url="https://www.linkedin.com/in/ada"
    )
    cleared = await client.patch(
        f"/api/v1/contacts/{ada['id']}", json={"linkedin_url": "  "}, headers=owner.headers
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["linkedin_url"] is None


async def test_an_imported_row_with_a_broken_linkedin_url_is_reported(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    csv = b"full_name,linkedin_url\nAda,https://[www.linkedin.com/in/ada\nBo,linkedin.com/in/bo\n"
    response = await client.post(
        f"/api/v1/clients/{seeker['id']}/contacts/import",
        files={"file": ("contacts.csv", csv, "text/csv")},
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["created"] == 1
    assert [(row["row"], "linkedin_url" in row["reason"]) for row in report["errors"]] == [
        (2, True)
    ]
