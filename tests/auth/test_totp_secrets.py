"""TOTP secrets are stored encrypted: reading the database is not enough to make codes.
The keys rotate (the first encrypts, every one decrypts), and a secret stored in clear
text before encryption still works and is sealed on its next code."""

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr, ValidationError
from sqlalchemy import Uuid, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from app.cli import alembic_config
from app.core.config import LOCAL_SECRETS_FILE, Environment, Settings, get_settings
from app.core.encryption import PREFIX, SecretBox, UnreadableSecret
from app.core.time import set_clock
from tests.auth.test_mfa import TOKEN_MFA, SteppingClock, code, enrol, mfa_token
from tests.factories.identity import Actor, signup

OLD_KEY = "an-old-totp-encryption-key-for-tests-" + "o" * 20
NEW_KEY = "a-new-totp-encryption-key-for-tests-" + "n" * 20
_USER_ID = bindparam("id", type_=Uuid())


@pytest.fixture
def clock() -> Iterator[SteppingClock]:
    stepping = SteppingClock()
    set_clock(stepping)
    yield stepping
    set_clock(None)


@pytest.fixture
def keys(app: Any, settings: Settings) -> Iterator[Any]:
    """Serve with `COACH_TOTP_ENCRYPTION_KEYS` set to what the test says, from then on."""

    def use(value: str) -> None:
        app.state.settings = settings.model_copy(update={"totp_encryption_keys": SecretStr(value)})

    yield use
    app.state.settings = settings


async def stored_secret(db: AsyncSession, actor: Actor) -> str:
    """`users.mfa_secret` as the database holds it."""
    raw = await db.scalar(
        text("SELECT mfa_secret FROM users WHERE id = :id").bindparams(_USER_ID),
        {"id": actor.user_id},
    )
    await db.rollback()
    assert isinstance(raw, str)
    return raw


async def signs_in_with_a_code(http: httpx.AsyncClient, actor: Actor, secret: str) -> bool:
    token = await mfa_token(http, actor.email)
    response = await http.post(TOKEN_MFA, json={"mfa_token": token, "code": code(secret)})
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200


async def test_the_secret_is_stored_encrypted_and_still_checks_codes(
    client: httpx.AsyncClient, db: AsyncSession, clock: SteppingClock
) -> None:
    owner = await signup(client)
    enrolled = await enrol(client, owner, clock)

    stored = await stored_secret(db, owner)
    assert stored.startswith(PREFIX)
    assert enrolled.secret not in stored
    assert await signs_in_with_a_code(client, owner, enrolled.secret)


async def test_codes_still_verify_while_the_keys_rotate(
    client: httpx.AsyncClient, db: AsyncSession, clock: SteppingClock, keys: Any
) -> None:
    keys(OLD_KEY)
    owner = await signup(client)
    enrolled = await enrol(client, owner, clock)
    under_old_key = await stored_secret(db, owner)
    assert SecretBox([OLD_KEY]).open(under_old_key).value == enrolled.secret

    # A new key first, the old one after it: old secrets still open...
    keys(f"{NEW_KEY},{OLD_KEY}")
    assert await signs_in_with_a_code(client, owner, enrolled.secret)
    # ...and the code that opened it sealed it again under the new key.
    under_new_key = await stored_secret(db, owner)
    assert under_new_key != under_old_key
    assert SecretBox([NEW_KEY]).open(under_new_key).value == enrolled.secret
    with pytest.raises(UnreadableSecret):
        SecretBox([OLD_KEY]).open(under_new_key)

    # The old key can then go.
    keys(NEW_KEY)
    clock.next_step()
    assert await signs_in_with_a_code(client, owner, enrolled.secret)
    # Without the key a secret is under, no code of it is accepted (and nothing breaks).
    keys(OLD_KEY)
    clock.next_step()
    assert not await signs_in_with_a_code(client, owner, enrolled.secret)


async def test_a_secret_stored_in_clear_before_encryption_works_and_is_sealed_on_use(
    client: httpx.AsyncClient, db: AsyncSession, clock: SteppingClock
) -> None:
    owner = await signup(client)
    enrolled = await enrol(client, owner, clock)
    await db.execute(
        text("UPDATE users SET mfa_secret = :secret WHERE id = :id").bindparams(_USER_ID),
        {"secret": enrolled.secret, "id": owner.user_id},
    )
    await db.commit()

    assert await signs_in_with_a_code(client, owner, enrolled.secret)

    stored = await stored_secret(db, owner)
    assert stored.startswith(PREFIX)
    assert enrolled.secret not in stored


def test_production_refuses_to_start_without_totp_encryption_keys() -> None:
    jwt_secret = SecretStr("production-secret-" + "p" * 40)
    with pytest.raises(ValidationError, match="COACH_TOTP_ENCRYPTION_KEYS is required"):
        Settings(env=Environment.production, jwt_secret=jwt_secret)
    with pytest.raises(ValidationError, match="at least"):
        Settings(
            env=Environment.production,
            jwt_secret=jwt_secret,
            totp_encryption_keys=SecretStr(f"{NEW_KEY},too-short"),
        )
    rotating = Settings(
        env=Environment.production,
        jwt_secret=jwt_secret,
        totp_encryption_keys=SecretStr(f"{NEW_KEY}, {OLD_KEY}"),
    )
    assert rotating.totp_keys() == [NEW_KEY, OLD_KEY]


def test_without_keys_development_derives_one_from_the_jwt_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    jwt_secret = "development-secret-" + "d" * 40
    settings = Settings(env=Environment.development, jwt_secret=SecretStr(jwt_secret))
    assert settings.totp_keys() == [jwt_secret]
    assert not (tmp_path / LOCAL_SECRETS_FILE).exists()
    # HKDF stretches it into a key of its own: the JWT secret itself is not the key.
    sealed = SecretBox(settings.totp_keys()).seal("JBSWY3DPEHPK3PXP")
    assert SecretBox(settings.totp_keys()).open(sealed).value == "JBSWY3DPEHPK3PXP"
    assert jwt_secret not in sealed


async def test_the_migration_encrypts_clear_secrets_when_given_the_keys_and_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alembic import command

    url = f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}"
    config = alembic_config(url)
    config.attributes["configure_logging"] = False
    await asyncio.to_thread(command.upgrade, config, "0013")
    user_id = uuid.uuid4()
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO users (id, email, full_name, password_hash, mfa_secret,"
                " created_at, updated_at) VALUES (:id, 'legacy@example.com', 'Legacy', 'x',"
                " 'JBSWY3DPEHPK3PXP', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            ),
            {"id": user_id.hex},
        )

    async def secret() -> str:
        async with engine.connect() as connection:
            value = await connection.scalar(text("SELECT mfa_secret FROM users"))
        assert isinstance(value, str)
        return value

    monkeypatch.setenv("COACH_TOTP_ENCRYPTION_KEYS", NEW_KEY)
    get_settings.cache_clear()
    try:
        await asyncio.to_thread(command.upgrade, config, "head")
        sealed = await secret()
        assert SecretBox([NEW_KEY]).open(sealed).value == "JBSWY3DPEHPK3PXP"

        await asyncio.to_thread(command.downgrade, config, "0013")
        assert await secret() == "JBSWY3DPEHPK3PXP"
    finally:
        get_settings.cache_clear()
        await engine.dispose()
