"""Assembling a client's contact forest in Python, in O(n), from one read of its contacts."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.contacts.schemas import BranchYield, ChainLink, ContactTreeNode
from app.contacts.warmth import warmth_of


@dataclass(frozen=True, slots=True)
class Forest:
    roots: list[ContactTreeNode]
    branch_yields: list[BranchYield]


def build_forest(
    rows: Sequence[Any],
    *,
    root_id: uuid.UUID | None,
    max_depth: int | None,
    cold_after_days: int,
    now: datetime,
) -> Forest | None:
    """The forest (or the subtree under `root_id`; None if it is not among `rows`).

    `rows` carry id, referred_by_id, full_name, company_name, title, depth and
    last_contacted_at, in the order children should be listed. `max_depth` counts
    levels below the returned roots; descendant counts and yields ignore it.
    Contacts caught in a (corrupt) cycle are left out rather than looping.
    """
    # Positions instead of UUIDs as keys: hashing a UUID runs Python code, and the
    # tree endpoint must stay fast for thousands of contacts.
    position = {row.id: i for i, row in enumerate(rows)}
    children: list[list[int]] = [[] for _ in rows]
    tops: list[int] = []
    for i, row in enumerate(rows):
        parent = position.get(row.referred_by_id) if row.referred_by_id is not None else None
        if parent is None:
            tops.append(i)
        else:
            children[parent].append(i)
    if root_id is not None and root_id not in position:
        return None
    starts = [position[root_id]] if root_id is not None else tops

    # Pre-order walk without recursion: a long referral chain must not hit Python's stack.
    order: list[tuple[int, int]] = []
    seen = [False] * len(rows)
    stack = [(start, 0) for start in reversed(starts)]
    while stack:
        i, level = stack.pop()
        if seen[i]:
            continue
        seen[i] = True
        order.append((i, level))
        stack.extend((child, level + 1) for child in reversed(children[i]))

    # Reverse pre-order visits every child before its parent.
    done = [False] * len(rows)
    counts = [0] * len(rows)
    deepest = [0] * len(rows)
    nodes: list[ContactTreeNode | None] = [None] * len(rows)
    for i, level in reversed(order):
        row = rows[i]
        kids = [k for k in children[i] if done[k]]
        done[i] = True
        counts[i] = len(kids) + sum(counts[k] for k in kids)
        deepest[i] = max(row.depth, max((deepest[k] for k in kids), default=0))
        if max_depth is not None and level > max_depth:
            continue
        # Rows come typed from the database: skip re-validating thousands of nodes.
        nodes[i] = ContactTreeNode.model_construct(
            id=row.id,
            full_name=row.full_name,
            company_name=row.company_name,
            title=row.title,
            depth=row.depth,
            warmth=warmth_of(row.last_contacted_at, cold_after_days=cold_after_days, now=now),
            last_contacted_at=row.last_contacted_at,
            descendant_count=counts[i],
            children=[node for k in kids if (node := nodes[k]) is not None],
        )
    roots = [(s, node) for s in starts if (node := nodes[s]) is not None]
    return Forest(
        roots=[node for _, node in roots],
        branch_yields=[
            BranchYield(
                root_id=node.id,
                descendants=counts[s],
                deepest_depth=deepest[s],
                met_in_interview=0,
            )
            for s, node in roots
        ],
    )


def chain_to(rows: Sequence[Any], contact_id: uuid.UUID) -> list[ChainLink]:
    """Root first, `contact_id` last, following `referred_by_id` through `rows`."""
    by_id = {row.id: row for row in rows}
    links: list[ChainLink] = []
    seen: set[uuid.UUID] = set()
    current = by_id.get(contact_id)
    while current is not None and current.id not in seen:
        seen.add(current.id)
        links.append(
            ChainLink(
                id=current.id,
                full_name=current.full_name,
                company_name=current.company_name,
                title=current.title,
                depth=current.depth,
            )
        )
        current = by_id.get(current.referred_by_id) if current.referred_by_id else None
    links.reverse()
    return links
