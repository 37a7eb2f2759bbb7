"""The demo practice: its settings and its staff. Each coach's clients and what happened
to them are in `cameron.py` and `robin.py` (data only; the words are `story.py`'s).

Eight clients, each showing something: a search with traction, one stalled, a network gone
cold, a job offer, a search just begun, and three ordinary ones. Days are counted back
from the seeding, so the demo never ages.
"""

import unicodedata

from app.demo.story import DemoLogin
from app.models.enums import Role

DEMO_ORGANIZATION = "Demo Coaching"
DEMO_TIMEZONE = "Europe/Berlin"
# Printed on purpose: demo data for a local database, never a real account.
DEMO_PASSWORD = "demo-coaching-2026"  # noqa: S105
DEMO_DOMAIN = "demo-coaching.example.com"
# The organization's keep-in-touch cadence by relationship (days).
KEEP_IN_TOUCH_DEFAULTS = {"work": 45, "alumni": 60}
# Loopback, and disabled: nothing is ever sent anywhere from the demo.
WEBHOOK_URL = "http://127.0.0.1:9/demo-receiver"
WEBHOOK_EVENT_TYPES = [
    "client.stalled",
    "contact.went_cold",
    "interview.held",
    "outreach.responded",
]

OWNER = DemoLogin(Role.owner, "Olivia Owner", f"olivia.owner@{DEMO_DOMAIN}")
CAMERON = DemoLogin(Role.coach, "Cameron Coach", f"cameron.coach@{DEMO_DOMAIN}")
ROBIN = DemoLogin(Role.coach, "Robin Coach", f"robin.coach@{DEMO_DOMAIN}")
COACHES = (CAMERON, ROBIN)


def slug(name: str) -> str:
    """`Patrick O'Brien` → `patrick-obrien`, `Lucía Fernández` → `lucia-fernandez`."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "-".join(ascii_name.lower().replace("'", "").split())


def client_email(full_name: str) -> str:
    """A demo client's address, and for the one with a login, the login's."""
    return f"{slug(full_name).replace('-', '.')}@{DEMO_DOMAIN}"


# Questions prepared for the meetings booked ahead.
PREPARED = (
    "What does a good first 90 days look like in your team?",
    "Which problems will your team spend this year on?",
    "Who else should I talk to, to understand how the work gets done?",
)
JOB_QUESTIONS = (
    "How will you measure success in this role after six months?",
    "What made the last person in this role successful?",
    "What happens after this round?",
)
