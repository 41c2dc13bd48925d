from __future__ import annotations

import asyncio
from typing import Any

from litestar import Controller, MediaType, Request, Response, get
from litestar.openapi import ResponseSpec
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from litestar_saq import SAQPlugin

from app.domain.system import schemas as s
from app.domain.system.services import PROBE_FRESH_FOR, Shared, database_is_up, queue_is_up
from app.lib.database import get_alchemy_config

_probes: Shared[tuple[bool, bool]] = Shared(fresh_for=PROBE_FRESH_FOR)


class SystemController(Controller):
    tags = ["System"]

    @get(
        "/health",
        operation_id="Health",
        summary="Is the service up?",
        description="200 when the database and the job queue answer; 503 naming the part that does not.",
        media_type=MediaType.JSON,
        responses={
            HTTP_503_SERVICE_UNAVAILABLE: ResponseSpec(data_container=s.Health, description="A dependency is down")
        },
    )
    async def health(self, request: Request[Any, Any, Any]) -> Response[s.Health]:
        # No dependencies to inject (two would be resolved in a task group on every request): the
        # engine and the queue are looked up only when the probes run.
        async def probe() -> tuple[bool, bool]:
            engine = get_alchemy_config().get_engine()
            queue = request.app.plugins.get(SAQPlugin).get_queues().get("default")
            return await asyncio.gather(database_is_up(engine), queue_is_up(queue))

        database_ok, queue_ok = await _probes(probe)
        healthy = database_ok and queue_ok
        body = s.Health(
            status="ok" if healthy else "degraded",
            database="ok" if database_ok else "unavailable",
            queue="ok" if queue_ok else "unavailable",
        )
        return Response(body, status_code=HTTP_200_OK if healthy else HTTP_503_SERVICE_UNAVAILABLE)
