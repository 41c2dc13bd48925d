"""Where uploaded files live: advanced-alchemy's file object storage on obstore.

Two backends are registered: `covers` (book cover images) and `imports` (uploaded catalogue
files). By default both are directories under `DATA_DIR`; with `STORAGE_URL=s3://bucket/prefix`
they are prefixes in that bucket (credentials from the `STORAGE_*` settings).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from advanced_alchemy.types.file_object import storages
from advanced_alchemy.types.file_object.backends.obstore import ObstoreBackend

from app.lib.settings import StorageSettings, get_settings

COVERS = "covers"
IMPORTS = "imports"


def _s3_options(settings: StorageSettings) -> dict[str, Any]:
    options = {
        "aws_access_key_id": settings.access_key_id,
        "aws_secret_access_key": settings.secret_access_key,
        "aws_region": settings.region,
        "aws_endpoint": settings.endpoint_url,
    }
    if settings.endpoint_url.startswith("http://"):
        options["aws_allow_http"] = "true"
    return {key: value for key, value in options.items() if value}


def _backend(key: str) -> ObstoreBackend:
    from obstore.store import LocalStore, from_url

    settings = get_settings()
    if settings.storage.url:
        location = f"{settings.storage.url}/{key}"
        store = from_url(location, config=_s3_options(settings.storage))  # type: ignore[call-overload]
        return ObstoreBackend(key=key, fs=store)
    directory = settings.app.data_dir / key
    directory.mkdir(parents=True, exist_ok=True)
    return ObstoreBackend(key=key, fs=LocalStore(prefix=directory))


def configure_storage() -> None:
    """Register the `covers` and `imports` backends once per process."""
    for key in (COVERS, IMPORTS):
        if not storages.is_registered(key):
            storages.register_backend(_backend(key))


def backend(key: str) -> ObstoreBackend:
    configure_storage()
    found = storages.get_backend(key)
    assert isinstance(found, ObstoreBackend)
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
