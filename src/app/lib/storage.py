"""Where uploaded files live: advanced-alchemy's file object storage on obstore.

Two backends are registered: `covers` (book cover images) and `imports` (uploaded catalogue
files). By default both are directories under `DATA_DIR`; with `STORAGE_URL=s3://bucket/prefix`
they are prefixes in that bucket (credentials from the `STORAGE_*` settings, else the usual `AWS_*`
environment and instance credentials). Requests are path-style (`endpoint/bucket/key`), which every
S3-compatible server accepts; with `AWS_VIRTUAL_HOSTED_STYLE_REQUEST=true` they go to the bucket's own
host name (and `STORAGE_ENDPOINT_URL`, if set, must be that host).

A store that cannot be reached, or that refuses a request, is logged with the storage's name and
answered 503: `StorageUnavailableError`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

import structlog
from advanced_alchemy.types.file_object import storages
from advanced_alchemy.types.file_object.backends.obstore import ObstoreBackend
from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE
from obstore.exceptions import BaseError as ObstoreError

from app.lib.settings import StorageSettings, get_settings

if TYPE_CHECKING:
    from obstore.store import ClientConfig, ObjectStore, RetryConfig, S3Config

COVERS = "covers"
IMPORTS = "imports"
RETRIES: RetryConfig = {"max_retries": 3, "retry_timeout": timedelta(seconds=10)}
"""obstore's default (10 retries, for up to 3 minutes) can hold a request for minutes on a store that times out."""
logger = structlog.get_logger("app.storage")


class StorageUnavailableError(HTTPException):
    """The file store could not be reached or refused the request: 503."""

    status_code = HTTP_503_SERVICE_UNAVAILABLE


@asynccontextmanager
async def reaching(files: Backend, action: str) -> AsyncIterator[None]:
    """Turn a failure of the store behind `files` into a logged `StorageUnavailableError`."""
    try:
        yield
    except (OSError, ObstoreError) as exc:  # obstore reports a missing object or bucket as FileNotFoundError
        cause = (str(exc).splitlines() or [""])[0][:500]
        logger.error(
            "file storage failed",
            storage=files.key,
            location=files.location,
            action=action,
            error_type=type(exc).__name__,
            error=cause,
        )
        raise StorageUnavailableError(detail="File storage is unavailable; try again shortly.") from exc


class Backend(ObstoreBackend):
    """An obstore backend whose failures (on the request path) become `StorageUnavailableError`."""

    def __init__(self, key: str, fs: ObjectStore, location: str) -> None:
        super().__init__(key=key, fs=fs)
        self.location = location

    async def get_content_async(self, *args: Any, **kwargs: Any) -> bytes:
        async with reaching(self, "read"):
            return await super().get_content_async(*args, **kwargs)

    async def save_object_async(self, *args: Any, **kwargs: Any) -> Any:
        async with reaching(self, "save"):
            return await super().save_object_async(*args, **kwargs)

    async def delete_object_async(self, *args: Any, **kwargs: Any) -> None:
        async with reaching(self, "delete"):
            await super().delete_object_async(*args, **kwargs)


def _s3_store(location: str, settings: StorageSettings) -> ObjectStore:
    from obstore.store import S3Store

    given = {
        "access_key_id": settings.access_key_id,
        "secret_access_key": settings.secret_access_key,
        "region": settings.region,
        "endpoint": settings.endpoint_url,
    }
    config = cast("S3Config", {name: value for name, value in given.items() if value})
    client: ClientConfig | None = {"allow_http": True} if settings.endpoint_url.startswith("http://") else None
    return S3Store.from_url(location, config=config, client_options=client, retry_config=RETRIES)


def _backend(key: str) -> Backend:
    from obstore.store import LocalStore

    settings = get_settings()
    if settings.storage.url:
        location = f"{settings.storage.url}/{key}"
        return Backend(key, _s3_store(location, settings.storage), location)
    directory = settings.app.data_dir / key
    directory.mkdir(parents=True, exist_ok=True)
    return Backend(key, LocalStore(prefix=directory), str(directory))


def configure_storage() -> None:
    """Register the `covers` and `imports` backends once per process."""
    for key in (COVERS, IMPORTS):
        if not storages.is_registered(key):
            storages.register_backend(_backend(key))


def backend(key: str) -> Backend:
    configure_storage()
    found = storages.get_backend(key)
    assert isinstance(found, Backend)
    return found


@asynccontextmanager
async def files_settled() -> AsyncIterator[None]:
    """Wait, on leaving, for the file saves and removals that a commit inside started.

    advanced-alchemy's file object listener runs them in background tasks after the commit; without
    this a client could see its response (say, to replacing a cover) before the old file is gone.
    """
    from advanced_alchemy._listeners import _active_file_operations

    before = set(_active_file_operations)
    yield
    started = set(_active_file_operations) - before
    if started:
        await asyncio.wait(started)
