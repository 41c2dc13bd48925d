"""Where a run's database and job queue live.

The database: on the server `--database-url` names, else `DATABASE_URL`'s, else the embedded one of
the data directory; or, with `--system-postgres`, on a private cluster of the system's PostgreSQL.
The queue: in that database, unless `--queue-url` names another (`redis://...`) or, with
`--system-redis`, on a private redis-server. What the run starts here it stops when it ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from load.system_postgres import start_system_postgres
from load.system_redis import start_system_redis


@dataclass
class Backing:
    server_url: str
    """The PostgreSQL server to create the run's database on ("": `DATABASE_URL`'s, else the embedded one)."""
    queue_url: str
    """`SAQ_QUEUE_URL` for every process ("": the run's database)."""
    described: list[str] = field(default_factory=list)


@contextmanager
def backing(
    *, database_url: str = "", system_postgres: bool = False, queue_url: str = "", system_redis: bool = False
) -> Iterator[Backing]:
    with ExitStack() as started:
        found = Backing(database_url, queue_url)
        if system_postgres:
            postgres = start_system_postgres()
            started.callback(postgres.stop)
            found.server_url = postgres.url()
            found.described.append(f"database server: a private cluster of {postgres.bin_dir}, port {postgres.port}")
        if system_redis:
            redis = start_system_redis()
            started.callback(redis.stop)
            found.queue_url = redis.url()
            found.described.append(f"queue: Redis {redis.version()}, a private redis-server, {found.queue_url}")
        elif found.queue_url:
            found.described.append(f"queue: {found.queue_url}")
        else:
            found.described.append("queue: SAQ's tables in the run's database")
        yield found
