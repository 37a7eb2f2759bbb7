"""Rate limits over HTTP.

- Every authenticated request counts against its caller: the user behind an
  access token, or the API key (`RateLimitMiddleware`).
- Sign-up, sign-in and refresh also count against the client IP, with a
  stricter quota (`AuthAttemptLimit` on those routes).
- Responses carry the IETF draft `RateLimit-Policy` and `RateLimit` fields
  (draft-ietf-httpapi-ratelimit-headers) for the limits the request met; a
  refusal is a 429 problem naming the limit, with `Retry-After`.

The client IP is the ASGI peer address; behind a proxy, uvicorn's
`--proxy-headers` / `FORWARDED_ALLOW_IPS` decide whom to believe.
"""

from collections.abc import Sequence
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth.dependencies import parse_api_key
from app.auth.principal import Principal
from app.core.config import Settings
from app.core.errors import TooManyRequests, problem_response
from app.core.rate_limit import RateLimiter, RateLimitPolicy, Usage
from app.core.security import InvalidToken, decode_access_token, looks_like_jwt

# Where a request collects the usages its response headers report (ASGI scope state).
_USAGES = "rate_limit_usages"


def rate_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def limit_exceeded(usage: Usage) -> TooManyRequests:
    """The 429 problem for a refused request, naming the limit it hit."""
    policy = usage.policy
    return TooManyRequests(
        f"Rate limit `{policy.name}` reached: {policy.quota} {policy.unit} per "
        f"{policy.window_seconds} s per {policy.per}; retry in {usage.reset_after} s.",
        retry_after=usage.reset_after,
        policy=policy.name,
        quota=policy.quota,
        window_seconds=policy.window_seconds,
    )


def rate_limit_headers(usages: Sequence[Usage]) -> dict[str, str]:
    """`RateLimit-Policy: "user";q=600;w=60` and `RateLimit: "user";r=599;t=60`."""
    return {
        "RateLimit-Policy": ", ".join(
            f'"{u.policy.name}";q={u.policy.quota};w={u.policy.window_seconds}' for u in usages
        ),
        "RateLimit": ", ".join(
            f'"{u.policy.name}";r={u.remaining};t={u.reset_after}' for u in usages
        ),
    }


def _usages(scope: Scope) -> list[Usage]:
    usages: list[Usage] = scope.setdefault("state", {}).setdefault(_USAGES, [])
    return usages


async def enforce(request: Request, policy: RateLimitPolicy, subject: str) -> None:
    """Count this request against `subject`; 429 once the quota is used up."""
    usage = await rate_limiter(request).hit(policy, subject)
    if usage is None:
        return
    _usages(request.scope).append(usage)
    if usage.exceeded:
        raise limit_exceeded(usage)


async def refuse_if_exhausted(request: Request, policy: RateLimitPolicy, subject: str) -> None:
    """429 if `subject` has nothing left under `policy`, without counting this request."""
    usage = await rate_limiter(request).peek(policy, subject)
    if usage is not None and usage.exhausted:
        raise limit_exceeded(usage)


async def _limit_auth_attempts_by_ip(request: Request) -> None:
    limiter = rate_limiter(request)
    await enforce(request, limiter.auth_ip, client_ip(request))


AuthAttemptLimit = Depends(_limit_auth_attempts_by_ip)
"""Route dependency: every attempt counts against the client IP (`auth-ip` policy)."""


class RateLimitMiddleware:
    """Per-user and per-API-key limits, and the rate-limit headers of every response.

    A caller is charged once authentication has succeeded (the principal is known
    when the response starts), so someone holding only an API key's id cannot use
    up its quota. A caller with nothing left is refused before any work is done,
    recognised from the credential it presents. (Requests already in flight when
    the quota runs out still finish: a burst may overshoot by its concurrency.)
    """

    def __init__(self, app: ASGIApp, limiter: RateLimiter, settings: Settings) -> None:
        self.app = app
        self.limiter = limiter
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        usages = _usages(scope)
        state: dict[str, Any] = scope["state"]
        claimed = self._claimed_caller(scope)
        if claimed is not None:
            usage = await self.limiter.peek(*claimed)
            if usage is not None and usage.exhausted:
                await _refusal(usage)(scope, receive, send)
                return

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                principal = state.get("principal")
                if isinstance(principal, Principal):
                    usage = await self.limiter.hit(*self._caller(principal))
                    if usage is not None:
                        usages.append(usage)
                if usages:
                    message["headers"] = [
                        *message.get("headers", []),
                        *(
                            (name.lower().encode(), value.encode())
                            for name, value in rate_limit_headers(usages).items()
                        ),
                    ]
            await send(message)

        await self.app(scope, receive, send_with_limits)

    def _caller(self, principal: Principal) -> tuple[RateLimitPolicy, str]:
        if principal.api_key_id is not None:
            return self.limiter.api_key, str(principal.api_key_id)
        return self.limiter.user, str(principal.user_id)

    def _claimed_caller(self, scope: Scope) -> tuple[RateLimitPolicy, str] | None:
        """Who the credential says the caller is (the token's signature is checked)."""
        credential = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        scheme, _, token = credential.partition(" ")
        if scheme.lower() != "bearer":
            return None
        if looks_like_jwt(token):
            try:
                return self.limiter.user, str(decode_access_token(self.settings, token).user_id)
            except InvalidToken:
                return None  # the route answers 401
        parsed = parse_api_key(token)
        return (self.limiter.api_key, str(parsed[0])) if parsed is not None else None


def _refusal(usage: Usage) -> JSONResponse:
    # Rendered here: middleware runs outside the app's exception handlers.
    refused = limit_exceeded(usage)
    return problem_response(
        refused.status,
        refused.slug,
        refused.title,
        refused.detail,
        headers={"Retry-After": str(refused.retry_after), **rate_limit_headers([usage])},
        **refused.extensions,
    )
