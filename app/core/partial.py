"""Partial updates (PATCH): a field may be left out, but a required one may not be nulled."""

from collections.abc import Iterable

from pydantic import BaseModel


def refuse_cleared(update: BaseModel, required: Iterable[str]) -> None:
    """Raise ValueError (a 422) when the body sets one of `required` to null.

    Omitted fields stay as they are; a null would reach a NOT NULL column (or a list
    the reads promise) and fail there instead of at the door."""
    cleared = [n for n in required if n in update.model_fields_set and getattr(update, n) is None]
    if cleared:
        raise ValueError(f"{', '.join(cleared)} cannot be null")
