"""Waiting for a server a test started in a process of its own."""

import subprocess
import time
from pathlib import Path

import httpx


def wait_until_serving(
    http: httpx.Client, process: subprocess.Popen[bytes], log: Path, *, seconds: float
) -> None:
    """Until `GET /healthz` answers 200; fails with the server's output if the process
    exits or `seconds` pass first."""
    deadline = time.monotonic() + seconds
    while True:
        assert process.poll() is None, log.read_text(errors="replace")
        try:
            if http.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, log.read_text(errors="replace")
        time.sleep(0.1)
