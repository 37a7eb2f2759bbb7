"""Every event type we emit: its name, what it means, and an example of its `data`.

`data` is the resource as the API returns it at the moment of the event, so a
receiver can act without calling back. New types are added here first;
`record_event` refuses a type that is not catalogued.
"""

from dataclasses import dataclass
from typing import Any

_ORG_CLIENT_ID = "5b1f3c1e-6a8e-4c55-9c43-2f6f0f3f6a01"
_CONTACT_ID = "0c7d9a3e-1f0b-4a6e-8d1e-8b7b2a4d9c02"
_NOW = "2026-11-26T09:30:00Z"

_CLIENT = {
    "id": _ORG_CLIENT_ID,
    "full_name": "Grace Jobseeker",
    "email": "grace@example.com",
    "headline": "Data engineer moving into platform work",
    "target_roles": ["Platform engineer"],
    "target_industries": ["Fintech"],
    "locations": ["Berlin", "Remote"],
    "status": "active",
    "weekly_outreach_goal": 10,
    "weekly_informational_goal": 2,
    "notes": None,
    "coach_ids": ["9a4e2c71-3b1d-4f0e-a6c2-5d8e7f9a0b03"],
    "created_at": _NOW,
    "updated_at": _NOW,
}

_CONTACT = {
    "id": _CONTACT_ID,
    "client_id": _ORG_CLIENT_ID,
    "referred_by_id": None,
    "full_name": "Alan Mentor",
    "email": "alan@acme.example",
    "phone": None,
    "linkedin_url": "https://www.linkedin.com/in/alan-mentor",
    "company_name": "Acme",
    "title": "Engineering manager",
    "relationship": "work",
    "source": "personal_network",
    "role_at_company": "hiring_manager",
    "strength": 4,
    "tags": ["platform"],
    "notes": None,
    "next_follow_up_at": None,
    "keep_in_touch_days": None,
    "connected_on": "2024-03-12",
    "imported": False,
    "company_id": "7f1e2d3c-4b5a-4968-8776-655443322105",
    "referred_in_interview_id": None,
    "depth": 0,
    "last_contacted_at": _NOW,
    "warmth": "warm",
    "next_touch_due_at": "2027-01-25T09:30:00Z",
    "created_at": _NOW,
    "updated_at": _NOW,
}

_INTERACTION = {
    "id": "3e9b5c2d-7a1f-4b8e-9c0d-1a2b3c4d5e04",
    "client_id": _ORG_CLIENT_ID,
    "contact_id": _CONTACT_ID,
    "kind": "call",
    "direction": "outbound",
    "occurred_at": _NOW,
    "summary": "20 minutes on how the platform team hires.",
    "created_by_id": "9a4e2c71-3b1d-4f0e-a6c2-5d8e7f9a0b03",
    "created_at": _NOW,
}

_COMPANY: dict[str, Any] = {
    "id": "7f1e2d3c-4b5a-4968-8776-655443322105",
    "client_id": _ORG_CLIENT_ID,
    "name": "Acme",
    "website": "https://acme.example",
    "domain": "acme.example",
    "industry": "Fintech",
    "location": "Berlin",
    "size": "200-500",
    "why_interested": "Builds the payment platform Grace wants to work on.",
    "research_notes": None,
    "priority": 1,
    "status": "researching",
    "has_openings": None,
    "people": [],
    "created_at": _NOW,
    "updated_at": _NOW,
}

_OUTREACH = {
    "id": "8a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c06",
    "client_id": _ORG_CLIENT_ID,
    "contact_id": _CONTACT_ID,
    "company_id": "7f1e2d3c-4b5a-4968-8776-655443322105",
    "channel": "email",
    "purpose": "informational_interview",
    "subject": "15 minutes on platform work at Acme?",
    "message": "Hi Alan, Priya suggested I ask you how Acme's platform team works.",
    "questions": ["What does a first month on the team look like?"],
    "status": "sent",
    "sent_at": _NOW,
    "responded_at": None,
    "created_at": _NOW,
    "updated_at": _NOW,
}

_INTERVIEW: dict[str, Any] = {
    "id": "9b3c4d5e-6f7a-4b2c-8d3e-4f5a6b7c8d07",
    "client_id": _ORG_CLIENT_ID,
    "contact_id": _CONTACT_ID,
    "company_id": _COMPANY["id"],
    "outreach_id": _OUTREACH["id"],
    "kind": "informational",
    "stage": "scheduled",
    "stage_changed_at": _NOW,
    "allowed_next_stages": ["held", "cancelled"],
    "scheduled_at": "2026-12-01T15:00:00Z",
    "duration_minutes": 20,
    "format": "video",
    "location": None,
    "agenda": "How the platform team hires; who else to talk to.",
    "questions": ["What does a first month on the team look like?"],
    "notes": None,
    "advice": None,
    "rating": None,
    "coach_notes": None,
    "stage_history": [],
    "held_at": None,
    "thank_you_sent_at": None,
    "created_at": _NOW,
    "updated_at": _NOW,
}

