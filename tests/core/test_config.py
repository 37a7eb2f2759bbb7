"""Settings: production refuses to start without a real secret; development makes one."""

import logging
import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.core.config import LOCAL_SECRETS_FILE, MIN_JWT_SECRET_BYTES, Environment, Settings


@pytest.fixture(autouse=True)
def _no_secret_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COACH_JWT_SECRET", raising=False)
    monkeypatch.delenv("COACH_ENV", raising=False)


def test_production_requires_a_jwt_secret() -> None:
    with pytest.raises(ValidationError, match="COACH_JWT_SECRET is required"):
        Settings(env=Environment.production)


def test_production_refuses_a_short_jwt_secret() -> None:
    with pytest.raises(ValidationError, match="at least"):
        Settings(env=Environment.production, jwt_secret="too-short")  # type: ignore[arg-type]


def test_production_accepts_a_long_enough_secret() -> None:
    secret = "s" * MIN_JWT_SECRET_BYTES
    settings = Settings(
        env=Environment.production,
        jwt_secret=secret,  # type: ignore[arg-type]
        totp_encryption_keys="t" * MIN_JWT_SECRET_BYTES,  # type: ignore[arg-type]
    )
    assert settings.signing_secret() == secret


def test_production_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COACH_ENV", "production")
    with pytest.raises(ValidationError):
        Settings()


def test_development_generates_and_keeps_a_local_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(env=Environment.development)
    with caplog.at_level(logging.WARNING, logger="app.core.config"):
        first = settings.signing_secret()
    assert len(first.encode()) >= MIN_JWT_SECRET_BYTES
    stored = tmp_path / LOCAL_SECRETS_FILE
    assert stored.read_text().strip() == first
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert "COACH_JWT_SECRET is not set" in caplog.text

    assert settings.signing_secret() == first
    # A restart (new Settings) reuses it, so sessions survive.
    assert Settings(env=Environment.development).signing_secret() == first


def test_development_replaces_a_too_short_stored_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / LOCAL_SECRETS_FILE).write_text("short\n")
    secret = Settings(env=Environment.development).signing_secret()
    assert len(secret.encode()) >= MIN_JWT_SECRET_BYTES
    assert (tmp_path / LOCAL_SECRETS_FILE).read_text().strip() == secret


def test_an_explicit_secret_wins_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    secret = "explicit-" + "z" * 40
    assert Settings(jwt_secret=secret).signing_secret() == secret  # type: ignore[arg-type]
    assert not (tmp_path / LOCAL_SECRETS_FILE).exists()


@pytest.mark.parametrize(
    ("time_cost", "memory_kib", "accepted"),
    [
        (3, 65536, True),  # the default
        (2, 19456, True),  # OWASP's floor with two passes
        (1, 47104, True),  # and with one
        (1, 19456, False),
        (2, 19455, False),
        (1, 8, False),  # what the tests use
    ],
)
def test_production_refuses_weak_password_hashing(
    time_cost: int, memory_kib: int, accepted: bool
) -> None:
    def build() -> Settings:
        return Settings(
            env=Environment.production,
            jwt_secret="s" * MIN_JWT_SECRET_BYTES,  # type: ignore[arg-type]
            totp_encryption_keys="t" * MIN_JWT_SECRET_BYTES,  # type: ignore[arg-type]
            password_hash_time_cost=time_cost,
            password_hash_memory_kib=memory_kib,
        )

    if accepted:
        build()
    else:
        with pytest.raises(ValidationError, match="COACH_PASSWORD_HASH_"):
            build()


def test_new_hashes_use_the_configured_parameters_and_old_ones_still_verify() -> None:
    from app.core import security

    strong = Settings(password_hash_time_cost=2, password_hash_memory_kib=19456)
    cheap = Settings(
        password_hash_time_cost=1, password_hash_memory_kib=8, password_hash_parallelism=1
    )
    try:
        security.configure_password_hashing(strong)
        kept = security.hash_password("a passphrase of some length")
        assert "$m=19456,t=2,p=4$" in kept
        security.configure_password_hashing(cheap)
        assert "$m=8,t=1,p=1$" in security.hash_password("another passphrase")
        assert security.verify_password("a passphrase of some length", kept)
        assert not security.verify_password("a wrong passphrase", kept)
    finally:
        security.configure_password_hashing(cheap)  # what the suite runs with
