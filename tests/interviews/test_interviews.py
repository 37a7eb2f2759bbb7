import asyncio
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.time import utc_now
from app.models.enums import Role
from tests.factories.cast import Cast
from tests.factories.clients import create_client
from tests.factories.contacts import create_chain, create_contact
from tests.factories.identity import add_api_key, add_member, signup
from tests.interviews.pipeline_factories import create_company, create_interview, hold, move


async def test_an_informational_interview_starts_requested_and_lasts_20_minutes(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    ana = await create_contact(client, owner, seeker["id"])
    interview = await create_interview(client, owner, seeker["id"], contact_id=ana["id"])
    assert interview["stage"] == "requested"
    assert interview["duration_minutes"] == 20
    assert interview["allowed_next_stages"] == ["scheduled", "cancelled", "no_show"]
    assert [(h["from_stage"], h["to_stage"]) for h in interview["stage_history"]] == [
        (None, "requested")
    ]
    read = await client.get(f"/api/v1/interviews/{interview['id']}", headers=owner.headers)
    assert read.status_code == 200


async def test_an_informational_interview_needs_a_contact(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    response = await client.post(
        f"/api/v1/clients/{seeker['id']}/interviews",
        json={"kind": "informational"},
        headers=owner.headers,
    )
    assert response.status_code == 422


async def test_an_illegal_move_answers_409_with_the_allowed_stages(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    ana = await create_contact(client, owner, seeker["id"])
    interview = await create_interview(client, owner, seeker["id"], contact_id=ana["id"])

    skipped = await move(client, owner, interview["id"], "followed_up")
    job_stage = await move(client, owner, interview["id"], "offer")

    assert skipped.status_code == 409
    assert skipped.json()["allowed"] == ["scheduled", "cancelled", "no_show"]
    assert job_stage.status_code == 409


async def test_holding_logs_a_meeting_and_following_up_a_thank_you(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    ana = await create_contact(client, owner, seeker["id"])
    interview = await create_interview(client, owner, seeker["id"], contact_id=ana["id"])
    met_at = utc_now() - timedelta(hours=3)

    held = await hold(client, owner, interview["id"], at=met_at.isoformat(), note="Went well")
    followed = await move(client, owner, interview["id"], "followed_up")

    assert held["held_at"] is not None
    assert followed.status_code == 200
    body = followed.json()
    assert body["thank_you_sent_at"] is not None
    assert body["allowed_next_stages"] == []
    history = body["stage_history"]
    assert [(h["from_stage"], h["to_stage"]) for h in history] == [
        (None, "requested"),
        ("requested", "scheduled"),
        ("scheduled", "held"),
        ("held", "followed_up"),
    ]
    assert history[2]["note"] == "Went well"
    assert {h["changed_by_user_id"] for h in history} == {str(owner.user_id)}
    touches = await client.get(f"/api/v1/contacts/{ana['id']}/interactions", headers=owner.headers)
    assert [(i["kind"], i["direction"]) for i in touches.json()["data"]] == [
        ("thank_you", "outbound"),
        ("meeting", "outbound"),
    ]


async def test_a_job_interview_goes_scheduled_held_then_an_outcome(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    interview = await create_interview(client, owner, seeker["id"], kind="job")
    assert interview["stage"] == "scheduled"
    assert interview["duration_minutes"] is None

    requested = await client.post(
        f"/api/v1/clients/{seeker['id']}/interviews",
        json={"kind": "job", "stage": "requested"},
        headers=owner.headers,
    )
    assert requested.status_code == 422
    assert (await move(client, owner, interview["id"], "held")).status_code == 200
    assert (await move(client, owner, interview["id"], "followed_up")).status_code == 409
    offer = await move(client, owner, interview["id"], "offer")
    assert offer.json()["stage"] == "offer"


async def test_an_api_key_transition_records_the_key_as_who(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    interview = await create_interview(client, owner, seeker["id"], kind="job")
    key = await add_api_key(db, owner.organization_id, ["contacts:write", "contacts:read"])
    moved = await move(client, key, interview["id"], "held")
    assert moved.status_code == 200
    last = moved.json()["stage_history"][-1]
    assert last["changed_by_user_id"] is None
    assert last["changed_by_api_key_id"] is not None


async def test_coach_notes_are_never_shown_to_or_written_by_the_client(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    mine = await create_client(client, owner)
    seeker = await add_member(client, db, owner.organization_id, Role.client, client_id=mine["id"])
    ana = await create_contact(client, owner, mine["id"])
    interview = await create_interview(
        client, owner, mine["id"], contact_id=ana["id"], coach_notes="Nervous about pay talk"
    )
    url = f"/api/v1/interviews/{interview['id']}"

    seen_by_client = await client.get(url, headers=seeker.headers)
    listed = await client.get(f"/api/v1/clients/{mine['id']}/interviews", headers=seeker.headers)
    write = await client.patch(url, json={"coach_notes": "mine now"}, headers=seeker.headers)
    own_notes = await client.patch(
        url, json={"notes": "Ask about mentoring"}, headers=seeker.headers
    )

    assert interview["coach_notes"] == "Nervous about pay talk"
    assert seen_by_client.json()["coach_notes"] is None
    assert listed.json()["data"][0]["coach_notes"] is None
    assert write.status_code == 403
    assert own_notes.status_code == 200
    assert own_notes.json()["coach_notes"] is None
    staff_view = await client.get(url, headers=owner.headers)
    assert staff_view.json()["coach_notes"] == "Nervous about pay talk"


async def test_referrals_extend_the_chain_from_the_interviewee(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    a, b = await create_chain(client, owner, seeker["id"], "A Root", "B Referred")
    interview = await create_interview(client, owner, seeker["id"], contact_id=b["id"])
    await hold(client, owner, interview["id"])

    response = await client.post(
        f"/api/v1/interviews/{interview['id']}/referrals",
        json={"contacts": [{"full_name": "C Suggested", "email": "c@example.com"}]},
        headers=owner.headers,
    )

    assert response.status_code == 200, response.text
    outcome = response.json()["referrals"][0]
    assert (outcome["outcome"], outcome["depth"]) == ("created", 2)
    c = await client.get(f"/api/v1/contacts/{outcome['contact_id']}", headers=owner.headers)
    assert c.json()["referred_by_id"] == b["id"]
    assert c.json()["source"] == "referral"
    chain = await client.get(
        f"/api/v1/contacts/{outcome['contact_id']}/chain", headers=owner.headers
    )
    assert [link["full_name"] for link in chain.json()["contacts"]] == [
        "A Root",
        "B Referred",
        "C Suggested",
    ]
    assert a["depth"] == 0


async def test_a_referral_matching_an_existing_contact_reuses_it(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    interviewee = await create_contact(client, owner, seeker["id"], full_name="Ivy")
    known = await create_contact(
        client, owner, seeker["id"], full_name="Known", linkedin_url="linkedin.com/in/known"
    )
    interview = await create_interview(client, owner, seeker["id"], contact_id=interviewee["id"])

    response = await client.post(
        f"/api/v1/interviews/{interview['id']}/referrals",
        json={
            "contacts": [
                {"full_name": "Known Again", "linkedin_url": "https://www.LinkedIn.com/in/Known/"}
            ]
        },
        headers=owner.headers,
    )

    assert response.status_code == 200, response.text
    outcome = response.json()["referrals"][0]
    assert (outcome["contact_id"], outcome["outcome"], outcome["depth"]) == (
        known["id"],
        "reused",
        1,
    )
    listed = await client.get(f"/api/v1/clients/{seeker['id']}/contacts", headers=owner.headers)
    assert len(listed.json()["data"]) == 2


async def test_an_existing_contact_moves_under_the_interviewee_unless_that_is_a_cycle(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    a, b = await create_chain(client, owner, seeker["id"], "A", "B")
    loose = await create_contact(client, owner, seeker["id"], full_name="Loose")
    interview = await create_interview(client, owner, seeker["id"], contact_id=b["id"])
    url = f"/api/v1/interviews/{interview['id']}/referrals"

    moved = await client.post(
        url, json={"existing_contact_ids": [loose["id"]]}, headers=owner.headers
    )
    again = await client.post(
        url, json={"existing_contact_ids": [loose["id"]]}, headers=owner.headers
    )
    cycle = await client.post(url, json={"existing_contact_ids": [a["id"]]}, headers=owner.headers)

    assert moved.json()["referrals"][0]["outcome"] == "moved"
    assert again.json()["referrals"][0]["outcome"] == "already_referred"
    assert cycle.status_code == 409
    root = await client.get(f"/api/v1/contacts/{a['id']}", headers=owner.headers)
    assert root.json()["referred_by_id"] is None


async def test_referrals_must_be_contacts_of_the_same_client(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    other = await create_client(client, owner)
    ivy = await create_contact(client, owner, seeker["id"])
    stranger = await create_contact(client, owner, other["id"])
    interview = await create_interview(client, owner, seeker["id"], contact_id=ivy["id"])
    response = await client.post(
        f"/api/v1/interviews/{interview['id']}/referrals",
        json={"existing_contact_ids": [stranger["id"]]},
        headers=owner.headers,
    )
    assert response.status_code == 422
    empty = await client.post(
        f"/api/v1/interviews/{interview['id']}/referrals", json={}, headers=owner.headers
    )
    assert empty.status_code == 422


async def test_interviews_of_other_clients_do_not_exist_for_coaches_and_clients(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    owner, coach, seeker = cast.owner, cast.coach, cast.client_login
    mine, theirs = cast.seeker, cast.other
    their_contact = await create_contact(client, owner, theirs["id"])
    hidden = await create_interview(client, owner, theirs["id"], contact_id=their_contact["id"])

    for actor in (coach, seeker, await signup(client)):
        assert (
            await client.get(f"/api/v1/interviews/{hidden['id']}", headers=actor.headers)
        ).status_code == 404
        assert (await move(client, actor, hidden["id"], "scheduled")).status_code == 404
        assert (
            await client.post(
                f"/api/v1/interviews/{hidden['id']}/referrals",
                json={"contacts": [{"full_name": "X"}]},
                headers=actor.headers,
            )
        ).status_code == 404
    own_contact = await create_contact(client, seeker, mine["id"])
    own = await create_interview(client, seeker, mine["id"], contact_id=own_contact["id"])
    assert (await move(client, seeker, own["id"], "scheduled")).status_code == 200


async def test_two_people_holding_the_same_meeting_at_once_log_it_once(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    ana = await create_contact(client, owner, seeker["id"])
    interview = await create_interview(
        client, owner, seeker["id"], contact_id=ana["id"], stage="scheduled"
    )

    responses = await asyncio.gather(
        *(move(client, owner, interview["id"], "held") for _ in range(3))
    )

    assert sorted(r.status_code for r in responses) == [200, 409, 409]
    touches = await client.get(f"/api/v1/contacts/{ana['id']}/interactions", headers=owner.headers)
    assert [i["kind"] for i in touches.json()["data"]] == ["meeting"]


async def test_a_refused_move_reads_an_informational_and_a_job_interview(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    ana = await create_contact(client, owner, seeker["id"])
    informational = await create_interview(client, owner, seeker["id"], contact_id=ana["id"])
    job = await create_interview(client, owner, seeker["id"], kind="job")

    refused = await move(client, owner, informational["id"], "followed_up")
    refused_job = await move(client, owner, job["id"], "offer")

    assert refused.json()["detail"].startswith("An informational interview cannot move")
    assert refused_job.json()["detail"].startswith("A job interview cannot move")


async def test_a_referral_is_created_at_its_company_with_its_role(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    other = await create_client(client, owner)
    acme = await create_company(client, owner, seeker["id"], name="Acme")
    elsewhere = await create_company(client, owner, other["id"], name="Elsewhere")
    ivy = await create_contact(client, owner, seeker["id"], full_name="Ivy")
    interview = await create_interview(client, owner, seeker["id"], contact_id=ivy["id"])
    url = f"/api/v1/interviews/{interview['id']}/referrals"

    response = await client.post(
        url,
        json={
            "contacts": [
                {
                    "full_name": "Sam Suggested",
                    "company_id": acme["id"],
                    "role_at_company": "hiring_manager",
                }
            ]
        },
        headers=owner.headers,
    )
    wrong_company = await client.post(
        url,
        json={"contacts": [{"full_name": "Nowhere", "company_id": elsewhere["id"]}]},
        headers=owner.headers,
    )
    wrong_role = await client.post(
        url,
        json={"contacts": [{"full_name": "Nobody", "role_at_company": "mascot"}]},
        headers=owner.headers,
    )

    assert response.status_code == 200, response.text
    sam_id = response.json()["referrals"][0]["contact_id"]
    sam = (await client.get(f"/api/v1/contacts/{sam_id}", headers=owner.headers)).json()
    assert (sam["company_id"], sam["role_at_company"], sam["referred_by_id"]) == (
        acme["id"],
        "hiring_manager",
        ivy["id"],
    )
    assert wrong_company.status_code == 422
    assert wrong_company.json()["errors"][0]["loc"][-1] == "company_id"
    assert wrong_role.status_code == 422
    listed = await client.get(f"/api/v1/clients/{seeker['id']}/contacts", headers=owner.headers)
    assert sorted(c["full_name"] for c in listed.json()["data"]) == ["Ivy", "Sam Suggested"]


async def test_an_informational_interview_keeps_its_contact(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    ana = await create_contact(client, owner, seeker["id"])
    interview = await create_interview(client, owner, seeker["id"], contact_id=ana["id"])

    cleared = await client.patch(
        f"/api/v1/interviews/{interview['id']}", json={"contact_id": None}, headers=owner.headers
    )

    assert cleared.status_code == 422, cleared.text
    assert cleared.json()["errors"][0]["loc"] == ["body", "contact_id"]
