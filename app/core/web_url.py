"""The one parser of web addresses clients send (`linkedin_url`, a company's `website`)."""

import ipaddress
import re
from urllib.parse import urlsplit, urlunsplit

MAX_URL_LENGTH = 500  # the columns' size

# Whitespace, controls, and what RFC 3986 never allows unescaped (brackets only
# around an IPv6 host, which is checked apart).
_NOT_IN_URL = re.compile(r"[\s\x00-\x1f\x7f-\x9f<>\"{}|\\^`\[\]]")
# `javascript:…`, `mailto:…` (but `example.com:8080/x` is a host and a port).
_OTHER_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*:(?!\d)", re.IGNORECASE)
# A host name: labels of letters and digits (any script), inner hyphens/underscores.
_HOST_LABEL = re.compile(r"[^\W_](?:[\w-]*[^\W_])?")


def web_url(value: str) -> str:
    """An http(s) address as stored: a host, no credentials, at most 500 characters;
    scheme and host lowercased, `https://` added when none was typed
    (`linkedin.com/in/jane`). ValueError (a 422 in a schema) for anything else."""
    raw = value.strip()
    if "://" not in raw:
        if _OTHER_SCHEME.match(raw):
            raise ValueError("must be an http or https URL")
        raw = "https://" + raw
    try:
        parts = urlsplit(raw)
        host, port = parts.hostname, parts.port  # .port: ValueError when not a number
    except ValueError:
        raise ValueError("is not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError("must be an http or https URL")
    if parts.username is not None or parts.password is not None:
        raise ValueError("may not hold a user name or password")
    if not host:
        raise ValueError("needs a host")
    bracketed = parts.netloc.rpartition("@")[2].startswith("[")
    rest = urlunsplit(("", "", parts.path, parts.query, parts.fragment))
    if _NOT_IN_URL.search(rest) or (not bracketed and _NOT_IN_URL.search(host)):
        raise ValueError("may not contain spaces, control characters or brackets")
    if bracketed:
        try:
            host = f"[{ipaddress.IPv6Address(host).compressed}]"
        except ValueError:
            raise ValueError("has a bracketed host that is not an IPv6 address") from None
    elif not all(_HOST_LABEL.fullmatch(label) for label in host.removesuffix(".").split(".")):
        raise ValueError("does not have a valid host name")
    netloc = host if port is None else f"{host}:{port}"
    url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"must be at most {MAX_URL_LENGTH} characters")
    return url


def optional_web_url(value: str | None) -> str | None:
    """`web_url`, with an empty value meaning no address (as in an import's empty cell)."""
    if value is None or not value.strip():
        return None
    return web_url(value)
