"""Warm paths: the client's contact tree joined with a target company, walked in Python
from one read of the client's contacts (O(n), whatever the size of the network)."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from app.companies.normalise import normalise_company_name
from app.companies.schemas import MatchedBy, WarmChainLink, WarmPath, WarmPathRoot
from app.contacts.warmth import warmth_at, warmth_bounds
from app.models import Company
from app.models.enums import Warmth

# Best first: a recent conversation is the easiest one to pick up again.
WARMTH_RANK = {Warmth.warm: 0, Warmth.cooling: 1, Warmth.cold: 2, Warmth.never: 3}


def find_warm_paths(
    rows: Sequence[Any], company: Company, *, cold_after_days: int, now: datetime
) -> tuple[list[WarmPath], list[WarmPathRoot]]:
    """(people at `company` with their chains, the roots whose branches reach them).

    `rows` are the client's contacts with `id`, `referred_by_id`, `full_name`,
    `company_name`, `title`, `role_at_company`, `company_id`, `depth` and
    `last_contacted_at`. A parent missing from `rows` makes its child a root, and a
    person whose trail loops (a corrupt cycle) is left out, as in the contact tree.
    """
    warm_since, cooling_since = warmth_bounds(cold_after_days, now)
    by_id = {row.id: row for row in rows}
    target = normalise_company_name(company.name)
    # Shared ancestors are built once, however many people they lead to.
    links: dict[uuid.UUID, WarmChainLink] = {}

    def link(row: Any) -> WarmChainLink:
        found = links.get(row.id)
        if found is None:
            found = links[row.id] = WarmChainLink(
                id=row.id,
                full_name=row.full_name,
                company_name=row.company_name,
                title=row.title,
                depth=row.depth,
                warmth=warmth_at(row.last_contacted_at, warm_since, cooling_since),
            )
        return found

    people: list[WarmPath] = []
    reach: dict[uuid.UUID, list[int]] = {}  # root id → [people, shortest hops]
    for row in rows:
        matched = _matched_by(row, company.id, target)
        if matched is None:
            continue
        trail = _trail(row, by_id)
        if trail is None:
            continue
        chain = [link(r) for r in trail]
        hops = len(chain) - 1
        people.append(
            WarmPath(
                contact_id=row.id,
                full_name=row.full_name,
                title=row.title,
                role_at_company=row.role_at_company,
                matched_by=matched,
                warmth=chain[-1].warmth,
                last_contacted_at=row.last_contacted_at,
                hops=hops,
                chain=chain,
            )
        )
        counted = reach.setdefault(chain[0].id, [0, hops])
        counted[0] += 1
        counted[1] = min(counted[1], hops)

    people.sort(key=lambda p: (WARMTH_RANK[p.warmth], p.hops, p.full_name.casefold(), p.contact_id))
    roots = [
        WarmPathRoot(
            contact_id=root_id,
            full_name=by_id[root_id].full_name,
            title=by_id[root_id].title,
            warmth=links[root_id].warmth,
            last_contacted_at=by_id[root_id].last_contacted_at,
            people_at_company=count,
            shortest_hops=shortest,
        )
        for root_id, (count, shortest) in reach.items()
    ]
    roots.sort(
        key=lambda r: (
            WARMTH_RANK[r.warmth],
            r.shortest_hops,
            -r.people_at_company,
            r.full_name.casefold(),
            r.contact_id,
        )
    )
    return people, roots


def _matched_by(row: Any, company_id: uuid.UUID, target: str | None) -> MatchedBy | None:
    if row.company_id == company_id:
        return "linked"
    # A contact linked to another company works there, whatever its free text says.
    unlinked = row.company_id is None and target is not None
    if unlinked and normalise_company_name(row.company_name) == target:
        return "name"
    return None


def _trail(row: Any, by_id: dict[uuid.UUID, Any]) -> list[Any] | None:
    """Root first, `row` last; None if the referrals loop before reaching a root."""
    trail = [row]
    seen = {row.id}
    while (parent := by_id.get(trail[-1].referred_by_id)) is not None:
        if parent.id in seen:
            return None
        seen.add(parent.id)
        trail.append(parent)
    trail.reverse()
    return trail
