import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, JSONDocument, TenantMixin, foreign_key_index


class IdempotencyRecord(IdMixin, TenantMixin, Base):
    """A POST's first response, replayed for a retry with the same key.

    Written only once the caller is authenticated, so it belongs to the caller's
    organization (ORM hook and RLS, like every tenant row) and to `caller`, the member
    (`user:<id>`) or API key (`key:<id>`) that sent it: only that caller can ever hit it.
    The request is kept as `request_hash` (method, path, query, body) only: a raw path is
    unbounded and may hold what text columns refuse (NUL). `client_id` is the client whose
    data the request wrote (from its audit entries), so erasing that client deletes the
    stored response along with everything else.
    """

    __tablename__ = "idempotency_records"
    __table_args__ = (
        UniqueConstraint("organization_id", "caller", "key"),
        Index(None, "created_at"),
        foreign_key_index("idempotency_records", "client_id", nullable=True),
    )

    caller: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(8))
    client_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE")
    )
    response_status: Mapped[int | None]
    response_headers: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
