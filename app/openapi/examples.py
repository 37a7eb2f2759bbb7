"""Request examples, from the demo practice (`app/demo`): Demo Coaching, its coaches
Cameron and Robin, their clients (Sven Lindgren, looking for logistics planning roles)
and the people they know (Kofi Mensah at Fabrikam Logistics, Lars Eriksen at Northwind
Freight).

Each is the example of a request body's component, unless the model writes its own;
tests/test_contract_truth.py checks every one against its schema.
"""

from typing import Any

# Ids as the demo's rows might have them (fixed, so the document does not change).
CLIENT_ID = "5b1f3c1e-6a8e-4c55-9c43-2f6f0f3f6a01"
CONTACT_ID = "0c7d9a3e-1f0b-4a6e-8d1e-8b7b2a4d9c02"
COACH_ID = "9a4e2c71-3b1d-4f0e-a6c2-5d8e7f9a0b03"
ORGANIZATION_ID = "3e8b1d5f-2c4a-4f6e-9b7d-1a2c3e4f5a06"
COMPANY_ID = "7f1e2d3c-4b5a-4968-8776-655443322105"
TEMPLATE_ID = "c4d5e6f7-0819-4a2b-8c3d-4e5f6a7b8c07"
SIGN_IN_PASSWORD = "demo-coaching-2026"  # noqa: S105 (the demo's published password)

_SVEN = {
    "full_name": "Sven Lindgren",
    "email": "sven.lindgren@demo-coaching.example.com",
    "headline": "Supply-chain analyst looking for logistics planning roles",
    "target_roles": ["Demand Planner", "Supply Chain Analyst"],
    "target_industries": ["Logistics"],
    "locations": ["Gothenburg", "Remote"],
    "status": "active",
    "weekly_outreach_goal": 5,
    "weekly_informational_goal": 1,
    "notes": "Applies online only; get him back to the people who know him.",
}

