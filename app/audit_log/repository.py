"""The door to the audit log: the organization's entries (the tenancy hook adds it)."""

from sqlalchemy import Select, select

from app.models import AuditEntry


def readable_entries() -> Select[AuditEntry]:
    """Every entry of the caller's organization; the log is for owners and admins only,
    who see the whole organization (checked by the route)."""
    return select(AuditEntry)
