"""Structured JSON logs, one object per line, carrying the request id."""

import json
import logging
import sys
from datetime import UTC, datetime

from app.core.request_context import current_request_context


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        context = current_request_context()
        if context is not None:
            entry["request_id"] = context.request_id
        for key in ("method", "path", "status", "duration_ms"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


# uvicorn's own loggers. Its default config gives them plain-text handlers that do not
# propagate; taken over here, their lines ("Started server process", "Uvicorn running on
# …", errors with tracebacks) reach the root handler as JSON, however uvicorn was
# started (`uvicorn app.main:app` configures them before it imports the app).
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error")
# uvicorn's access log: silenced, the app writes its own line per request
# (`coach_api.access`, with the request id), so each request is logged once.
SILENCED_LOGGERS = ("uvicorn.access",)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JSONFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in UVICORN_LOGGERS:
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    for name in SILENCED_LOGGERS:
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = False
