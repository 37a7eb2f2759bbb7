"""Rate limits over HTTP.

- Every authenticated request counts against its caller: the user behind an
  access token, or the API key (`RateLimitMiddleware`).
- Sign-up, sign-in, the second-factor step, refresh and invitation acceptance
  also count against the client address (`AuthAttemptLimit` on those routes).
- A password or second-factor code is checked only inside `SignInFailures`:
  failed sign-ins are limited per email (from every address together) and per
  client address (over every email).
- Responses carry the IETF draft `RateLimit-Policy` and `RateLimit` fields
  (draft-ietf-httpapi-ratelimit-headers) for the limits the request met; a
  refusal is a 429 problem naming the limit, with `Retry-After`.

The client address is `client_ip`: the ASGI peer, or, when the peer is one of
`COACH_TRUSTED_PROXIES`, what `X-Forwarded-For` says (`client_address`).
"""

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from types import TracebackType
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
    """The client's address, as everything that keys on it must see it."""
    settings: Settings = request.app.state.settings
    return client_address(request.scope, settings.trusted_proxies)


def client_address(scope: Scope, trusted: Sequence[IPv4Network | IPv6Network]) -> str:
    """The peer address, unless the peer is a trusted proxy: then the right-most
    `X-Forwarded-For` entry that is not itself a trusted proxy.

    Each proxy appends the address it was connected from, so only entries from the
    right up to the first untrusted one were written by proxies we trust; anything
    further left is whatever the client sent. An entry that is not an address (empty,
    `unknown`, garbage) ends the walk at the trusted hop to its right, so a client can
    neither choose its own address nor get a 500. All entries trusted: the left-most.
    """
    peer = scope.get("client")
    host = str(peer[0]) if peer else "unknown"
    parsed = _address(host)
    if parsed is None:
        return host
    if not _is_trusted(parsed, trusted):
        return str(parsed)
    forwarded = ",".join(
        value.decode("latin-1") for name, value in scope["headers"] if name == b"x-forwarded-for"
    )
    client = parsed
    for entry in reversed(forwarded.split(",")) if forwarded else ():
        hop = _address(entry)
        if hop is None:
            break
        client = hop
        if not _is_trusted(hop, trusted):
            break
    return str(client)


def _address(text: str) -> IPv4Address | IPv6Address | None:
    """An address as proxies write it: `192.0.2.1`, `192.0.2.1:443`, `2001:db8::1`,
    `[2001:db8::1]:443`; IPv4-mapped IPv6 as IPv4, without a zone. None if not one."""
    text = text.strip(" \t")
    if text.startswith("["):
        text, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not (rest.startswith(":") and _is_port(rest[1:]))):
            return None
    elif text.count(":") == 1:
        text, _, port = text.partition(":")
        if not _is_port(port):
            return None
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        return IPv6Address(int(address))  # without a `%zone`
    return address


def _is_port(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 5


def _is_trusted(
    address: IPv4Address | IPv6Address, trusted: Sequence[IPv4Network | IPv6Network]
) -> bool:
    return any(address in network for network in trusted)


def address_subject(request: Request) -> str:
    """What per-address limits count: the client address, an IPv6 one by its /64 (the
    smallest network one subscriber gets, whose addresses it can change at will)."""
    address = client_ip(request)
    parsed = _address(address)
    if isinstance(parsed, IPv6Address):
        return str(IPv6Network((parsed, 64), strict=False))
    return address


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


async def _limit_auth_attempts_by_ip(request: Request) -> None:
    limiter = rate_limiter(request)
    await enforce(request, limiter.auth_ip, address_subject(request))


AuthAttemptLimit = Depends(_limit_auth_attempts_by_ip)
"""Route dependency: every attempt counts against the client IP (`auth-ip` policy)."""


class SignInFailures:
    """One check of a sign-in secret (a password, a second-factor code), counted as a
    failed sign-in against the client address and the account before it is made.

        async with SignInFailures(request, account=email, failures=(Unauthorized,)):
            ...  # check the secret

    Entering refuses with 429 when the address (`login-failures-ip`) or the account
    (`login-failures`, keyed by the normalised email, known or not: the answer is the
    same) has no failure left. Leaving with one of `failures` keeps the count; leaving
    any other way (success, a right password that owes a second factor, a database
    error) gives the units back, so only failures count, and a success resets nothing:
    not the address's count, which other accounts' guesses share, nor the account's,
    which would hand a guesser a fresh budget whenever the owner signs in.

    Counting first means concurrent guesses cannot all pass a check made before any
    of them failed: at most the quota is ever being tried or failed in a window.
    """

    def __init__(
        self, request: Request, *, account: str, failures: tuple[type[Exception], ...]
    ) -> None:
        limiter = rate_limiter(request)
        self._limiter = limiter
        self._failures = failures
        self._subjects = (
            (limiter.login_failures_ip, address_subject(request)),
            (limiter.login_failures, account),
        )
        self._counted: list[tuple[RateLimitPolicy, str]] = []

    async def __aenter__(self) -> None:
        for policy, subject in self._subjects:
            usage = await self._limiter.hit(policy, subject)
            if usage is None:
                continue  # the store is unreachable: fail open, like every limit
            self._counted.append((policy, subject))
            if usage.exceeded:
                await self._release()  # a refused attempt is no failed sign-in
                raise limit_exceeded(usage)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is None or not isinstance(exc, self._failures):
            await self._release()

    async def _release(self) -> None:
        for policy, subject in self._counted:
            await self._limiter.release(policy, subject)
        self._counted.clear()


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