REQUEST_EXAMPLES: dict[str, dict[str, Any]] = {
    "SignupCreate": {
        # A practice of its own: signing up never meets the demo's (seed-demo) logins.
        "organization_name": "Northstar Coaching",
        "full_name": "Olivia Owner",
        "email": "olivia.owner@northstar-coaching.example.com",
        "password": SIGN_IN_PASSWORD,
    },
    "SignInForm": {
        "username": "cameron.coach@demo-coaching.example.com",
        "password": SIGN_IN_PASSWORD,
        "grant_type": "password",
    },
    "RefreshCreate": {"refresh_token": "rt_6Qm2vX9kPz4LwT1sYb8NcR3hJd7GfE5a"},
    "MfaTokenCreate": {
        "mfa_token": "eyJhbGciOiJIUzI1NiJ9.eyJwdXJwb3NlIjoidmVyaWZ5In0.c2lnbmF0dXJl",
        "code": "492039",
    },
    "MfaCode": {"code": "492039"},
    "MfaDisable": {"recovery_code": "k3xq-7pmd-2vna-q4rt"},
    "OrganizationUpdate": {
        "timezone": "Europe/Berlin",
        "cold_after_days": 30,
        "keep_in_touch_defaults": {"work": 45, "alumni": 60},
    },
    "PasswordResetCreate": {"email": "cameron.coach@demo-coaching.example.com"},
    "PasswordResetConfirm": {
        "token": "1f0e2d3c4b5a49688776655443322105.Zr8vK2mQ7xPn4LwT1sYb8NcR3hJd7GfE5aUo9iHq0e",
        "password": "a-new-passphrase-2026",
    },
    "PasswordChange": {
        "current_password": SIGN_IN_PASSWORD,
        "new_password": "a-new-passphrase-2026",
    },
    "MemberUpdate": {"role": "coach"},
    "InvitationCreate": {"email": "robin.coach@demo-coaching.example.com", "role": "coach"},
    "InvitationAccept": {"full_name": "Robin Coach", "password": SIGN_IN_PASSWORD},
    "ApiKeyCreate": {"name": "Caseload dashboard", "scopes": ["clients:read", "reports:read"]},
    "ClientCreate": _SVEN,
    "ClientUpdate": {"status": "paused", "weekly_outreach_goal": 3},
    "ContactCreate": {
        "full_name": "Kofi Mensah",
        "email": "kofi.mensah@fabrikam-logistics.example.com",
        "company_name": "Fabrikam Logistics",
        "title": "Operations Director",
        "relationship": "family",
        "source": "personal_network",
        "role_at_company": "executive",
        "strength": 4,
        "tags": ["fabrikam"],
        "connected_on": "2024-03-12",
    },
    "ContactUpdate": {
        "title": "Head of Planning",
        "next_follow_up_at": "2026-12-03T09:00:00Z",
        "tags": ["northwind", "planning"],
    },
    "ContactImportUpload": {
        "file": "full_name,email,company_name,title\r\n"
        "Lars Eriksen,lars.eriksen@northwind-freight.example.com,Northwind Freight,"
        "Head of Planning\r\n"
    },
    "InteractionCreate": {
        "kind": "call",
        "direction": "outbound",
        "occurred_at": "2026-11-24T15:30:00Z",
        "summary": "Called Kofi to ask how Fabrikam Logistics hires planners.",
    },
    "CompanyCreate": {
        "name": "Northwind Freight",
        "website": "https://northwind-freight.example.com",
        "industry": "Logistics",
        "location": "Gothenburg",
        "priority": 1,
        "status": "targeted",
        "why_interested": "Builds its own demand-planning team this year.",
        "has_openings": True,
    },
    "CompanyUpdate": {"status": "engaged", "research_notes": "Planning reports to operations."},
    "OutreachCreate": {
        "contact_id": CONTACT_ID,
        "channel": "email",
        "purpose": "informational_interview",
        "subject": "20 minutes of advice?",
        "message": "Hi Kofi, could I ask you how planning works at Fabrikam Logistics?",
        "questions": ["Which problems will your team spend this year on?"],
        "status": "sent",
        "status_at": "2026-11-23T08:15:00Z",
    },
    "OutreachUpdate": {"status": "responded", "status_at": "2026-11-25T10:00:00Z"},
    "InterviewCreate": {
        "kind": "informational",
        "contact_id": CONTACT_ID,
        "stage": "scheduled",
        "scheduled_at": "2026-12-02T14:00:00Z",
        "duration_minutes": 30,
        "format": "video",
        "location": "Video call",
        "questions": ["What does a good first 90 days look like in your team?"],
    },
    "InterviewUpdate": {"scheduled_at": "2026-12-02T15:00:00Z", "duration_minutes": 45},
    "TransitionCreate": {
        "to_stage": "held",
        "at": "2026-12-02T15:45:00Z",
        "note": "Kofi offered to introduce Sven to Mira Kowalski.",
    },
    "ReferralsCreate": {
        "contacts": [
            {
                "full_name": "Mira Kowalski",
                "company_name": "Fabrikam Logistics",
                "title": "Planning Analyst",
                "role_at_company": "peer",
            }
        ]
    },
    "QuestionTemplateCreate": {
        "category": "culture",
        "text": "How would you describe the team's culture?",
    },
    "QuestionTemplateUpdate": {"text": "What surprised you most when you joined the team?"},
    "AgendaItemStateUpdate": {"status": "snoozed", "snoozed_until": "2026-12-01T08:00:00Z"},
    "WebhookEndpointCreate": {
        "url": "https://hooks.demo-coaching.example.com/coach",
        "description": "CRM sync",
        "event_types": ["client.stalled", "contact.went_cold", "interview.held"],
    },
    "WebhookEndpointUpdate": {"event_types": ["interview.held", "outreach.responded"]},
    "ErasureCreate": {"confirm_name": "Sven Lindgren"},
}


def add_request_examples(document: dict[str, Any]) -> None:
    """Give each request body component its example, unless its model wrote one."""
    schemas = document["components"]["schemas"]
    for name, example in REQUEST_EXAMPLES.items():
        if name in schemas:
            schemas[name].setdefault("examples", [example])
