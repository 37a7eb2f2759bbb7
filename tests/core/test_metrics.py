"""`GET /metrics`: what a Prometheus scraper of a deployment sees."""

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from app.core.config import Environment, Settings
from app.main import create_app
from tests.conftest import CHEAP_PASSWORD_HASHING
from tests.factories.clients import create_client
from tests.factories.identity import signup


def _samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    return [
        (sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]


@asynccontextmanager
async def _serve(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app: Any = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def test_requests_are_counted_by_route_template_not_by_raw_path(
    settings: Settings,
) -> None:
    async with _serve(settings) as http:
        owner = await signup(http)
        grace = await create_client(http, owner)
        for _ in range(3):
            assert (
                await http.get(f"/api/v1/clients/{grace['id']}", headers=owner.headers)
            ).status_code == 200
        assert (await http.get("/api/v1/no-such-thing")).status_code == 404

        scrape = await http.get("/metrics")
        assert scrape.status_code == 200
        assert scrape.headers["content-type"].startswith("text/plain")
        body = scrape.text

    counts = {
        (labels["method"], labels["route"], labels["status"]): value
        for labels, value in _samples(body, "coach_http_requests_total")
    }
    assert counts[("GET", "/api/v1/clients/{client_id}", "200")] == 3
    assert counts[("GET", "<unmatched>", "404")] == 1
    # One series per template: ids never become label values.
    assert grace["id"] not in body
    latency = {
        labels["route"]: value
        for labels, value in _samples(body, "coach_http_request_duration_seconds_count")
        if labels["method"] == "GET"
    }
    assert latency["/api/v1/clients/{client_id}"] == 3


async def test_pool_usage_is_reported(settings: Settings, backend: str) -> None:
    async with _serve(settings) as http:
        body = (await http.get("/metrics")).text
    [(_, size)] = _samples(body, "coach_db_pool_size")
    if backend == "postgres":
        assert size == settings.database_pool_size
    # Nothing is lent out between requests.
    assert _samples(body, "coach_db_pool_checked_out") == [({}, 0.0)]


async def test_the_process_itself_is_reported(settings: Settings) -> None:
    """Each API process is its own scrape target: its CPU time and memory come with it."""
    async with _serve(settings) as http:
        body = (await http.get("/metrics")).text
    names = {
        sample.name for family in text_string_to_metric_families(body) for sample in family.samples
    }
    assert "python_info" in names
    if sys.platform.startswith("linux"):  # ProcessCollector reads /proc
        [(_, cpu)] = _samples(body, "process_cpu_seconds_total")
        assert cpu > 0
        [(_, resident)] = _samples(body, "process_resident_memory_bytes")
        assert resident > 1_000_000
        [(_, started)] = _samples(body, "process_start_time_seconds")
        assert started > 0


async def test_a_configured_token_is_required(settings: Settings) -> None:
    token = "scrape-token-for-tests-only"
    guarded = Settings.model_validate(
        {**settings.model_dump(), "metrics_token": token, "jwt_secret": settings.jwt_secret}
    )
    async with _serve(guarded) as http:
        assert (await http.get("/metrics")).status_code == 401
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert wrong.headers["content-type"] == "application/problem+json"
        right = await http.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert right.status_code == 200


async def test_production_without_a_token_does_not_expose_metrics(settings: Settings) -> None:
    production = Settings.model_validate(
        {
            **settings.model_dump(),
            "env": Environment.production,
            "jwt_secret": settings.jwt_secret,
            "totp_encryption_keys": "production-totp-key-" + "m" * 40,
            **{name: Settings.model_fields[name].default for name in CHEAP_PASSWORD_HASHING},
        }
    )
    async with _serve(production) as http:
        assert (await http.get("/metrics")).status_code == 404
