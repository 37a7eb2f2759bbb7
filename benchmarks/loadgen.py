"""A loopback load generator in Python, for when `wrk` cannot be installed.

`connections` concurrent clients send the same GET for `duration` seconds; prints one
line, `BENCH {json}`, with the figures the runner reads from wrk's script (latencies in
microseconds). httpx costs far more CPU per request than wrk, and shares the machine
with the server, so requests/s come out lower than with wrk: compare runs made with
the same generator only.

    python -m benchmarks.loadgen http://127.0.0.1:8000/readyz --duration 5
"""

import argparse
import asyncio
import json
import math
import time
from collections.abc import Sequence

import httpx

from benchmarks.common import LOOPBACK_HOSTS


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.loadgen",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("url")
    parser.add_argument("--header", action="append", default=[], help='"Name: value"')
    parser.add_argument("--duration", type=float, default=15.0, help="seconds")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    args = parser.parse_args(argv)
    if httpx.URL(args.url).host not in LOOPBACK_HOSTS:
        parser.error("only loopback URLs")
    if not 1 <= args.connections <= 256:
        parser.error("--connections must be between 1 and 256")
    return args


def percentile(ordered: list[float], share: float) -> float:
    """Nearest rank; 0 for no samples."""
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


async def drive(args: argparse.Namespace) -> dict[str, float]:
    headers = dict(
        (name.strip(), value.strip())
        for name, value in (header.split(":", 1) for header in args.header)
    )
    latencies: list[float] = []
    non2xx = errors = 0
    limits = httpx.Limits(max_connections=args.connections)
    async with httpx.AsyncClient(
        headers=headers, limits=limits, timeout=args.timeout, trust_env=False
    ) as http:
        started = time.perf_counter()
        deadline = started + args.duration

        async def one_connection() -> None:
            nonlocal non2xx, errors
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                try:
                    response = await http.get(args.url)
                except httpx.HTTPError:
                    errors += 1
                    continue
                latencies.append((time.perf_counter() - sent) * 1_000_000)
                non2xx += not 200 <= response.status_code < 300

        await asyncio.gather(*(one_connection() for _ in range(args.connections)))
        elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "requests": len(latencies),
        "duration_us": elapsed * 1_000_000,
        "p50_us": percentile(ordered, 0.50),
        "p95_us": percentile(ordered, 0.95),
        "p99_us": percentile(ordered, 0.99),
        "max_us": ordered[-1] if ordered else 0.0,
        "non2xx": non2xx,
        "socket_errors": errors,
    }


def main(argv: Sequence[str] | None = None) -> int:
    figures = asyncio.run(drive(parse_args(argv)))
    print("BENCH " + json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
