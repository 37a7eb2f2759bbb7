import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import Role
from app.questions.service import DEFAULT_QUESTIONS
from tests.factories.clients import create_client
from tests.factories.contacts import create_contact
from tests.factories.identity import add_member, signup
from tests.interviews.pipeline_factories import create_interview, create_outreach

URL = "/api/v1/question-templates"


async def test_a_new_organization_starts_with_the_default_questions(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    first = await client.get(URL, params={"limit": 200}, headers=owner.headers)
    again = await client.get(URL, params={"limit": 200}, headers=owner.headers)
    assert first.status_code == 200
    assert len(first.json()["data"]) == len(DEFAULT_QUESTIONS)
    assert first.json()["data"] == again.json()["data"]
    categories = {q["category"] for q in first.json()["data"]}
    assert {"company", "culture", "contacts", "advice"} <= categories


async def test_custom_questions_come_on_top_of_the_defaults(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    created = await client.post(
        URL, json={"category": "role", "text": "What would I own?"}, headers=owner.headers
    )
    assert created.status_code == 201
    listed = await client.get(URL, params={"limit": 200}, headers=owner.headers)
    assert len(listed.json()["data"]) == len(DEFAULT_QUESTIONS) + 1


async def test_deleted_defaults_do_not_come_back(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    questions = (await client.get(URL, params={"limit": 200}, headers=owner.headers)).json()
    for question in questions["data"]:
        deleted = await client.delete(f"{URL}/{question['id']}", headers=owner.headers)
        assert deleted.status_code == 204
    assert (await client.get(URL, headers=owner.headers)).json()["data"] == []
    gone = await client.patch(
        f"{URL}/{questions['data'][0]['id']}", json={"text": "x"}, headers=owner.headers
    )
    assert gone.status_code == 404


async def test_staff_edit_the_bank_and_clients_only_read_it(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker_record = await create_client(client, owner)
    coach = await add_member(client, db, owner.organization_id, Role.coach)
    seeker = await add_member(
        client, db, owner.organization_id, Role.client, client_id=seeker_record["id"]
    )

    created = await client.post(
        URL, json={"category": "culture", "text": "How do teams disagree?"}, headers=coach.headers
    )
    assert created.status_code == 201
    question = created.json()
    edited = await client.patch(
        f"{URL}/{question['id']}",
        json={"text": "How do teams handle disagreement?"},
        headers={**coach.headers, "If-Match": '"1"'},
    )
    assert edited.status_code == 200
    culture = await client.get(URL, params={"category": "culture"}, headers=seeker.headers)
    assert "How do teams handle disagreement?" in [q["text"] for q in culture.json()["data"]]
    assert all(q["category"] == "culture" for q in culture.json()["data"])

    refused = [
        await client.post(URL, json={"category": "other", "text": "x"}, headers=seeker.headers),
        await client.patch(f"{URL}/{question['id']}", json={"text": "x"}, headers=seeker.headers),
        await client.delete(f"{URL}/{question['id']}", headers=seeker.headers),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403]


async def test_another_organizations_questions_do_not_exist(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    outsider = await signup(client)
    created = await client.post(
        URL, json={"category": "advice", "text": "Ours only?"}, headers=owner.headers
    )
    question_id = created.json()["id"]
    theirs = await client.get(URL, params={"limit": 200}, headers=outsider.headers)
    assert question_id not in [q["id"] for q in theirs.json()["data"]]
    assert (
        await client.patch(f"{URL}/{question_id}", json={"text": "x"}, headers=outsider.headers)
    ).status_code == 404
    assert (
        await client.delete(f"{URL}/{question_id}", headers=outsider.headers)
    ).status_code == 404


async def test_outreach_and_interviews_copy_questions_from_the_bank(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    ana = await create_contact(client, owner, seeker["id"])
    bank = (await client.get(URL, params={"category": "contacts"}, headers=owner.headers)).json()
    chosen = [q["id"] for q in bank["data"][:2]]

    outreach = await create_outreach(
        client,
        owner,
        seeker["id"],
        ana["id"],
        questions=["Own question?"],
        question_template_ids=chosen,
    )
    interview = await create_interview(
        client, owner, seeker["id"], contact_id=ana["id"], question_template_ids=chosen[:1]
    )
    unknown = await client.post(
        f"/api/v1/clients/{seeker['id']}/interviews",
        json={
            "kind": "informational",
            "contact_id": ana["id"],
            "question_template_ids": [str(uuid.uuid4())],
        },
        headers=owner.headers,
    )

    texts = [q["text"] for q in bank["data"][:2]]
    assert outreach["questions"] == ["Own question?", *texts]
    assert interview["questions"] == texts[:1]
    assert unknown.status_code == 422
