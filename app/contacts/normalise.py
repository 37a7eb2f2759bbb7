"""Normal forms used to detect duplicate contacts (same email or LinkedIn profile)."""

import re
from urllib.parse import urlsplit

from app.core.web_url import optional_web_url


def normalise_email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    return email.strip().lower()


_LINKEDIN_PROFILE = re.compile(r"^/(in|pub)/([^/?#]+)")


def normalise_linkedin(url: str | None) -> str | None:
    """`https://www.LinkedIn.com/in/Jane-Doe/?trk=x` → `linkedin.com/in/jane-doe`, for an
    address `web_url` accepted (raises its ValueError for any other)."""
    checked = optional_web_url(url)
    if checked is None:
        return None
    parts = urlsplit(checked)
    host = parts.netloc.removeprefix("www.")
    for prefix in ("m.", "mobile."):
        host = host.removeprefix(prefix)
    path = parts.path.rstrip("/")
    match = _LINKEDIN_PROFILE.match(path)
    if host.endswith("linkedin.com") and match:
        return f"linkedin.com/{match.group(1)}/{match.group(2).lower()}"
    return f"{host}{path}".lower()
