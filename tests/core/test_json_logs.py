"""Every line a live API process writes is one JSON object, uvicorn's own lines included.

The app's JSON handler (app/core/logging.py) takes over uvicorn's loggers, which
uvicorn's default config gives plain-text handlers. `coach-api serve` starts uvicorn
with `log_config=None`, so even its first lines go through that handler; `uvicorn
app.main:app` (the README's command) configures its loggers before it imports the app,
and the app takes them over on import, before uvicorn writes its first line.
"""

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.factories.serving import wait_until_serving

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
STARTUP_SECONDS = 60

# Logged by uvicorn (`uvicorn.error`), by the app per request (`coach_api.access`).
SERVER_LINES = ("Started server process", "Application startup complete", "Uvicorn running on")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _environment(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("COACH_")}
    url = f"sqlite+aiosqlite:///{tmp_path / 'logs.db'}"
    env.update(
        {
            # This checkout's code, whatever folder the server runs from.
            "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")])),
            "COACH_ENV": "development",
            "COACH_DATABASE_URL": url,
            "COACH_JWT_SECRET": "json-logs-test-only-secret-" + "x" * 40,
            "COACH_WORKER_IN_PROCESS": "false",
            "COACH_LOG_LEVEL": "INFO",
        }
    )
    return env


def _run_server(command: list[str], tmp_path: Path) -> list[str]:
    """Start `command`, make a few requests, stop it with SIGTERM; every line it wrote."""
    env = _environment(tmp_path)
    subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"],
        env=env,
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    port = _free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(  # noqa: S603
            [*command, "--host", HOST, "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        base_url = f"http://{HOST}:{port}"
        with httpx.Client(base_url=base_url, trust_env=False, timeout=5.0) as http:
            wait_until_serving(http, process, log, seconds=STARTUP_SECONDS)
            assert http.get("/readyz", headers={"X-Request-ID": "logs-1"}).status_code == 200
            assert http.get("/api/v1/me").status_code == 401
            assert http.get("/no-such-page").status_code == 404
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return log.read_text().splitlines()


def _parsed(lines: list[str]) -> list[dict[str, object]]:
    entries = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            pytest.fail(f"a line that is not JSON: {line!r}\nall lines:\n" + "\n".join(lines))
        assert isinstance(entry, dict), line
        entries.append(entry)
    return entries


def _check(entries: list[dict[str, object]]) -> None:
    messages = [str(entry["message"]) for entry in entries]
    for expected in SERVER_LINES:
        assert any(message.startswith(expected) for message in messages), messages
    requests = [entry for entry in entries if entry["logger"] == "coach_api.access"]
    assert {entry["path"] for entry in requests} >= {"/readyz", "/api/v1/me", "/no-such-page"}
    assert all(entry.get("request_id") for entry in requests)
    assert any(entry["request_id"] == "logs-1" for entry in requests)
    # One line per request: uvicorn's own access log stays silent.
    assert not any(entry["logger"] == "uvicorn.access" for entry in entries)
    # Shutting down is logged too, after SIGTERM.
    assert any(message.startswith("Finished server process") for message in messages)


def test_coach_api_serve_writes_only_json(tmp_path: Path) -> None:
    lines = _run_server([sys.executable, "-m", "app.cli", "serve"], tmp_path)
    _check(_parsed(lines))


def test_uvicorn_started_as_the_readme_says_writes_only_json(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--proxy-headers"]
    lines = _run_server(command, tmp_path)
    _check(_parsed(lines))
