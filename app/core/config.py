"""Settings from `COACH_*` environment variables, read once per process."""

import ipaddress
import json
import logging
import os
import re
import secrets
from enum import StrEnum
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

logger = logging.getLogger(__name__)

DEFAULT_SQLITE_URL = "sqlite+aiosqlite:///./coach.db"
# Where development keeps its generated JWT secret; git-ignored.
LOCAL_SECRETS_FILE = Path(".coach-secrets")
MIN_JWT_SECRET_BYTES = 32


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COACH_", extra="ignore")

    env: Environment = Environment.development
    database_url: str = DEFAULT_SQLITE_URL
    # Migrations run as the table owner; the API connects as a role RLS applies to.
    migrations_database_url: str | None = None
    # The worker serves every organization, so it connects as a role that bypasses RLS
    # (neither the API's role nor the table owner, which FORCE ROW LEVEL SECURITY
    # binds too). Unset: the migrations URL, then the API's (one superuser, or SQLite).
    worker_database_url: str | None = None
    database_pool_size: int = 10
    database_pool_timeout_seconds: float = 5.0
    database_max_overflow: int = Field(default=10, ge=0)
    # A pooled connection idle longer than this is pinged before use (a restart or an
    # idle timeout may have closed it); one in steady use is not (app/db/session.py).
    database_ping_after_idle_seconds: float = Field(default=5.0, ge=0)
    # PostgreSQL cancels an API query running longer than this (0: no limit), so one
    # heavy report cannot hold a connection; the request answers 503.
    database_statement_timeout_ms: int = Field(default=15_000, ge=0)
    # PostgreSQL's max_parallel_workers_per_gather for the API's connections. Workers for
    # one report take cores from the requests running beside it; with the default 0,
    # the caseload report for 400 clients had a 25% lower p95 at 4 concurrent requests
    # on 2 cores (benchmarks/README.md).
    database_parallel_workers_per_query: int = Field(default=0, ge=0, le=64)
    # PostgreSQL's jit for the API's connections. Off: compiling a report's plan cost more
    # than it saved once an organization's clients pushed its estimated cost past
    # jit_above_cost (the caseload for 1,200 clients, benchmarks/README.md).
    database_jit: bool = False

    jwt_secret: SecretStr | None = None
    # Encrypt TOTP secrets at rest (app/core/encryption.py): comma-separated, each at least
    # MIN_JWT_SECRET_BYTES; the first encrypts, every one decrypts (rotation). Required in
    # production; elsewhere a missing one is derived from the JWT secret.
    totp_encryption_keys: SecretStr | None = None
    # Argon2id parameters for new password hashes. Production refuses less than OWASP's
    # floor (19 MiB with 2 passes, or 46 MiB with 1); tests run with cheap ones.
    password_hash_time_cost: int = Field(default=3, ge=1)
    password_hash_memory_kib: int = Field(default=65536, ge=8)
    password_hash_parallelism: int = Field(default=4, ge=1)
    jwt_issuer: str = "coach-api"
    jwt_audience: str = "coach-api"
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    invitation_days: int = Field(default=7, ge=1, le=60)

    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # The largest CSV file `POST /clients/{id}/contacts/import` takes; that route's body
    # limit is this plus multipart framing, in place of `max_body_bytes`.
    import_max_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    idempotency_ttl_hours: int = 24
    # Live idempotency records one caller (a member or an API key) may hold within the TTL:
    # past it a POST with a new key answers 429, so one caller cannot fill the table.
    idempotency_max_records_per_caller: int = Field(default=10_000, ge=1)
    log_level: str = "INFO"

    # Failed sign-ins (a wrong password or second-factor code) per email, counted from
    # every address together, so guesses spread over many addresses add up; unknown
    # emails are counted alike. A success does not reset it (README, "Sign-in limits").
    login_max_failures: int = Field(default=10, ge=1)
    login_failure_window_seconds: int = Field(default=900, ge=1)
    # Failed sign-ins per client address, over every email: generous, since one office
    # or mobile network shares an address; it stops one address trying many accounts.
    login_max_failures_per_ip: int = Field(default=100, ge=1)
    login_failure_window_seconds_per_ip: int = Field(default=300, ge=1)
    # Proxies (addresses or CIDR networks, IPv4 or IPv6) whose `X-Forwarded-For` is
    # believed: comma-separated or a JSON list. Empty: the connection's peer is the client.
    trusted_proxies: Annotated[list[IPv4Network | IPv6Network], NoDecode] = Field(
        default_factory=list
    )

    # Request rate limits (fixed windows). Counters live in this process unless
    # `redis_url` is set, which shares them across API processes; if Redis cannot be
    # reached, requests are let through (fail open) and a warning is logged.
    redis_url: str | None = None
    rate_limit_key_prefix: str = "coach:rate-limit:"
    rate_limit_window_seconds: int = Field(default=60, ge=1)
    rate_limit_per_user: int = Field(default=600, ge=1)
    rate_limit_per_api_key: int = Field(default=600, ge=1)
    # Every sign-up, sign-in, second-factor step, refresh and invitation acceptance per
    # client address: a flood guard (each sign-in costs an argon2 check) wide enough for
    # a few thousand people behind one address; guessing is stopped by `login_*` above.
    rate_limit_auth_per_ip: int = Field(default=300, ge=1)

    # Webhooks. Private, loopback and link-local receivers are refused unless allowed
    # (local development and tests only).
    webhook_allow_private_urls: bool = False
    webhook_timeout_seconds: float = Field(default=15.0, gt=0, le=60)
    # Deliver webhooks from inside the API process; None: on with SQLite, off with
    # PostgreSQL (where `coach-api worker` runs separately).
    worker_in_process: bool | None = None
    # A claimed delivery whose worker died is taken over by another worker this long
    # after its attempt would have timed out (twice `webhook_timeout_seconds`).
    webhook_lease_margin_seconds: float = Field(default=60.0, ge=1)
    # How often the worker sweeps for time-based events (contact.went_cold,
    # client.stalled); crossings are day-scale, so minutes are plenty.
    sweep_interval_seconds: float = Field(default=60.0, gt=0)

    # Email. `smtp://user:pass@host:587?starttls=true` or `smtps://user:pass@host:465`;
    # unset (the default): every message is written as an `.eml` file to `email_folder`
    # instead, and logged, so a development setup can read what it would have sent.
    smtp_url: SecretStr | None = None
    smtp_timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    # A message claimed by a worker that died is sent again by another this long after
    # its attempt would have timed out (twice `smtp_timeout_seconds`).
    email_lease_margin_seconds: float = Field(default=120.0, ge=1)
    email_from: str = Field(default="Coach API <no-reply@coach-api.localhost>", min_length=3)
    email_folder: str = "var/mail"
    # Where people open the links an email carries (the web app): invitation
    # `<public_url>/invitations/accept?token=…`, reset `<public_url>/password-reset?token=…`.
    public_url: str = "http://127.0.0.1:8000"
    # Where this API itself is reached from outside: links an email carries to the API
    # rather than the web app (a digest's one-click unsubscribe, RFC 8058).
    api_url: str = "http://127.0.0.1:8000"
    password_reset_minutes: int = Field(default=30, ge=5, le=24 * 60)
    # Reset requests per address and per client address, per hour: a mailbox is not
    # flooded, and one address cannot try the whole staff list.
    password_reset_per_email_per_hour: int = Field(default=3, ge=1)
    password_reset_per_ip_per_hour: int = Field(default=30, ge=1)

    # `GET /metrics` (Prometheus). With a token, scrapers send `Authorization: Bearer
    # <token>`; without one it is open in development and absent (404) in production.
    metrics_token: SecretStr | None = None

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _parse_trusted_proxies(cls, value: object) -> object:
        """`10.0.0.0/8, 2001:db8::/32` or `["10.0.0.1"]`; a network with host bits set
        (`10.0.0.5/8`) is refused rather than widened."""
        if isinstance(value, str):
            text = value.strip()
            value = json.loads(text) if text.startswith("[") else re.split(r"[\s,]+", text)
        if not isinstance(value, list | tuple):
            return value
        return [
            entry if isinstance(entry, IPv4Network | IPv6Network) else _network(str(entry))
            for entry in value
            if not isinstance(entry, str) or entry.strip()
        ]

    @field_validator("smtp_url")
    @classmethod
    def _check_smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        scheme = value.get_secret_value().split("://", 1)[0].lower()
        if scheme not in ("smtp", "smtps"):
            raise ValueError("COACH_SMTP_URL must start with smtp:// or smtps://")
        return value

    @field_validator("public_url", "api_url")
    @classmethod
    def _check_public_url(cls, value: str, info: ValidationInfo) -> str:
        if not value.startswith(("http://", "https://")):
            name = f"COACH_{(info.field_name or '').upper()}"
            raise ValueError(f"{name} must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _require_secret_in_production(self) -> "Settings":
        if self.env is Environment.production:
            if self.jwt_secret is None:
                raise ValueError("COACH_JWT_SECRET is required in production")
            if len(self.jwt_secret.get_secret_value().encode()) < MIN_JWT_SECRET_BYTES:
                raise ValueError(f"COACH_JWT_SECRET must be at least {MIN_JWT_SECRET_BYTES} bytes")
            if self.totp_encryption_keys is None:
                raise ValueError("COACH_TOTP_ENCRYPTION_KEYS is required in production")
            if not strong_password_hashing(
                self.password_hash_time_cost, self.password_hash_memory_kib
            ):
                raise ValueError(
                    "COACH_PASSWORD_HASH_*: production needs at least 19456 KiB with 2 passes "
                    "or 47104 KiB with 1"
                )
        if self.totp_encryption_keys is not None:
            keys = self.totp_encryption_keys.get_secret_value().split(",")
            if any(len(key.strip().encode()) < MIN_JWT_SECRET_BYTES for key in keys):
                short = f"each key must be at least {MIN_JWT_SECRET_BYTES} bytes"
                raise ValueError(f"COACH_TOTP_ENCRYPTION_KEYS: {short}")
        return self

    @property
    def metrics_open_without_token(self) -> bool:
        return self.env is not Environment.production

    @property
    def effective_migrations_url(self) -> str:
        return self.migrations_database_url or self.database_url

    @property
    def effective_worker_url(self) -> str:
        return self.worker_database_url or self.effective_migrations_url

    @property
    def worker_url_setting(self) -> str:
        """The setting `effective_worker_url` came from, for error messages."""
        if self.worker_database_url:
            return "COACH_WORKER_DATABASE_URL"
        if self.migrations_database_url:
            return "COACH_MIGRATIONS_DATABASE_URL"
        return "COACH_DATABASE_URL"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def runs_worker_in_process(self) -> bool:
        if self.worker_in_process is not None:
            return self.worker_in_process
        # Tests drive the worker themselves, one step at a time.
        return self.is_sqlite and self.env is not Environment.test

    def totp_keys(self) -> list[str]:
        """The keys TOTP secrets are encrypted with, the current one first: those of
        `COACH_TOTP_ENCRYPTION_KEYS`, or (outside production) the JWT secret, which
        app/core/encryption.py stretches with HKDF into a key of its own."""
        if self.totp_encryption_keys is not None:
            return [key.strip() for key in self.totp_encryption_keys.get_secret_value().split(",")]
        return [self.signing_secret()]

    def signing_secret(self) -> str:
        """The JWT secret; in development, generated once and kept in a local file."""
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        if LOCAL_SECRETS_FILE.exists():
            stored = LOCAL_SECRETS_FILE.read_text().strip()
            if len(stored.encode()) >= MIN_JWT_SECRET_BYTES:
                return stored
        generated = secrets.token_urlsafe(48)
        # Created owner-only from the start rather than chmod-ed after writing.
        descriptor = os.open(LOCAL_SECRETS_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as stored_file:
            stored_file.write(generated + "\n")
        LOCAL_SECRETS_FILE.chmod(0o600)
        logger.warning(
            "COACH_JWT_SECRET is not set: generated one and stored it in %s "
            "(development only; production refuses to start without it)",
            LOCAL_SECRETS_FILE,
        )
        return generated


def strong_password_hashing(time_cost: int, memory_kib: int) -> bool:
    """At least OWASP's argon2id floor (Password Storage Cheat Sheet): m=19 MiB, t=2 or
    m=46 MiB, t=1."""
    return (memory_kib >= 19456 and time_cost >= 2) or memory_kib >= 47104


def _network(text: str) -> IPv4Network | IPv6Network:
    try:
        return ipaddress.ip_network(text.strip(), strict=True)
    except ValueError as exc:
        raise ValueError(f"COACH_TRUSTED_PROXIES: {exc}") from None


@lru_cache
def get_settings() -> Settings:
    return Settings()


async def request_settings(request: Request) -> Settings:
    """The settings of the app serving this request (`create_app(settings)`), which
    may differ from the environment's, e.g. in tests."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(request_settings)]
