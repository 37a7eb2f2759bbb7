"""ETag / If-Match: optimistic concurrency on top of each row's `version`."""

from typing import Annotated, TypeVar

from fastapi import Header, Response

from app.core.errors import PreconditionFailed


def etag_for(version: int) -> str:
    return f'"{version}"'


_Read = TypeVar("_Read")


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag_for(version)


def with_etag(response: Response, version: int, read: _Read) -> _Read:
    """Answer `read` (the schema of a row at `version`) with that version's `ETag`."""
    set_etag(response, version)
    return read


IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="The `ETag` you read; the write is refused with 412 if it changed since.",
    ),
]


def check_if_match(if_match: str | None, current_version: int) -> None:
    """Raise 412 when the client's `If-Match` names another version."""
    if if_match is None:
        return
    candidates = [tag.strip() for tag in if_match.split(",")]
    if "*" in candidates or etag_for(current_version) in candidates:
        return
    raise PreconditionFailed(
        "The resource changed since you read it; fetch it again and retry.",
        current_etag=etag_for(current_version),
    )
