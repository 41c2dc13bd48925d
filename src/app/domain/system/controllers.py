from __future__ import annotations

import asyncio

from litestar import Controller, MediaType, Response, get
from litestar.openapi import ResponseSpec
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from litestar_saq import TaskQueues
from sqlalchemy.ext.asyncio import AsyncEngine

from app.domain.system import schemas as s
from app.domain.system.services import database_is_up, queue_is_up


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
    async def health(self, db_engine: AsyncEngine, task_queues: TaskQueues) -> Response[s.Health]:
        database_ok, queue_ok = await asyncio.gather(database_is_up(db_engine), queue_is_up(task_queues.get("default")))
        healthy = database_ok and queue_ok
        body = s.Health(
            status="ok" if healthy else "degraded",
            database="ok" if database_ok else "unavailable",
            queue="ok" if queue_ok else "unavailable",
        )
        return Response(body, status_code=HTTP_200_OK if healthy else HTTP_503_SERVICE_UNAVAILABLE)
