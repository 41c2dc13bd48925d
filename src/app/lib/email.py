"""Outgoing email, through the backend the settings choose.

- `console` (dev): logs the message through structlog (logger `app.email`, event `email`).
- `file`: writes each message as an `.eml` file into `EMAIL_FILE_DIR`, named so that a plain sort
  is the sending order; the file appears complete or not at all (written under a temporary name, then renamed).
- `smtp`: sends through an SMTP server with aiosmtplib; a failure raises `EmailDeliveryError`, so a job retries.

`send_email` is meant to be called from jobs, not from request handlers.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import assert_never

import aiosmtplib
import anyio.to_thread
import structlog

from app.lib.settings import EmailSettings, get_settings

logger = structlog.get_logger("app.email")


class EmailDeliveryError(RuntimeError):
    """The message could not be handed to the SMTP server (unreachable, refused, authentication failed, timed out)."""


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    subject: str
    text: str
    html: str | None = None


def build_message(message: OutgoingEmail, settings: EmailSettings, *, now: datetime | None = None) -> EmailMessage:
    """The MIME message: plain text, plus an HTML alternative when there is one.

    Raises `ValueError` for a header value carrying a line break (header injection).
    """
    domain = parseaddr(settings.sender)[1].rpartition("@")[2] or "localhost"
    mime = EmailMessage()
    mime["From"] = settings.sender
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Date"] = format_datetime(now or datetime.now(UTC))
    # An explicit domain: without one, make_msgid() resolves the machine's FQDN, which can block on DNS.
    mime["Message-ID"] = make_msgid(domain=domain)
    mime.set_content(message.text)
    if message.html is not None:
        mime.add_alternative(message.html, subtype="html")
    return mime


async def send_email(message: OutgoingEmail, settings: EmailSettings | None = None) -> None:
    """Send `message` with the configured backend (`settings` defaults to `get_settings().email`)."""
    if settings is None:
        settings = get_settings().email
    mime = build_message(message, settings)
    if settings.backend == "console":
        logger.info(
            "email",
            to=message.to,
            subject=message.subject,
            message_id=mime["Message-ID"],
            body=message.text,
        )
    elif settings.backend == "file":
        path = await anyio.to_thread.run_sync(_write_eml, mime, settings.file_dir)
        logger.info("email written", to=message.to, subject=message.subject, path=str(path))
    elif settings.backend == "smtp":
        await _send_smtp(mime, settings)
        logger.info("email sent", to=message.to, subject=message.subject, message_id=mime["Message-ID"])
    else:
        assert_never(settings.backend)


def eml_file_name(now: datetime | None = None) -> str:
    """A unique name whose lexical order is the order of writing: UTC timestamp (microseconds), then a uuid."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return f"{stamp}-{uuid.uuid4().hex}.eml"


def _write_eml(mime: EmailMessage, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    name = eml_file_name()
    final = directory / name
    temporary = directory / f".{name}.tmp"  # no `.eml` suffix: readers looking for `*.eml` never see it
    try:
        with temporary.open("xb") as handle:
            handle.write(mime.as_bytes())
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(final)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return final


async def _send_smtp(mime: EmailMessage, settings: EmailSettings) -> None:
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        await aiosmtplib.send(
            mime,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_user or None,
            password=settings.smtp_password or None,
            use_tls=settings.smtp_tls == "tls",
            # "none" means no STARTTLS at all (aiosmtplib would otherwise upgrade whenever the server offers it).
            start_tls=settings.smtp_tls == "starttls",
            timeout=settings.smtp_timeout,
        )
    except (aiosmtplib.SMTPException, OSError) as exc:
        # The message names the server and the error, never the credentials.
        msg = f"could not send email via SMTP {where} (tls={settings.smtp_tls}): {type(exc).__name__}: {exc}"
        raise EmailDeliveryError(msg) from exc
