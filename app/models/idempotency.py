from datetime import datetime
from typing import Any

from sqlalchemy import Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, JSONDocument


class IdempotencyRecord(IdMixin, Base):
    """A POST's first response, replayed for a retry with the same key.

    Keyed by a hash of the caller's credential rather than an organization, so
    the middleware can use it before authentication; only that credential can
    ever hit the row. The request is kept as `request_hash` (method, path, query,
    body) only: a raw path is unbounded and may hold what text columns refuse (NUL).
    """

    __tablename__ = "idempotency_records"
    __table_args__ = (
        UniqueConstraint("credential_hash", "key"),
        Index(None, "created_at"),
    )

    credential_hash: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(8))
    response_status: Mapped[int | None]
    response_headers: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
