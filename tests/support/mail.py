"""The account emails, end to end but without a worker process.

Requests queue mail jobs on the app's real SAQ queue; `deliver_mail` runs the queued jobs in this
process (exactly the functions a worker would run, with the kwargs from the queue) and marks them
done. They write through the real `file` backend into `EMAIL_FILE_DIR`, where `inbox` reads them.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from saq.job import Status

from app.domain.accounts import jobs as account_jobs
from app.lib.settings import get_settings
from app.server.plugins import get_saq_plugin
from tests.support.db import on_app_loop

MAIL_JOBS = ("send_verification_email", "send_password_reset_email")


@dataclass(frozen=True)
class QueuedJob:
    key: str
    function: str
    kwargs: dict[str, Any]


async def queued_jobs(function: str | None = None) -> list[QueuedJob]:
    """Jobs waiting on the `default` queue (optionally only those of `function`), read with SAQ's own API."""

    async def read() -> list[QueuedJob]:
        queue = get_saq_plugin().get_queue("default")
        return [
            QueuedJob(job.key, job.function, dict(job.kwargs or {}))
            async for job in queue.iter_jobs(statuses=[Status.QUEUED])
            if function is None or job.function == function
        ]

    return await on_app_loop(read)


async def deliver_mail() -> int:
    """Run every queued mail job as a worker would; returns how many ran."""

    async def run() -> int:
        queue = get_saq_plugin().get_queue("default")
        ran = 0
        async for job in queue.iter_jobs(statuses=[Status.QUEUED]):
            if job.function not in MAIL_JOBS:
                continue
            function = getattr(account_jobs, job.function)
            result = await function({}, **(job.kwargs or {}))
            await queue.finish(job, Status.COMPLETE, result=result)
            ran += 1
        return ran

    return await on_app_loop(run)


def mail_dir() -> Path:
    return get_settings().email.file_dir


def inbox(address: str) -> list[EmailMessage]:
    """Every message written for `address`, oldest first."""
    messages = []
    for path in sorted(mail_dir().glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == address:
            messages.append(message)
    return messages


def clear_mail() -> None:
    for path in mail_dir().glob("*.eml"):
        path.unlink()


def link_token(message: EmailMessage, page: str) -> str:
    """The token of the `{APP_URL}/{page}?token=...` link in the message's text."""
    body = message.get_body(preferencelist=("plain",))
    assert body is not None, message
    text = body.get_content()
    prefix = f"{get_settings().email.app_url}/{page}?token="
    found = re.findall(re.escape(prefix) + r"([A-Za-z0-9_\-]+)", text)
    assert len(found) == 1, f"expected one {prefix}... link in:\n{text}"
    return str(found[0])
