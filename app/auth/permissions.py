"""Role checks made after an object has been found (404 before 403)."""

from collections.abc import Collection

from app.auth.principal import Principal
from app.core.errors import Forbidden
from app.models.enums import Role


def require_role(principal: Principal, roles: Collection[Role], action: str) -> None:
    """403 unless the caller is an API key (scope already checked) or holds one of `roles`."""
    if principal.is_api_key or principal.role in roles:
        return
    raise Forbidden(f"Your role may not {action}.")
