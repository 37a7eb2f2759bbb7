"""Referrals obtained in an interview become children of the interviewee in the contact
tree (the A → B → C → D trail): new contacts, or existing ones moved under them."""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.companies import service as companies_service
from app.contacts import repository as contacts_repository
from app.contacts import service as contacts_service
from app.contacts.normalise import normalise_email, normalise_linkedin
from app.contacts.schemas import ContactCreate
from app.core.errors import NotFound, Unprocessable
from app.interviews.schemas import NewReferral, ReferralOutcome
from app.interviews.service import field_problem
from app.models import Client, Contact, Interview
from app.models.enums import ContactSource


async def add_referrals(
    session: AsyncSession,
    principal: Principal,
    interview: Interview,
    *,
    new_contacts: list[NewReferral],
    existing_contact_ids: list[uuid.UUID],
) -> tuple[uuid.UUID, list[ReferralOutcome]]:
    """Hang the people the interviewee suggested under the interviewee, with
    `source = referral` and this interview remembered, at the company and in the role
    given (a company of the same client, else 422). New people matching an existing
    contact by normalised email or LinkedIn reuse it; existing contacts move with their
    branch unless that would make a cycle (409). All or nothing. The contacts service
    writes the events: `contact.created`, `contact.updated`, and `contact.referral_added`
    for each contact that now hangs under the interviewee."""
    if interview.contact_id is None:
        raise Unprocessable("This interview has no contact to hang referrals under.")
    referrer = await contacts_repository.get_client_contact(
        session, principal, interview.client_id, interview.contact_id
    )
    if referrer is None:  # the interview is visible, so its client's contacts are too
        raise NotFound("The interviewee is no longer a contact of this client.")
    client = await session.get_one(Client, interview.client_id)
    outcomes: list[ReferralOutcome] = []
    for referral in new_contacts:
        duplicate = await contacts_repository.find_duplicate(
            session,
            interview.client_id,
            email_normalized=normalise_email(referral.email),
            linkedin_normalized=normalise_linkedin(referral.linkedin_url),
        )
        if duplicate is not None:
            # The person is known already and keeps their details, but a company of
            # another client is refused whichever way the referral goes.
            if referral.company_id is not None:
                await companies_service.of_client(
                    session, principal, interview.client_id, referral.company_id
                )
            outcomes.append(
                await _adopt(session, principal, interview, referrer, duplicate[0], "reused")
            )
            continue
        contact = await contacts_service.create(
            session,
            principal,
            client,
            ContactCreate(
                **referral.model_dump(),
                referred_by_id=referrer.id,
                source=ContactSource.referral,
            ),
            referred_in_interview_id=interview.id,
        )
        outcomes.append(_outcome(contact, "created"))
    for contact_id in existing_contact_ids:
        outcomes.append(await _adopt(session, principal, interview, referrer, contact_id, "moved"))
    return referrer.id, outcomes


async def _adopt(
    session: AsyncSession,
    principal: Principal,
    interview: Interview,
    referrer: Contact,
    contact_id: uuid.UUID,
    outcome: str,
) -> ReferralOutcome:
    contact = await contacts_repository.get_client_contact(
        session, principal, interview.client_id, contact_id
    )
    if contact is None:
        raise field_problem("existing_contact_ids", "must be contacts of the same client")
    if contact.id == referrer.id:
        raise field_problem("existing_contact_ids", "cannot include the interviewee")
    already = contact.referred_by_id == referrer.id
    # Re-parenting refuses cycles (409) and moves the branch's depths along.
    await contacts_service.move_under_referrer(
        session, principal, contact, referrer.id, interview_id=interview.id
    )
    return _outcome(contact, "already_referred" if already else outcome)


def _outcome(contact: Contact, outcome: Any) -> ReferralOutcome:
    return ReferralOutcome(
        contact_id=contact.id, full_name=contact.full_name, depth=contact.depth, outcome=outcome
    )
