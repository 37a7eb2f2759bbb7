"""A client with something of everything, built through the API, and the personal data
it holds (every string that must be gone after an erasure)."""

from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.factories.clients import create_client
from tests.factories.contacts import create_contact
from tests.factories.identity import Actor, unique_email
from tests.interviews.pipeline_factories import (
    create_company,
    create_interview,
    create_outreach,
    hold,
)

LOGIN_PASSWORD = "a login passphrase for grace"


@dataclass
class Dataset:
    client_id: str
    contact_id: str
    interview_id: str
    login_email: str
    personal: list[str] = field(default_factory=list)


async def rich_client(http: httpx.AsyncClient, owner: Actor, *, tag: str = "") -> Dataset:
    """`tag` makes every name unique (several datasets in one organization)."""
    email = unique_email("grace")
    grace = await create_client(
        http,
        owner,
        full_name=f"Grace Hopperton{tag}",
        email=email,
        headline="Rear admiral of compilers",
        notes="Coach note: nervous about interviews",
        target_roles=["Compiler whisperer"],
        locations=["Arlington"],
    )
    ada = await create_contact(
        http,
        owner,
        grace["id"],
        full_name=f"Ada Lovelaceworth{tag}",
        email=f"ada.lw{tag}@example.com",
        phone="+44 20 7946 0018",
        linkedin_url=f"https://www.linkedin.com/in/ada-lovelaceworth{tag}",
        company_name="Analytical Engines Ltd",
        title="Chief Enchantress",
        notes="Met at the Difference Engine meetup",
        tags=["numbers-lady"],
    )
    company = await create_company(
        http,
        owner,
        grace["id"],
        name="Acme",
        why_interested="Dream of Babbage",
        research_notes="Heard from Charles",
    )
    await create_outreach(
        http,
        owner,
        grace["id"],
        ada["id"],
        company_id=company["id"],
        subject="Coffee with Ada?",
        message="Dear Ada, would you spare 20 minutes",
        questions=["How did you start at Engines?"],
        status="sent",
    )
    logged = await http.post(
        f"/api/v1/contacts/{ada['id']}/interactions",
        json={"kind": "call", "summary": "Talked about punch cards"},
        headers=owner.headers,
    )
    assert logged.status_code == 201, logged.text
    interview = await create_interview(
        http,
        owner,
        grace["id"],
        contact_id=ada["id"],
        company_id=company["id"],
        location="Marylebone Road 12",
        agenda="Ask about the team",
        notes="She loves poetry",
        advice="Learn Bernoulli numbers",
        coach_notes="Coach: push for a referral",
        questions=["What surprised you?"],
    )
    await hold(http, owner, interview["id"], note="Went well at the tea room")
    referred = await http.post(
        f"/api/v1/interviews/{interview['id']}/referrals",
        json={"contacts": [{"full_name": f"Charles Babbageford{tag}", "email": f"cb{tag}@ex.org"}]},
        headers=owner.headers,
    )
    assert referred.status_code in (200, 201), referred.text

    login_email = unique_email("grace-login")
    invited = await http.post(
        "/api/v1/invitations",
        json={"email": login_email, "role": "client", "client_id": grace["id"]},
        headers=owner.headers,
    )
    assert invited.status_code == 201, invited.text
    accepted = await http.post(
        f"/api/v1/invitations/{invited.json()['token']}/accept",
        json={"full_name": f"Grace Loginname{tag}", "password": LOGIN_PASSWORD},
    )
    assert accepted.status_code == 200, accepted.text

    return Dataset(
        client_id=grace["id"],
        contact_id=ada["id"],
        interview_id=interview["id"],
        login_email=login_email,
        personal=[
            "Hopperton",
            email,
            "Rear admiral",
            "nervous about interviews",
            "Compiler whisperer",
            "Arlington",
            "Lovelaceworth",
            f"ada.lw{tag}@example.com",
            "7946 0018",  # the phone; four digits alone also turn up in ids and times
            "ada-lovelaceworth",
            "Analytical Engines",
            "Chief Enchantress",
            "Difference Engine",
            "numbers-lady",
            "Dream of Babbage",
            "Heard from Charles",
            "Coffee with Ada",
            "spare 20 minutes",
            "How did you start",
            "punch cards",
            "Marylebone",
            "Ask about the team",
            "loves poetry",
            "Bernoulli",
            "push for a referral",
            "What surprised you",
            "tea room",
            "Babbageford",
            f"cb{tag}@ex.org",
            login_email,
            "Loginname",
        ],
    )


async def export_of(
    http: httpx.AsyncClient, actor: Actor, client_id: str, **params: Any
) -> httpx.Response:
    return await http.get(
        f"/api/v1/clients/{client_id}/export", params=params, headers=actor.headers
    )
