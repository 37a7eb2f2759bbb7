"""Headers that tell a client where what it created lives."""

from typing import Any

from fastapi import Request, Response


def set_location(response: Response, request: Request, route_name: str, **path_params: Any) -> None:
    """Point `Location` at the route named `route_name`, filled with `path_params`.

    The value is a path from the site's root (with the prefix the route's router was
    included under, e.g. `/api/v1/contacts/{id}`), not an absolute URL. Routes a
    `Location` points at are named after their operation id (`name=` on the route).
    """
    response.headers["Location"] = str(request.app.url_path_for(route_name, **path_params))
