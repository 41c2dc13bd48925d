"""The plugin instances the app is built from; each is configured once, here."""

from __future__ import annotations

from functools import lru_cache

from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from litestar_saq import CronJob, QueueConfig, SAQConfig, SAQPlugin

from app.lib.database import get_alchemy_config, get_database_url, plain_dsn
from app.lib.settings import get_settings

JOB_FUNCTIONS = ("app.domain.system.jobs.ping", "app.domain.system.jobs.sleep")
CRON_JOBS: tuple[CronJob, ...] = ()


@lru_cache(maxsize=1)
def get_alchemy_plugin() -> SQLAlchemyPlugin:
    return SQLAlchemyPlugin(config=get_alchemy_config())


def queue_dsn() -> str:
    """`SAQ_QUEUE_URL`, or the application database itself (as the plain DSN psycopg needs)."""
    settings = get_settings()
    return settings.queue.url or plain_dsn(get_database_url())


@lru_cache(maxsize=1)
def get_saq_plugin() -> SAQPlugin:
    settings = get_settings()
    return SAQPlugin(
        config=SAQConfig(
            queue_configs=[
                QueueConfig(
                    dsn=queue_dsn(),
                    name="default",
                    tasks=list(JOB_FUNCTIONS),
                    scheduled_tasks=list(CRON_JOBS),
                    concurrency=settings.queue.concurrency,
                    separate_process=not settings.queue.in_process,
                    after_process=["app.lib.jobs.log_job"],
                    shutdown_grace_period_s=settings.queue.shutdown_grace_period,
                    broker_instance_options={"min_size": 1, "max_size": 4},
                    poll_interval=0.5,
                )
            ],
            use_server_lifespan=False,
        )
    )
