"""The webhook backlog for /metrics: measured by the worker, read by the API."""

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.time import utc_now
from app.db.tenancy import unscoped
from app.models import (
    DeliveryStatus,
    WebhookBacklog,
    WebhookDelivery,
)

BACKLOG_NAME = "all"
WebhookBacklogFigures = dict[str, float] | None


async def measure_backlog(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Count the deliveries of every organization into `webhook_backlog` for /metrics."""
    now = utc_now()
    pending = WebhookDelivery.status == DeliveryStatus.pending
    due = and_(pending, WebhookDelivery.next_attempt_at <= now)
    async with sessionmaker() as session:
        counts = (
            await session.execute(
                select(
                    func.count().filter(pending),
                    func.count().filter(due),
                    func.count().filter(WebhookDelivery.status == DeliveryStatus.failed),
                    func.min(WebhookDelivery.next_attempt_at).filter(due),
                ).execution_options(**unscoped())
            )
        ).one()
        row = await session.get(WebhookBacklog, BACKLOG_NAME) or WebhookBacklog(name=BACKLOG_NAME)
        row.pending, row.due, row.failed, row.oldest_due_at = counts
        row.measured_at = now
        session.add(row)
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()  # another worker inserted it first; next time updates


async def read_backlog(sessionmaker: async_sessionmaker[AsyncSession]) -> WebhookBacklogFigures:
    """The last measurement, for the API's /metrics (None before any worker measured)."""
    async with sessionmaker() as session:
        row = await session.get(WebhookBacklog, BACKLOG_NAME)
    if row is None:
        return None
    now = utc_now()
    return {
        "pending": row.pending,
        "due": row.due,
        "failed": row.failed,
        "oldest_due_seconds": (now - row.oldest_due_at).total_seconds()
        if row.oldest_due_at
        else 0.0,
        "measured_seconds_ago": (now - row.measured_at).total_seconds(),
    }
