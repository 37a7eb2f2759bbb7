# syntax=docker/dockerfile:1
# Two stages: build the wheel once and install it, with the locked dependencies (every
# file checked against its hash), into a venv; then run that venv from a slim image as a
# non-root user. Nothing of the source tree is in the final image: the wheel carries
# the migrations (`coach-api migrate` works from any folder).

# Pinned to a patch release of Debian 12's slim Python image; pin the digest too
# (`python:3.11.11-slim-bookworm@sha256:…`) where your registry is reachable.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv

WORKDIR /build
COPY requirements/runtime.txt ./requirements/runtime.txt
RUN /opt/venv/bin/pip install --quiet --require-hashes -r requirements/runtime.txt
# README.md is part of the package metadata (pyproject `readme`).
COPY pyproject.toml README.md ./
COPY app ./app
RUN /opt/venv/bin/pip wheel --quiet --no-deps --wheel-dir /wheels . \
    && /opt/venv/bin/pip install --quiet --no-deps /wheels/*.whl


FROM ${PYTHON_IMAGE} AS runtime

# COACH_ENV=production refuses to start without COACH_JWT_SECRET and
# COACH_TOTP_ENCRYPTION_KEYS: pass them, and the three database URLs, at run time.
# FORWARDED_ALLOW_IPS: the proxies uvicorn believes `X-Forwarded-*` from (set it, and
# COACH_TRUSTED_PROXIES, to your load balancer's addresses).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    COACH_ENV=production \
    FORWARDED_ALLOW_IPS=127.0.0.1

RUN groupadd --system --gid 10001 coach \
    && useradd --system --uid 10001 --gid coach --home-dir /srv/coach --create-home \
        --shell /usr/sbin/nologin coach

COPY --from=builder /opt/venv /opt/venv
WORKDIR /srv/coach
USER coach

EXPOSE 8000

# slim has no curl: probe with the interpreter that is already there.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

# One process per container: scale with replicas, so each /metrics is one process's.
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers", "--no-access-log"]
