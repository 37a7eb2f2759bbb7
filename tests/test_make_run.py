"""`make run PORT=…` (the README's first command, on another port) serves the API.

Run from the checkout as a newcomer would, with the database pointed at a temporary
file; skipped only where the project's environment is not installed yet, so the test
never installs anything itself.
"""

import os
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.factories.serving import wait_until_serving

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STAMP = ".venv/.installed-dev"
STARTUP_SECONDS = 90


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_make_run_serves_on_the_port_it_is_given(tmp_path: Path) -> None:
    make = shutil.which("make")
    if make is None:
        pytest.skip("no make on this machine")
    installed = subprocess.run(  # noqa: S603 - make's own question: is the stamp up to date?
        [make, "-q", STAMP], cwd=PROJECT_ROOT, capture_output=True, check=False
    )
    if installed.returncode != 0:
        pytest.skip("`make install` has not run (or is out of date) in this checkout")
    env = {key: value for key, value in os.environ.items() if not key.startswith("COACH_")}
    env |= {
        "COACH_ENV": "development",
        "COACH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
        "COACH_JWT_SECRET": "make-run-test-only-secret-" + "x" * 40,
        "COACH_EMAIL_FOLDER": str(tmp_path / "mail"),
    }
    port = _free_port()
    log = tmp_path / "run.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(  # noqa: S603
            [make, "run", f"PORT={port}"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # make and the server it starts, stopped together
        )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False) as http:
            wait_until_serving(http, process, log, seconds=STARTUP_SECONDS)
            assert http.get("/readyz").status_code == 200  # migrated: the database answers
            assert http.get("/docs").status_code == 200
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert (tmp_path / "run.db").exists()  # the given database, not ./coach.db
