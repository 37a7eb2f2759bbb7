"""`coach-api worker` connects as its own role, and says which setting to fix when that
role is one Row-Level Security applies to (it would see no organization's work)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.config import Environment, Settings
from tests.conftest import Database

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _worker(tmp_path: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COACH_")}
    env |= {"COACH_ENV": "test", "PYTHONPATH": str(PROJECT_ROOT), **environment}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "worker"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_each_role_has_its_own_setting() -> None:
    roles = Settings(
        env=Environment.test,
        database_url="postgresql://coach_app@db/coach",
        migrations_database_url="postgresql://coach_owner@db/coach",
        worker_database_url="postgresql://coach_worker@db/coach",
    )
    one_superuser = Settings(env=Environment.test, database_url="postgresql://postgres@db/coach")

    assert roles.effective_worker_url == "postgresql://coach_worker@db/coach"
    assert roles.effective_migrations_url == "postgresql://coach_owner@db/coach"
    assert roles.worker_url_setting == "COACH_WORKER_DATABASE_URL"
    assert one_superuser.effective_worker_url == "postgresql://postgres@db/coach"
    assert one_superuser.worker_url_setting == "COACH_DATABASE_URL"


def test_a_worker_started_as_the_api_role_stops_with_one_line_naming_the_setting(
    database: Database, tmp_path: Path
) -> None:
    if database.backend != "postgres":
        pytest.skip("roles and Row-Level Security are PostgreSQL's")

    result = _worker(
        tmp_path,
        COACH_DATABASE_URL=database.app_url,
        COACH_WORKER_DATABASE_URL=database.app_url,
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    refusal = [line for line in result.stderr.splitlines() if line.startswith("coach-api worker:")]
    assert len(refusal) == 1, result.stderr
    assert "COACH_WORKER_DATABASE_URL" in refusal[0]
    assert "BYPASSRLS" in refusal[0]
