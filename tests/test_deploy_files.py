"""The deployment files say what README's "Deploying" says: compose's services connect as
the three roles, the image runs the wheel as non-root behind `--proxy-headers`.

`docker compose config` checks compose.yaml where the Docker CLI has the compose
plugin; without it (this suite's machines) a schema of the parts we rely on does.
"""

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SECRETS = {
    "COACH_JWT_SECRET": "j" * 48,
    "COACH_TOTP_ENCRYPTION_KEYS": "t" * 48,
    "POSTGRES_PASSWORD": "pg",
    "COACH_OWNER_PASSWORD": "owner",
    "COACH_APP_PASSWORD": "app",
    "COACH_WORKER_PASSWORD": "worker",
}

_SERVICE = {
    "type": "object",
    "properties": {
        "image": {"type": "string"},
        "build": {"type": "string"},
        "command": {"type": "array", "items": {"type": "string"}},
        "environment": {"type": "object", "additionalProperties": {"type": "string"}},
        "depends_on": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {
                    "condition": {
                        "enum": [
                            "service_started",
                            "service_healthy",
                            "service_completed_successfully",
                        ]
                    }
                },
                "required": ["condition"],
            },
        },
        "healthcheck": {
            "type": "object",
            "properties": {"test": {"type": "array", "items": {"type": "string"}}},
            "required": ["test"],
        },
        "ports": {"type": "array", "items": {"type": "string"}},
        "volumes": {"type": "array", "items": {"type": "string"}},
        "restart": {"enum": ["no", "always", "on-failure", "unless-stopped"]},
    },
    "anyOf": [{"required": ["image"]}, {"required": ["build"]}],
    "additionalProperties": False,
}
COMPOSE_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "services": {
            "type": "object",
            "additionalProperties": _SERVICE,
            "required": ["db", "redis", "migrate", "api", "worker"],
        },
        "volumes": {"type": "object"},
    },
    "required": ["name", "services"],
    "patternProperties": {"^x-": {}},
    "additionalProperties": False,
}


def _compose() -> dict[str, Any]:
    document = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(document, dict)
    return document


def _interpolated(value: str) -> str:
    """`${NAME:?…}` / `${NAME:-default}` / `${NAME}` as compose fills them in with SECRETS."""

    def fill(match: re.Match[str]) -> str:
        name, _, default = match.group(1).partition(":-")
        name = name.split(":?")[0]
        return SECRETS.get(name, default)

    return re.sub(r"\$\{([^}]+)\}", fill, value)


def test_compose_file_fits_the_schema_and_the_three_roles() -> None:
    document = _compose()
    jsonschema_rs.validate(COMPOSE_SCHEMA, document)
    services = document["services"]
    env = {name: services[name]["environment"] for name in ("migrate", "api", "worker")}

    def user_of(url: str) -> str:
        return _interpolated(url).split("//")[1].split(":")[0]

    assert user_of(env["migrate"]["COACH_MIGRATIONS_DATABASE_URL"]) == "coach_owner"
    assert user_of(env["api"]["COACH_DATABASE_URL"]) == "coach_app"
    assert user_of(env["worker"]["COACH_WORKER_DATABASE_URL"]) == "coach_worker"
    assert "COACH_MIGRATIONS_DATABASE_URL" not in env["api"]
    for name in env:
        assert env[name]["COACH_ENV"] == "production"
        assert env[name]["COACH_JWT_SECRET"].startswith("${COACH_JWT_SECRET:?")
    assert services["worker"]["command"] == ["coach-api", "worker"]
    assert services["api"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    # Published on loopback only: what faces the world is a proxy of the operator's.
    assert all(port.startswith("127.0.0.1:") for port in services["api"]["ports"])


def test_the_roles_script_makes_the_api_role_subject_to_rls_and_the_worker_past_it() -> None:
    script = (ROOT / "deploy" / "init-roles.sh").read_text()
    assert re.search(r"CREATE ROLE coach_app LOGIN .* NOSUPERUSER NOBYPASSRLS", script)
    assert re.search(r"CREATE ROLE coach_worker LOGIN .* NOSUPERUSER BYPASSRLS", script)
    assert "CREATE DATABASE coach OWNER coach_owner" in script
    mounted = _compose()["services"]["db"]["volumes"]
    assert "./deploy/init-roles.sh:/docker-entrypoint-initdb.d/10-roles.sh:ro" in mounted


def test_the_image_installs_the_locked_wheel_and_runs_as_non_root_behind_proxy_headers() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    assert cmd is not None
    assert "--proxy-headers" in cmd.group(1)
    assert "pip install --quiet --require-hashes -r requirements/runtime.txt" in dockerfile
    assert "pip wheel" in dockerfile
    assert re.search(r"^USER coach$", dockerfile, re.MULTILINE)
    assert "PYTHONPATH" not in dockerfile  # the wheel alone, no source tree beside it
    assert "requirements" not in ignored
    assert "app" not in ignored
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11\.\d+-slim-bookworm", dockerfile, re.M)


DOCKER = shutil.which("docker")


@pytest.mark.skipif(DOCKER is None, reason="no Docker CLI")
def test_docker_compose_config_accepts_the_file() -> None:
    assert DOCKER is not None
    plugin = subprocess.run([DOCKER, "compose", "version"], capture_output=True, check=False)  # noqa: S603
    if plugin.returncode != 0:
        pytest.skip("the Docker CLI has no compose plugin: the schema test above checks it")
    result = subprocess.run(  # noqa: S603 - our own file, a fixed command
        [DOCKER, "compose", "-f", str(ROOT / "compose.yaml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        env={**SECRETS, "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
