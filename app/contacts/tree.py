"""Assembling a client's contact forest in Python, in O(n), from one read of its contacts.

The forest is built as plain dicts shaped like `ContactTree`, and serialised once by a
schema (no validation, no type inference): a pydantic model per node cost more than
everything else in a 5,000-contact tree (see benchmarks/README.md).
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from pydantic import TypeAdapter
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from app.contacts.schemas import ChainLink
from app.contacts.warmth import warmth_at, warmth_bounds
from app.models.enums import Warmth


class TreeRow(NamedTuple):
    """A contact as the tree is built from it (`repository.tree_rows` selects these fields,
    by these names and in this order)."""

    id: uuid.UUID
    referred_by_id: uuid.UUID | None
    full_name: str
    company_name: str | None
    title: str | None
    depth: int
    last_contacted_at: datetime | None
    met: bool  # the client met them in an interview


class TreeNode(TypedDict):
    """A `ContactTreeNode`, field for field and in the same order."""

    id: uuid.UUID
    full_name: str
    company_name: str | None
    title: str | None
    depth: int
    warmth: Warmth
    last_contacted_at: datetime | None
    descendant_count: int
    children: list["TreeNode"]


class BranchYieldRow(TypedDict):
    """A `BranchYield`, field for field and in the same order."""

    root_id: uuid.UUID
    descendants: int
    deepest_depth: int
    met_in_interview: int


class ContactTreeBody(TypedDict):
    """A `ContactTree`, field for field and in the same order."""

    client_id: uuid.UUID
    roots: list[TreeNode]
    branch_yields: list[BranchYieldRow]


_TREE_JSON = TypeAdapter(ContactTreeBody)


@dataclass(frozen=True, slots=True)
class Forest:
    roots: list[TreeNode]
    branch_yields: list[BranchYieldRow]

    def to_json(self, client_id: uuid.UUID) -> bytes:
        """The `ContactTree` response body for `client_id`."""
        return _TREE_JSON.dump_json(
            {"client_id": client_id, "roots": self.roots, "branch_yields": self.branch_yields}
        )


def build_forest(
    rows: Sequence[TreeRow],
    *,
    root_id: uuid.UUID | None,
    max_depth: int | None,
    cold_after_days: int,
    now: datetime,
) -> Forest | None:
    """The forest (or the subtree under `root_id`; None if it is not among `rows`).

    `rows` come in the order children should be listed. `max_depth` counts levels below
    the returned roots; descendant counts and yields ignore it. A root's
    `met_in_interview` counts the contacts below it that were met, not the root itself,
    like `descendants`. Contacts caught in a (corrupt) cycle are left out rather than
    looping.
    """
    if not rows:
        return None if root_id is not None else Forest(roots=[], branch_yields=[])
    # Columns (by `TreeRow`'s field names), and positions instead of UUIDs as keys:
    # per-row attribute access and UUID hashing run Python code, and the tree must stay
    # fast for thousands of contacts.
    column = dict(zip(TreeRow._fields, zip(*rows, strict=True), strict=True))
    ids, parent_ids = column["id"], column["referred_by_id"]
    names, companies, titles = column["full_name"], column["company_name"], column["title"]
    depths, lasts, mets = column["depth"], column["last_contacted_at"], column["met"]
    size = len(ids)
    position = dict(zip(ids, range(size), strict=True))
    if root_id is not None and root_id not in position:
        return None
    children: list[list[int]] = [[] for _ in range(size)]
    tops: list[int] = []
    for i, parent in enumerate(map(position.get, parent_ids)):  # None: a root
        if parent is None:
            tops.append(i)
        else:
            children[parent].append(i)
    starts = [position[root_id]] if root_id is not None else tops

    # Pre-order walk without recursion: a long referral chain must not hit Python's stack.
    order: list[tuple[int, int]] = []
    seen = [False] * size
    stack = [(start, 0) for start in reversed(starts)]
    while stack:
        i, level = stack.pop()
        if seen[i]:
            continue
        seen[i] = True
        order.append((i, level))
        if kids_of_i := children[i]:
            stack.extend((child, level + 1) for child in reversed(kids_of_i))

    # Reverse pre-order visits every child before its parent; `done` leaves out a child
    # that closes a cycle back to the start.
    warm_since, cooling_since = warmth_bounds(cold_after_days, now)
    done = [False] * size
    counts = [0] * size
    deepest = list(depths)
    met_below = [0] * size
    nodes: list[TreeNode | None] = [None] * size
    for i, level in reversed(order):
        kids: list[TreeNode] = []
        if kids_of_i := children[i]:
            count = met = 0
            deep = depths[i]
            for k in kids_of_i:
                if not done[k]:
                    continue
                count += counts[k] + 1
                met += met_below[k] + mets[k]
                if deepest[k] > deep:
                    deep = deepest[k]
                if (kid := nodes[k]) is not None:
                    kids.append(kid)
            counts[i], deepest[i], met_below[i] = count, deep, met
        done[i] = True
        if max_depth is not None and level > max_depth:
            continue
        last = lasts[i]
        warmth = warmth_at(last, warm_since, cooling_since)
        nodes[i] = {
            "id": ids[i],
            "full_name": names[i],
            "company_name": companies[i],
            "title": titles[i],
            "depth": depths[i],
            "warmth": warmth,
            "last_contacted_at": last,
            "descendant_count": counts[i],
            "children": kids,
        }
    roots = [(s, node) for s in starts if (node := nodes[s]) is not None]
    return Forest(
        roots=[node for _, node in roots],
        branch_yields=[
            {
                "root_id": node["id"],
                "descendants": counts[s],
                "deepest_depth": deepest[s],
                "met_in_interview": met_below[s],
            }
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
