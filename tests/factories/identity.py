"""Organizations, members and API keys for tests: a fresh organization per test."""

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.security import hash_password, hash_secret, new_secret
from app.db.tenancy import bind_organization
from app.models import ApiKey, Membership, User
from app.models.enums import Role

PASSWORD = "correct horse battery staple"


@dataclass
class Actor:
    organization_id: uuid.UUID
    user_id: uuid.UUID | None
    role: Role | None
    email: str | None
    token: str
    refresh_token: str | None = None
    client_id: uuid.UUID | None = None
    scopes: list[str] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def unique_email(label: str = "user") -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}@example.com"


async def signup(http: httpx.AsyncClient, *, organization_name: str = "Northstar") -> Actor:
    email = unique_email("owner")
    response = await http.post(
        "/api/v1/auth/signup",
        json={
            "organization_name": organization_name,
            "full_name": "Olive Owner",
            "email": email,
            "password": PASSWORD,
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    me = await http.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    return Actor(
        organization_id=uuid.UUID(body["organization_id"]),
        user_id=uuid.UUID(me.json()["user"]["id"]),
        role=Role.owner,
        email=email,
        token=body["access_token"],
        refresh_token=body["refresh_token"],
    )


async def sign_in(http: httpx.AsyncClient, email: str, **extra: Any) -> httpx.Response:
    return await http.post(
        "/api/v1/auth/token", data={"username": email, "password": PASSWORD, **extra}
    )


async def add_member(
    http: httpx.AsyncClient,
    db: AsyncSession,
    organization_id: uuid.UUID,
    role: Role,
    *,
    client_id: uuid.UUID | str | None = None,
) -> Actor:
    """A member created directly in the database, then signed in through the API."""
    email = unique_email(role.value)
    client_id = uuid.UUID(str(client_id)) if client_id is not None else None
    await bind_organization(db, organization_id)
    user = User(
        email=email, full_name=f"{role.value.title()} Member", password_hash=hash_password(PASSWORD)
    )
    db.add(user)
    await db.flush()
    db.add(
        Membership(organization_id=organization_id, user_id=user.id, role=role, client_id=client_id)
    )
    await db.commit()
    response = await sign_in(http, email)
    assert response.status_code == 200, response.text
    body = response.json()
    return Actor(
        organization_id=organization_id,
        user_id=user.id,
        role=role,
        email=email,
        token=body["access_token"],
        refresh_token=body["refresh_token"],
        client_id=client_id,
    )


async def add_api_key(db: AsyncSession, organization_id: uuid.UUID, scopes: list[str]) -> Actor:
    await bind_organization(db, organization_id)
    secret = new_secret()
    key = ApiKey(
        id=uuid.uuid4(),
        organization_id=organization_id,
        name="test key",
        prefix="ck_test",
        secret_hash=hash_secret(secret),
        scopes=scopes,
    )
    db.add(key)
    await db.commit()
    return Actor(
        organization_id=organization_id,
        user_id=None,
        role=None,
        email=None,
        token=f"ck_{key.id.hex}_{secret}",
        scopes=scopes,
    )
