"""Creating an invitation emails it; its link works; resend and revoke."""

import logging

import httpx
import pytest

from tests.factories.cast import Cast
from tests.factories.identity import signup, unique_email
from tests.mail.conftest import Mailbox, Worker, text_of, token_in


async def test_an_invitation_arrives_and_its_link_works(
    client: httpx.AsyncClient, mailbox: Mailbox, worker: Worker
) -> None:
    owner = await signup(client, organization_name="Northstar Coaching")
    invitee = unique_email("robin")

    created = await client.post(
        "/api/v1/invitations", json={"email": invitee, "role": "coach"}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    assert mailbox.to(invitee) == []  # nothing is sent before the worker runs
    await worker.run()

    message = mailbox.one_to(invitee)
    assert message["Subject"] == "You are invited to join Northstar Coaching on Coach API"
    assert "Olive Owner invites you to join Northstar Coaching on Coach API as a coach" in (
        text_of(message)
    )
    assert message.get_body(preferencelist=("html",)) is not None
    token = token_in(message)
    assert token == created.json()["token"]
    accepted = await client.post(
        f"/api/v1/invitations/{token}/accept",
        json={"full_name": "Robin Coach", "password": "a-long-enough-password"},
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["role"] == "coach"


async def test_html_is_escaped_and_a_line_break_cannot_start_a_header(
    client: httpx.AsyncClient, mailbox: Mailbox, worker: Worker
) -> None:
    owner = await signup(client, organization_name="<b>Bold</b>\nBcc: someone@example.com")
    invitee = unique_email("escaped")

    created = await client.post(
        "/api/v1/invitations", json={"email": invitee, "role": "admin"}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    await worker.run()

    message = mailbox.one_to(invitee)
    assert message["Bcc"] is None
    assert "\n" not in message["Subject"]
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    assert "&lt;b&gt;Bold&lt;/b&gt;" in html.get_content()
    assert "<b>Bold</b>" not in html.get_content()


async def test_resend_sends_a_new_link_and_the_old_one_stops(
    client: httpx.AsyncClient, mailbox: Mailbox, worker: Worker
) -> None:
    owner = await signup(client)
    invitee = unique_email("resent")
    created = await client.post(
        "/api/v1/invitations", json={"email": invitee, "role": "coach"}, headers=owner.headers
    )
    invitation = created.json()

    resent = await client.post(
        f"/api/v1/invitations/{invitation['id']}/resend", headers=owner.headers
    )
    await worker.run()

    assert resent.status_code == 200, resent.text
    first, second = mailbox.to(invitee)
    assert {token_in(first), token_in(second)} == {invitation["token"], resent.json()["token"]}
    body = {"full_name": "Robin Coach", "password": "a-long-enough-password"}
    old = await client.post(f"/api/v1/invitations/{invitation['token']}/accept", json=body)
    new = await client.post(f"/api/v1/invitations/{resent.json()['token']}/accept", json=body)
    assert old.status_code == 404
    assert new.status_code == 200, new.text


async def test_revoked_invitations_leave_the_list_and_their_link_stops(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    kept = await client.post(
        "/api/v1/invitations",
        json={"email": unique_email("kept"), "role": "coach"},
        headers=owner.headers,
    )
    revoked = await client.post(
        "/api/v1/invitations",
        json={"email": unique_email("revoked"), "role": "coach"},
        headers=owner.headers,
    )

    deleted = await client.delete(
        f"/api/v1/invitations/{revoked.json()['id']}", headers=owner.headers
    )
    listed = await client.get("/api/v1/invitations", headers=owner.headers)
    accept = await client.post(
        f"/api/v1/invitations/{revoked.json()['token']}/accept",
        json={"full_name": "Nobody", "password": "a-long-enough-password"},
    )

    assert deleted.status_code == 204
    assert [row["id"] for row in listed.json()["data"]] == [kept.json()["id"]]
    assert "token" not in listed.json()["data"][0]
    assert accept.status_code == 404
    again = await client.delete(
        f"/api/v1/invitations/{revoked.json()['id']}", headers=owner.headers
    )
    assert again.status_code == 404


async def test_a_coach_lists_and_resends_only_its_clients_invitations(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    owner, coach = cast.owner, cast.coach
    mine = await client.post(
        "/api/v1/invitations",
        json={"email": unique_email("mine"), "role": "client", "client_id": cast.seeker["id"]},
        headers=owner.headers,
    )
    theirs = await client.post(
        "/api/v1/invitations",
        json={"email": unique_email("theirs"), "role": "client", "client_id": cast.other["id"]},
        headers=owner.headers,
    )
    staff = await client.post(
        "/api/v1/invitations",
        json={"email": unique_email("staff"), "role": "coach"},
        headers=owner.headers,
    )

    listed = await client.get("/api/v1/invitations", headers=coach.headers)
    resend_theirs = await client.post(
        f"/api/v1/invitations/{theirs.json()['id']}/resend", headers=coach.headers
    )
    revoke_staff = await client.delete(
        f"/api/v1/invitations/{staff.json()['id']}", headers=coach.headers
    )

    assert [row["id"] for row in listed.json()["data"]] == [mine.json()["id"]]
    assert resend_theirs.status_code == 404
    assert revoke_staff.status_code == 404


async def test_an_invitation_token_never_reaches_the_logs(
    client: httpx.AsyncClient, mailbox: Mailbox, worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    owner = await signup(client)
    invitee = unique_email("quiet")
    with caplog.at_level(logging.INFO):
        created = await client.post(
            "/api/v1/invitations", json={"email": invitee, "role": "coach"}, headers=owner.headers
        )
        await worker.run()
        token = token_in(mailbox.one_to(invitee))
        accepted = await client.post(
            f"/api/v1/invitations/{token}/accept",
            json={"full_name": "Quiet Coach", "password": "a-long-enough-password"},
        )

    assert created.status_code == 201
    assert accepted.status_code == 200, accepted.text
    # What the service logged (the test's own HTTP client logs the URL it sent).
    served = "\n".join(
        r.getMessage() + str(r.__dict__) for r in caplog.records if r.name != "httpx"
    )
    assert token.split(".")[1] not in served
    assert "/api/v1/invitations/{token}/accept" in served  # the request is logged, by route
