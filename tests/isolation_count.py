"""How big the isolation matrix is: `python -m tests.isolation_count`.

Three parts, each counted as routes x callers x id kinds, where the product is taken
per route (not every caller applies to every route) and summed:

- path ids (`tests/test_isolation.py`, `MATRIX`): each route with a path id, each
  caller who must not reach A's object, one id kind (the object of A / client X);
- list contents (`tests/test_isolation_lists.py`, `MATRIX`): each list of the API (a
  page, a document with a list of objects, a CSV or a zip) in each representation that
  lists rows (and other statement shapes of the hottest lists), each caller who must
  not see the victim (another organization's owner, admin and API key, and an admin of
  both organizations signed in to the other; a coach and a client login of another
  client; an admin under another client), one id kind (the victim: client X, and all
  of organization A for another organization), each readable row with the victim's
  side's read as its control (`CONTROLLED`); a caller whose role may not read the list
  is a row (its 403) without one;
- ids in bodies and queries (`tests/test_isolation_bodies.py`, `MATRIX`): each id field
  of a route, each caller acting on its own client, each id kind (another organization,
  a client the caller may not see, another client of the same coach), with one control
  per field and caller (`CONTROLS`).

Rows are test cases (per database backend); controls are counted apart (a list's
control is read in its row's own test case).
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tests import test_isolation as paths
from tests import test_isolation_bodies as bodies
from tests import test_isolation_lists as lists


@dataclass(frozen=True)
class Part:
    name: str
    routes: int  # distinct (method, path)
    callers: int  # distinct callers
    id_kinds: int  # distinct id kinds
    rows: int  # the sum over routes (fields) of the callers x id kinds that apply
    controls: int
    fields: int | None = None  # (route, field) pairs, for ids in bodies and queries
    reads: int | None = None  # (route, representation) pairs, for list contents

    def line(self) -> str:
        fields = f" ({self.fields} id fields)" if self.fields is not None else ""
        reads = f" ({self.reads} reads with their formats)" if self.reads is not None else ""
        return (
            f"{self.name}: {self.routes} routes{fields}{reads} x {self.callers} callers x "
            f"{self.id_kinds} id kinds → {self.rows} rows (+ {self.controls} controls)"
        )


def _path_rows() -> list[tuple[str, str, str]]:
    return [(str(method), str(path), str(caller)) for method, path, caller in _values(paths.MATRIX)]


def _body_rows() -> list[tuple[tuple[str, ...], str, str]]:
    return [(tuple(key), str(caller), str(kind)) for key, caller, kind in _values(bodies.MATRIX)]


def _list_rows() -> list[tuple[str, int, str]]:
    return [(str(path), int(index), str(caller)) for path, index, caller in _values(lists.MATRIX)]


def _values(params: Sequence[Any]) -> list[Sequence[Any]]:
    return [param.values for param in params]


def isolation_counts() -> list[Part]:
    path_rows = _path_rows()
    controls = sum(1 for *_, caller in path_rows if caller == "owner (control)")
    body_rows = _body_rows()
    list_rows = _list_rows()
    return [
        Part(
            "path ids",
            routes=len({(method, path) for method, path, _ in path_rows}),
            callers=len({caller for *_, caller in path_rows} - {"owner (control)"}),
            id_kinds=1,
            rows=len(path_rows) - controls,
            controls=controls,
        ),
        Part(
            "list contents",
            routes=len({path for path, _, _ in list_rows}),
            reads=len({(path, index) for path, index, _ in list_rows}),
            callers=len({caller for *_, caller in list_rows}),
            id_kinds=1,
            rows=len(list_rows),
            controls=len(lists.CONTROLLED),
        ),
        Part(
            "ids in bodies and queries",
            routes=len({key[:2] for key, _, _ in body_rows}),
            fields=len({key for key, _, _ in body_rows}),
            callers=len({caller for _, caller, _ in body_rows}),
            id_kinds=len({kind for _, _, kind in body_rows}),
            rows=len(body_rows),
            controls=len(bodies.CONTROLS),
        ),
    ]


def report() -> str:
    parts = isolation_counts()
    lines = [part.line() for part in parts]
    lines.append(
        f"total: {sum(p.rows for p in parts)} rows + {sum(p.controls for p in parts)} "
        "controls, per database backend"
    )
    refused = len(lists.MATRIX) - len(lists.CONTROLLED)
    lines.append(
        f"list contents: {len(lists.CONTROLLED)} rows read the list, {refused} are refused (403)"
    )
    by_kind = Counter(kind for _, _, kind in _body_rows())
    lines.append(
        "ids in bodies and queries by id kind: "
        + ", ".join(f"{kind} {count}" for kind, count in sorted(by_kind.items()))
    )
    return "\n".join(lines)


if __name__ == "__main__":
    print(report())
