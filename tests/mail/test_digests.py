"""Digests by email: due once per period per member, restart-safe, skipped when empty,
each showing what its member may see, and a one-click unsubscribe (RFC 8058)."""

import asyncio
import email.message
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core.config import Settings
from app.db.session import create_sessionmaker
from app.digests import send
from app.mail.transport import SmtpTransport
from tests.factories.cast import Cast, build_cast
from tests.factories.contacts import create_contact
from tests.factories.identity import Actor, signup
from tests.factories.traction import Clock, frozen_clock
from tests.interviews.pipeline_factories import create_interview, hold
from tests.mail.conftest import Digests, Mailbox, Worker, text_of

MONDAY_9 = "2027-03-01T09:00:00+00:00"  # past Monday 8:00 in UTC, the organization's zone


@pytest.fixture
def clock() -> Iterator[Clock]:
    with frozen_clock(MONDAY_9) as frozen:
        yield frozen


def _html_of(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def _digests(mailbox: Mailbox, actor: Actor) -> list[email.message.EmailMessage]:
    assert actor.email is not None
    return mailbox.to(actor.email)


async def _meeting(http: httpx.AsyncClient, actor: Actor, client_id: Any, at: str) -> None:
    contact = await create_contact(
        http, actor, client_id, full_name="Kofi Mensah", company_name="Fabrikam"
    )
    await create_interview(
        http,
        actor,
        client_id,
        contact_id=contact["id"],
        stage="scheduled",
        scheduled_at=at,
        agenda="Talk logistics",
    )


async def _caseload(http: httpx.AsyncClient, db: AsyncSession) -> Cast:
    """The cast, with a meeting this week for each client (the coach has only Grace)."""
    cast = await build_cast(http, db)
    await _meeting(http, cast.owner, cast.seeker["id"], "2027-03-03T14:00:00+00:00")
    await _meeting(http, cast.owner, cast.other["id"], "2027-03-04T10:00:00+00:00")
    return cast


async def test_a_due_digest_arrives_once_per_period_even_across_restarts(
    client: httpx.AsyncClient,
    db: AsyncSession,
    clock: Clock,
    mailbox: Mailbox,
    digests: Digests,
    owner_engine: AsyncEngine,
    settings: Settings,
) -> None:
    cast = await _caseload(client, db)
    organization = cast.owner.organization_id

    first = await digests.run(organization)
    received = _digests(mailbox, cast.coach)
    clock.set(clock.now + timedelta(days=2))
    again = await digests.run(organization)
    # A restarted worker: new sessions, a new transport, the same database.
    restarted = Digests(
        owner_engine,
        settings,
        Worker(
            owner_engine, settings, SmtpTransport.from_url(f"smtp://127.0.0.1:{mailbox.port}", 10)
        ),
    )
    after_restart = await restarted.run(
        organization, sessionmaker=create_sessionmaker(owner_engine)
    )

    assert first == 3  # owner, coach and client login
    assert (again, after_restart) == (0, 0)
    assert len(received) == 1
    assert _digests(mailbox, cast.coach) == received
    message = received[0]
    assert message["Subject"] == "Your caseload this week at Northstar"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(
        r"<http://127\.0\.0\.1:8000/api/v1/digest/unsubscribe\?token=\S+>",
        message["List-Unsubscribe"],
    )

    clock.set(clock.now + timedelta(days=5))  # the next Monday, 9:00
    next_week = await digests.run(organization)

    assert next_week == 3
    assert len(_digests(mailbox, cast.coach)) == 2


async def test_a_coach_digest_names_only_its_clients_and_the_owners_names_all(
    client: httpx.AsyncClient, db: AsyncSession, clock: Clock, mailbox: Mailbox, digests: Digests
) -> None:
    cast = await _caseload(client, db)

    await digests.run(cast.owner.organization_id)

    coach = text_of(mailbox.one_to(str(cast.coach.email)))
    owner = text_of(mailbox.one_to(str(cast.owner.email)))
    assert "Grace Seeker" in coach
    assert "Henry Other" not in coach
    assert "Wed 03 Mar, 14:00: Grace Seeker, informational interview" in coach
    assert "Grace Seeker" in owner
    assert "Henry Other" in owner
    assert "Thu 04 Mar, 10:00: Henry Other" in owner
    assert "Henry Other" not in _html_of(mailbox.one_to(str(cast.coach.email)))


async def test_a_client_digest_shows_its_own_steps_meetings_and_wins(
    client: httpx.AsyncClient, db: AsyncSession, clock: Clock, mailbox: Mailbox, digests: Digests
) -> None:
    cast = await _caseload(client, db)
    met = await create_contact(client, cast.owner, cast.seeker["id"], full_name="Lars Eriksen")
    held = await create_interview(
        client, cast.owner, cast.seeker["id"], contact_id=met["id"], stage="requested"
    )
    clock.set(clock.now - timedelta(days=2))
    await hold(client, cast.owner, held["id"])
    clock.set(clock.now + timedelta(days=2))

    await digests.run(cast.owner.organization_id)

    message = mailbox.one_to(str(cast.client_login.email))
    text = text_of(message)
    assert message["Subject"] == "Your search this week: next steps and wins"
    assert "YOUR NEXT STEPS" in text
    assert "Wed 03 Mar, 14:00: informational interview" in text
    assert "Meetings held: 1" in text
    assert "Henry Other" not in text
    assert "Henry Other" not in _html_of(message)
    assert "Thu 04 Mar" not in text


async def test_an_empty_digest_is_not_sent_but_its_period_is_settled(
    client: httpx.AsyncClient, clock: Clock, mailbox: Mailbox, digests: Digests
) -> None:
    owner = await signup(client)

    sent = await digests.run(owner.organization_id)
    settled = (await client.get("/api/v1/me/digest", headers=owner.headers)).json()
    created = await client.post(
        "/api/v1/clients", json={"full_name": "Grace Seeker"}, headers=owner.headers
    )
    later = await digests.run(owner.organization_id)

    assert (sent, later) == (0, 0)
    assert _digests(mailbox, owner) == []
    assert settled["last_period_start"] == "2027-03-01T08:00:00Z"
    assert created.status_code == 201
    clock.set(clock.now + timedelta(days=7))
    assert await digests.run(owner.organization_id) == 1
    assert "Grace Seeker" in text_of(mailbox.one_to(str(owner.email)))


async def test_the_unsubscribe_link_in_the_header_stops_the_next_digest(
    client: httpx.AsyncClient, db: AsyncSession, clock: Clock, mailbox: Mailbox, digests: Digests
) -> None:
    cast = await _caseload(client, db)
    await digests.run(cast.owner.organization_id)
    message = mailbox.one_to(str(cast.coach.email))
    link = str(message["List-Unsubscribe"]).strip("<>")
    assert link in text_of(message)  # the plain-text footer carries it too
    assert link.replace("&", "&amp;") in _html_of(message)
    parts = urlsplit(link)
    url = f"{parts.path}?{parts.query}"

    page = await client.get(url)
    untouched = await client.get("/api/v1/me/digest", headers=cast.coach.headers)
    clicked = await client.post(
        url,
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    twice = await client.post(url)
    after = await client.get("/api/v1/me/digest", headers=cast.coach.headers)

    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert '<form method="post"' in page.text
    assert 'value="One-Click"' in page.text
    assert untouched.json()["frequency"] == "weekly"  # a prefetching scanner changes nothing
    assert clicked.status_code == 200, clicked.text
    assert twice.status_code == 200
    assert after.json()["frequency"] == "never"
    clock.set(clock.now + timedelta(days=7))
    await digests.run(cast.owner.organization_id)
    assert len(mailbox.to(str(cast.coach.email))) == 1
    assert len(mailbox.to(str(cast.owner.email))) == 2


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_an_unsubscribe_token_this_server_did_not_sign_is_a_404(
    client: httpx.AsyncClient,
    db: AsyncSession,
    clock: Clock,
    mailbox: Mailbox,
    digests: Digests,
    method: str,
) -> None:
    cast = await _caseload(client, db)
    await digests.run(cast.owner.organization_id)
    token = str(mailbox.one_to(str(cast.coach.email))["List-Unsubscribe"]).split("token=")[1][:-1]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    other_member = token[:31] + ("0" if token[31] != "0" else "1") + token[32:]

    for bad in (forged, other_member, "nonsense", token + "x"):
        response = await client.request(method, "/api/v1/digest/unsubscribe", params={"token": bad})
        assert response.status_code == 404, (bad, response.text)
    following = await client.get("/api/v1/me/digest", headers=cast.coach.headers)
    assert following.json()["frequency"] == "weekly"


async def test_a_digest_whose_transaction_died_is_sent_by_the_next_pass(
    client: httpx.AsyncClient,
    db: AsyncSession,
    clock: Clock,
    mailbox: Mailbox,
    digests: Digests,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cast = await _caseload(client, db)
    real_enqueue = send.outbox.enqueue

    async def crash(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionResetError("the worker died mid-transaction")

    monkeypatch.setattr(send.outbox, "enqueue", crash)
    died = await digests.run(cast.owner.organization_id)
    monkeypatch.setattr(send.outbox, "enqueue", real_enqueue)
    recovered = await digests.run(cast.owner.organization_id)

    assert died == 0
    assert recovered == 3
    assert len(mailbox.to(str(cast.coach.email))) == 1


async def test_two_workers_at_once_send_one_digest_per_member(
    client: httpx.AsyncClient,
    db: AsyncSession,
    clock: Clock,
    mailbox: Mailbox,
    digests: Digests,
    owner_engine: AsyncEngine,
    settings: Settings,
    backend: str,
) -> None:
    if backend != "postgres":
        pytest.skip("SQLite has one writer: there is no race to lose")
    cast = await _caseload(client, db)
    organization = cast.owner.organization_id

    counts = await asyncio.gather(
        *(
            send.send_due_digests(
                create_sessionmaker(owner_engine), settings, organization_ids=[organization]
            )
            for _ in range(3)
        )
    )
    await digests.worker.run()

    assert sum(counts) == 3
    for actor in (cast.owner, cast.coach, cast.client_login):
        assert len(mailbox.to(str(actor.email))) == 1
