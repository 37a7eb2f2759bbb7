# syntax=docker/dockerfile:1
# Two stages: build the project into a venv with the same `pip install .` CI
# exercises (without the dev extras), then run it from a slim image as a non-root user.

FROM python:3.11-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv \
    && /opt/venv/bin/python -m pip install --quiet --upgrade pip

WORKDIR /build
# README.md is part of the package metadata (pyproject `readme`).
COPY pyproject.toml README.md ./
COPY app ./app
COPY migrations ./migrations
RUN /opt/venv/bin/python -m pip install --quiet .


FROM python:3.11-slim AS runtime

# PYTHONPATH: the source tree in /app wins over the installed copy, so
# `coach-api migrate` finds alembic.ini and migrations/ next to the code.
# COACH_ENV=production refuses to start without COACH_JWT_SECRET: pass it,
# COACH_DATABASE_URL and COACH_MIGRATIONS_DATABASE_URL at run time.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    COACH_ENV=production

RUN groupadd --system --gid 10001 coach \
    && useradd --system --uid 10001 --gid coach --home-dir /app --shell /usr/sbin/nologin coach

COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY app ./app
COPY migrations ./migrations
COPY alembic.ini ./

USER coach

EXPOSE 8000

# slim has no curl: probe with the interpreter that is already there.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]
