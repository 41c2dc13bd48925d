from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from litestar import Controller, MediaType, Request, Response, get
from litestar.openapi import ResponseSpec
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from litestar_saq import SAQPlugin

from app.domain.system import schemas as s
from app.domain.system.services import (
    PROBE_FRESH_FOR,
    CodeRevisions,
    MigrationStatus,
    Shared,
    applied_revisions,
    queue_is_up,
)
from app.lib.database import get_alchemy_config

_probes: Shared[tuple[MigrationStatus | None, bool]] = Shared(fresh_for=PROBE_FRESH_FOR)
_code_revisions = CodeRevisions()


class SystemController(Controller):
    tags = ["System"]

    @get(
        "/health",
        operation_id="Health",
        summary="Is the service ready to serve?",
        description="200 when the database and the job queue answer and the database is migrated to this "
        "release's schema (or a newer one); 503 naming what is not. A readiness probe.",
        media_type=MediaType.JSON,
        responses={
            HTTP_503_SERVICE_UNAVAILABLE: ResponseSpec(
                data_container=s.Health, description="A dependency is down, or migrations are pending"
            )
        },
    )
    async def health(self, request: Request[Any, Any, Any]) -> Response[s.Health]:
        # No dependencies to inject (two would be resolved in a task group on every request): the
        # engine and the queue are looked up only when the probes run.
        async def probe() -> tuple[MigrationStatus | None, bool]:
            config = get_alchemy_config()
            queue = request.app.plugins.get(SAQPlugin).get_queues().get("default")
            applied, queue_ok = await asyncio.gather(
                applied_revisions(config.get_engine(), config.alembic_config.version_table_name),
                queue_is_up(queue),
            )
            if applied is None:
                return None, queue_ok
            code = await _code_revisions.get(config.alembic_config)
            return code.status(applied), queue_ok

        migrations, queue_ok = await _probes(probe)
        pending = migrations == "pending"
        healthy = migrations == "ok" and queue_ok
        body = s.Health(
            status="ok" if healthy else "degraded",
            database="unavailable" if migrations is None else "ok",
            queue="ok" if queue_ok else "unavailable",
            migrations="pending" if pending else msgspec.UNSET,
        )
        return Response(body, status_code=HTTP_200_OK if healthy else HTTP_503_SERVICE_UNAVAILABLE)

    @get(
        "/health/live",
        operation_id="Liveness",
        summary="Is the process alive?",
        description="Always 200 while the process serves requests; asks neither the database nor the queue, "
        "so an outage of theirs does not get every process restarted. A liveness probe.",
        media_type=MediaType.JSON,
    )
    async def liveness(self) -> s.Liveness:
        return s.Liveness(status="ok")
