"""The route class every router uses: one commit, before the response is serialised.

A dependency's teardown runs after the response has been sent, so a commit
there could fail after a 200. Here the request's session is committed as soon
as the endpoint returns; if the commit fails, the client gets the error.
"""

import functools
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute

from app.core.request_context import current_request_context


class AutoCommitAPIRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, _committing(endpoint), **kwargs)


def _committing(
    endpoint: Callable[..., Coroutine[Any, Any, Any]],
) -> Callable[..., Coroutine[Any, Any, Any]]:
    @functools.wraps(endpoint)
    async def endpoint_then_commit(*args: Any, **kwargs: Any) -> Any:
        result = await endpoint(*args, **kwargs)
        context = current_request_context()
        if context is not None and context.session is not None:
            await context.session.commit()
        return result

    return endpoint_then_commit


def api_router(**kwargs: Any) -> APIRouter:
    return APIRouter(route_class=AutoCommitAPIRoute, **kwargs)
