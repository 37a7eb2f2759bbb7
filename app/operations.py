"""Liveness and readiness probes (no prefix, no authentication)."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.errors import problem_response, problem_responses

router = APIRouter(tags=["operations"])


@router.get("/healthz", operation_id="health_live", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    operation_id="health_ready",
    summary="The database is reachable",
    responses=problem_responses(503),
)
async def readyz(request: Request) -> JSONResponse:
    engine: AsyncEngine = request.app.state.engine
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:
        return problem_response(503, "unavailable", "Service unavailable", "Database unreachable.")
    return JSONResponse({"status": "ok", "database": "ok"})
