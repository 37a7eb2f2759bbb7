"""Per-request state reachable without threading `Request` through every call.

The request-context middleware opens a fresh `RequestContext` for each request;
the session dependency registers the request's session in it so the route class
can commit it, and the logger reads the request id from it. Authentication records
the caller in it, so the audit log can name who changed what (app/audit/recorder.py).
"""

import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a request is authenticated as, the way its audit entries name them: a member
    and its role, or an API key (the whole `Principal` lives in `app.auth`, above)."""

    user_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    role: str | None = None


@dataclass(slots=True)
class RequestContext:
    request_id: str
    session: AsyncSession | None = None
    # Set once the caller is authenticated; None for sign-up, sign-in and other
    # unauthenticated requests.
    caller: Caller | None = None
    # Every client whose data this request wrote (its audit entries name them).
    clients_written: set[uuid.UUID] = field(default_factory=set)


_current: ContextVar[RequestContext | None] = ContextVar("coach_request_context", default=None)


def open_request_context(request_id: str) -> RequestContext:
    context = RequestContext(request_id=request_id)
    _current.set(context)
    return context


def current_request_context() -> RequestContext | None:
    return _current.get()
