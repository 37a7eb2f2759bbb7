"""Keep-in-touch cadence: when a contact is next due for a touch."""

from datetime import datetime, timedelta
from typing import Any

from app.models import Contact


def effective_cadence_days(contact: Contact, defaults: dict[str, Any]) -> int | None:
    """The contact's own cadence, else the organization's default for its relationship."""
    if contact.keep_in_touch_days is not None:
        return contact.keep_in_touch_days
    default = defaults.get(str(contact.relationship))
    return int(default) if isinstance(default, int) and default > 0 else None


def refresh_next_touch_due(contact: Contact, defaults: dict[str, Any], *, now: datetime) -> None:
    """Recompute `next_touch_due_at`: cadence days after the last touch (or after the
    contact was added, its `created_at`, backdated or not, when there was none). Every
    new interaction moves it forward."""
    days = effective_cadence_days(contact, defaults)
    if days is None:
        contact.next_touch_due_at = None
        return
    base = contact.last_contacted_at or contact.created_at or now
    contact.next_touch_due_at = base + timedelta(days=days)
