"""The plugin instances the app is built from; each is configured once, here."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, cast

from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from litestar_saq import CronJob, QueueConfig, SAQConfig, SAQPlugin

from app.lib.database import get_alchemy_config, get_database_url
from app.lib.settings import get_settings

if TYPE_CHECKING:
    from saq.types import PartialTimersDict

JOB_FUNCTIONS = (
    "app.domain.system.jobs.ping",
    "app.domain.system.jobs.sleep",
    "app.domain.accounts.jobs.send_verification_email",
    "app.domain.accounts.jobs.send_password_reset_email",
    "app.domain.accounts.jobs.delete_expired_credentials",
    "app.domain.books.jobs.import_catalogue",
)


def _cron_jobs() -> list[CronJob]:
    from app.domain.accounts.jobs import delete_expired_credentials
    from app.domain.books.jobs import requeue_stranded_imports

    cron = get_settings().queue.cleanup_cron
    return [
        CronJob(delete_expired_credentials, cron=cron, timeout=300, retries=3),
        CronJob(requeue_stranded_imports, cron="* * * * *", timeout=60, retries=1),
    ]


@lru_cache(maxsize=1)
def get_alchemy_plugin() -> SQLAlchemyPlugin:
    return SQLAlchemyPlugin(config=get_alchemy_config())


POSTGRES_QUEUE_POOL = {"min_size": 1, "max_size": 4}
"""psycopg_pool's sizes for a queue in PostgreSQL (the default), per process; redis-py refuses them."""


def queue_dsn() -> str:
    """`SAQ_QUEUE_URL` (`redis://...` or a PostgreSQL URL), else the application database itself,
    in the form SAQ's brokers take (`postgresql://` for psycopg)."""
    url = get_settings().queue.url or get_database_url()
    scheme, _, rest = url.partition("://")
    return f"postgresql://{rest}" if scheme.split("+")[0] in {"postgres", "postgresql"} else url


def queue_in_postgres(dsn: str) -> bool:
    return dsn.startswith("postgresql://")


def _replace_lost_queue_connections_every_second() -> None:
    """psycopg_pool waits 1, 2, 4, 8 ... seconds between attempts to replace a lost connection.

    The queue's pool (SAQ's, in the web process and in every worker) lost all its connections when
    PostgreSQL stopped, and after a 20-second outage the next attempt came 8 to 16 seconds after
    PostgreSQL was back: until then workers took no job and every request that queues one (sign-up,
    password reset, imports) hung. Attempting every second (psycopg's jitter kept) ends that within
    a second; one connection attempt a second during an outage costs nothing. psycopg_pool has no
    setting for it, so its class constant is set, once, before any pool is made.
    """
    from psycopg_pool.base import AttemptWithBackoff

    AttemptWithBackoff.DELAY_BACKOFF = 1.0


@lru_cache(maxsize=1)
def get_saq_plugin() -> SAQPlugin:
    settings = get_settings()
    dsn = queue_dsn()
    in_postgres = queue_in_postgres(dsn)
    if in_postgres:
        _replace_lost_queue_connections_every_second()
    return SAQPlugin(
        config=SAQConfig(
            queue_configs=[
                QueueConfig(
                    dsn=dsn,
                    name="default",
                    tasks=list(JOB_FUNCTIONS),
                    scheduled_tasks=_cron_jobs(),
                    concurrency=settings.queue.concurrency,
                    separate_process=not settings.queue.in_process,
                    before_process=["app.lib.jobs.plan_retry"],
                    after_process=["app.lib.jobs.log_job", "app.domain.books.jobs.fail_given_up_import"],
                    shutdown_grace_period_s=settings.queue.shutdown_grace_period,
                    # Both: the pool is made with the first, and SAQ resizes it to the second (its
                    # defaults, 4 to 20 connections) when it connects.
                    broker_instance_options=dict(POSTGRES_QUEUE_POOL) if in_postgres else {},
                    broker_options=dict(POSTGRES_QUEUE_POOL) if in_postgres else {},
                    poll_interval=0.5,
                    timers=cast("PartialTimersDict", {"sweep": settings.queue.sweep_interval}),
                )
            ],
            use_server_lifespan=False,
        )
    )