_ENDPOINT = {
    "id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c08",
    "url": "https://hooks.example.com/coach",
    "description": "CRM sync",
    "event_types": [],
    "enabled": False,
    "disabled_reason": "failing",
    "failing_since": "2026-11-21T09:30:00Z",
    "previous_secret_expires_at": None,
    "created_at": "2026-10-01T08:00:00Z",
    "updated_at": _NOW,
}


@dataclass(frozen=True, slots=True)
class EventType:
    name: str
    description: str
    example: dict[str, Any]
    # Whether the event concerns one client (and is then filterable by it).
    about_client: bool = True


EVENT_TYPES: tuple[EventType, ...] = (
    EventType("client.created", "A client was added to the organization.", _CLIENT),
    EventType("client.updated", "A client's record changed.", _CLIENT),
    EventType("client.deleted", "A client and everything under it were deleted.", _CLIENT),
    EventType(
        "client.stalled",
        "An active client had no moving event (a touch with a contact other than a "
        "note, an interview stage change, a contact added) for the organization's "
        "`stalled_after_days`; once per crossing: moving again re-arms it.",
        {"client": _CLIENT, "last_moved_at": "2026-11-12T10:00:00Z", "stalled_after_days": 14},
    ),
    EventType("contact.created", "A contact was added to a client's network.", _CONTACT),
    EventType("contact.updated", "A contact's stored fields changed.", _CONTACT),
    EventType(
        "contact.deleted",
        "A contact was deleted (the data is the contact as it was); the people it "
        "introduced moved up to its referrer.",
        _CONTACT,
    ),
    EventType(
        "contact.went_cold",
        "A contact crossed into cold (no touch for `cold_after_days`); once per crossing: "
        "a new touch re-arms it.",
        {**_CONTACT, "warmth": "cold"},
    ),
    EventType(
        "contact.referral_added",
        "A contact now hangs under a referrer: added with `referred_by_id`, moved under a "
        "(new) one, or obtained in an interview (`referred_in_interview_id`). The chain grew "
        "by one; `contact.created` or `contact.updated` comes with it.",
        {
            **_CONTACT,
            "referred_by_id": "1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f09",
            "referred_in_interview_id": "9b3c4d5e-6f7a-4b2c-8d3e-4f5a6b7c8d07",
            "source": "referral",
            "depth": 1,
        },
    ),
    EventType("interaction.created", "A touch with a contact was logged.", _INTERACTION),
    EventType("company.created", "A company was added to a client's target list.", _COMPANY),
    EventType(
        "company.status_changed",
        "A target company moved to another status.",
        {**_COMPANY, "status": "engaged", "previous_status": "researching"},
    ),
    EventType("outreach.sent", "An outreach message was sent.", _OUTREACH),
    EventType(
        "outreach.responded",
        "A contact responded to an outreach.",
        {**_OUTREACH, "status": "responded", "responded_at": "2026-11-27T08:10:00Z"},
    ),
    EventType("interview.scheduled", "An interview was scheduled.", _INTERVIEW),
    EventType(
        "interview.stage_changed",
        "An interview moved to another stage.",
        {**_INTERVIEW, "stage": "held", "previous_stage": "scheduled"},
    ),
    EventType(
        "interview.held",
        "An interview took place.",
        {**_INTERVIEW, "stage": "held", "held_at": "2026-12-01T15:00:00Z"},
    ),
    EventType(
        "interview.followed_up",
        "A thank-you was sent after an interview.",
        {**_INTERVIEW, "stage": "followed_up", "thank_you_sent_at": "2026-12-01T18:00:00Z"},
    ),
    EventType(
        "member.joined",
        "Someone joined the organization (accepted an invitation).",
        {
            "user_id": "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d10",
            "email": "casey@northstar.example",
            "full_name": "Casey Coach",
            "role": "coach",
            "client_id": None,
            "joined_at": _NOW,
        },
        about_client=False,
    ),
    EventType(
        "webhook.test",
        "Sent on request to one endpoint (`POST /webhook-endpoints/{id}/test`).",
        {"endpoint_id": _ENDPOINT["id"], "message": "This is a test event from Coach API."},
        about_client=False,
    ),
    EventType(
        "webhook_endpoint.disabled",
        "An endpoint stopped receiving events: it answered 410 Gone, or failed for 5 days.",
        _ENDPOINT,
        about_client=False,
    ),
)

EVENT_TYPES_BY_NAME: dict[str, EventType] = {t.name: t for t in EVENT_TYPES}


def is_known(name: str) -> bool:
    return name in EVENT_TYPES_BY_NAME
