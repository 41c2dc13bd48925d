"""Outgoing email: console, file and SMTP backends; SMTP against a real aiosmtpd server, no mocks."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from structlog.testing import capture_logs

from app.lib.email import EmailDeliveryError, OutgoingEmail, build_message, eml_file_name, send_email
from app.lib.settings import EmailSettings

SENDER = "Folio <no-reply@folio.test>"
MESSAGE = OutgoingEmail(
    to="reader@example.com",
    subject="Verify your email address",
    text="Open http://folio.test/verify?token=abc to verify.\n",
    html="<p>Open <a href='http://folio.test/verify?token=abc'>this link</a> to verify.</p>\n",
)
USER = "mailer"
PASSWORD = "s3cret-smtp-password"

# The AUTH tests run over plain text on purpose; aiosmtpd warns about that (rightly, outside a test).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


def parse(raw: bytes) -> EmailMessage:
    parsed = message_from_bytes(raw, policy=default_policy)
    assert isinstance(parsed, EmailMessage)
    return parsed


def crlf_to_lf(text: str) -> str:
    """SMTP carries lines ending in CRLF; a file or an in-memory message ends them with LF."""
    return text.replace("\r\n", "\n")


def assert_headers_and_body(parsed: EmailMessage, message: OutgoingEmail = MESSAGE) -> None:
    assert parsed["From"] == SENDER
    assert parsed["To"] == message.to
    assert parsed["Subject"] == message.subject
    sent_at = parsedate_to_datetime(parsed["Date"])
    assert abs((datetime.now(UTC) - sent_at).total_seconds()) < 60
    assert parsed["Message-ID"].startswith("<")
    assert parsed["Message-ID"].endswith("@folio.test>")
    text = parsed.get_body(preferencelist=("plain",))
    assert text is not None
    assert crlf_to_lf(text.get_content()) == message.text
    html = parsed.get_body(preferencelist=("html",))
    if message.html is None:
        assert html is None
        assert not parsed.is_multipart()
    else:
        assert html is not None
        assert crlf_to_lf(html.get_content()) == message.html
        assert parsed.get_content_type() == "multipart/alternative"


# --- message ----------------------------------------------------------------------------------------


def test_build_message_has_text_and_html_alternative() -> None:
    built = build_message(MESSAGE, EmailSettings(sender=SENDER))
    assert_headers_and_body(parse(built.as_bytes()))


def test_build_message_text_only() -> None:
    message = replace(MESSAGE, html=None)
    built = build_message(message, EmailSettings(sender=SENDER))
    assert_headers_and_body(parse(built.as_bytes()), message)


def test_message_ids_are_unique() -> None:
    settings = EmailSettings(sender=SENDER)
    assert build_message(MESSAGE, settings)["Message-ID"] != build_message(MESSAGE, settings)["Message-ID"]


def test_non_ascii_subject_and_body_survive() -> None:
    message = OutgoingEmail(to="léa@example.com", subject="Bienvenue à Folio ✓", text="Ça marche — merci.\n")
    parsed = parse(build_message(message, EmailSettings(sender=SENDER)).as_bytes())
    assert parsed["Subject"] == message.subject
    assert parsed["To"] == message.to
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None
    assert body.get_content() == message.text


@pytest.mark.parametrize("subject", ["Hello\r\nBcc: victim@example.com", "Hello\nBcc: victim@example.com"])
def test_header_injection_is_refused(subject: str) -> None:
    with pytest.raises(ValueError):
        build_message(replace(MESSAGE, subject=subject), EmailSettings(sender=SENDER))


# --- console backend ----------------------------------------------------------------------------------


async def test_console_backend_logs_the_message_without_smtp_credentials() -> None:
    settings = EmailSettings(backend="console", sender=SENDER, smtp_user=USER, smtp_password=PASSWORD)
    with capture_logs() as logs:
        await send_email(MESSAGE, settings)
    emails = [entry for entry in logs if entry["event"] == "email"]
    assert len(emails) == 1
    entry = emails[0]
    assert entry["log_level"] == "info"
    assert entry["to"] == MESSAGE.to
    assert entry["subject"] == MESSAGE.subject
    assert entry["body"] == MESSAGE.text
    assert PASSWORD not in repr(logs)
    assert USER not in repr(logs)


# --- file backend -------------------------------------------------------------------------------------


def eml_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.eml"))


async def test_file_backend_writes_a_parseable_eml(tmp_path: Path) -> None:
    directory = tmp_path / "not" / "yet" / "there"
    settings = EmailSettings(backend="file", file_dir=directory, sender=SENDER)
    await send_email(MESSAGE, settings)
    assert len(list(directory.iterdir())) == 1, "one .eml file and no temporary file left behind"
    files = eml_files(directory)
    assert len(files) == 1
    assert_headers_and_body(parse(files[0].read_bytes()))


async def test_file_backend_names_are_unique_and_sort_in_sending_order(tmp_path: Path) -> None:
    settings = EmailSettings(backend="file", file_dir=tmp_path, sender=SENDER)
    subjects = [f"message {index}" for index in range(5)]
    for subject in subjects:
        await send_email(replace(MESSAGE, subject=subject), settings)
    files = eml_files(tmp_path)
    assert len(files) == len(subjects)
    assert [parse(path.read_bytes())["Subject"] for path in files] == subjects


def test_eml_file_names_sort_by_time() -> None:
    earlier = eml_file_name(datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=UTC))
    later = eml_file_name(datetime(2024, 1, 2, 3, 4, 5, 7, tzinfo=UTC))
    assert earlier.startswith("20240102T030405.000006Z-")
    assert earlier.endswith(".eml")
    assert earlier < later
    assert eml_file_name() != eml_file_name()


async def test_file_backend_failure_raises(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(OSError):
        await send_email(MESSAGE, EmailSettings(backend="file", file_dir=blocker / "emails", sender=SENDER))


# --- smtp backend -------------------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    login: bytes | None


@dataclass
class CollectingHandler:
    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        assert envelope.mail_from is not None
        assert isinstance(envelope.content, bytes)
        login = getattr(session.auth_data, "login", None) if session.authenticated else None
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, login))
        return "250 Message accepted for delivery"


def authenticator(server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
    if isinstance(auth_data, LoginPassword) and auth_data == (USER.encode(), PASSWORD.encode()):
        return AuthResult(success=True, auth_data=auth_data)
    return AuthResult(success=False, handled=False)  # handled=False: the server answers 535 itself


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SMTPServerUnderTest:
    handler: CollectingHandler
    port: int

    def settings(self, **overrides: Any) -> EmailSettings:
        values: dict[str, Any] = {
            "backend": "smtp",
            "sender": SENDER,
            "smtp_host": "127.0.0.1",
            "smtp_port": self.port,
            "smtp_timeout": 5.0,
        }
        return EmailSettings(**(values | overrides))


def start_server(**smtp_options: Any) -> Iterator[SMTPServerUnderTest]:
    handler = CollectingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, server_hostname="smtp.test", **smtp_options)
    controller.start()
    try:
        yield SMTPServerUnderTest(handler, port)
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SMTPServerUnderTest]:
    yield from start_server()


@pytest.fixture
def smtp_server_with_auth() -> Iterator[SMTPServerUnderTest]:
    yield from start_server(authenticator=authenticator, auth_required=True, auth_require_tls=False)


async def test_smtp_backend_delivers_to_a_real_server(smtp_server: SMTPServerUnderTest) -> None:
    await send_email(MESSAGE, smtp_server.settings())
    [received] = smtp_server.handler.messages
    assert received.mail_from == parseaddr(SENDER)[1]
    assert received.rcpt_tos == [MESSAGE.to]
    assert received.login is None
    assert_headers_and_body(parse(received.content))


async def test_smtp_backend_authenticates(smtp_server_with_auth: SMTPServerUnderTest) -> None:
    settings = smtp_server_with_auth.settings(smtp_user=USER, smtp_password=PASSWORD)
    await send_email(MESSAGE, settings)
    [received] = smtp_server_with_auth.handler.messages
    assert received.login == USER.encode()
    assert_headers_and_body(parse(received.content))


async def test_smtp_backend_wrong_password_raises_without_leaking_it(
    smtp_server_with_auth: SMTPServerUnderTest,
) -> None:
    wrong = "not-the-password"
    settings = smtp_server_with_auth.settings(smtp_user=USER, smtp_password=wrong)
    with pytest.raises(EmailDeliveryError, match="SMTPAuthenticationError") as caught:
        await send_email(MESSAGE, settings)
    assert wrong not in str(caught.value)
    assert smtp_server_with_auth.handler.messages == []


async def test_smtp_backend_server_requiring_auth_refuses_anonymous_mail(
    smtp_server_with_auth: SMTPServerUnderTest,
) -> None:
    with pytest.raises(EmailDeliveryError):
        await send_email(MESSAGE, smtp_server_with_auth.settings())
    assert smtp_server_with_auth.handler.messages == []


async def test_smtp_backend_starttls_refused_by_a_plain_server(smtp_server: SMTPServerUnderTest) -> None:
    with pytest.raises(EmailDeliveryError, match="STARTTLS"):
        await send_email(MESSAGE, smtp_server.settings(smtp_tls="starttls"))
    assert smtp_server.handler.messages == []


async def test_smtp_backend_implicit_tls_against_a_plain_server_raises(smtp_server: SMTPServerUnderTest) -> None:
    with pytest.raises(EmailDeliveryError):
        await send_email(MESSAGE, smtp_server.settings(smtp_tls="tls", smtp_timeout=2.0))
    assert smtp_server.handler.messages == []


async def test_smtp_backend_nothing_listening_raises() -> None:
    port = free_port()
    settings = EmailSettings(backend="smtp", sender=SENDER, smtp_host="127.0.0.1", smtp_port=port, smtp_timeout=2.0)
    with pytest.raises(EmailDeliveryError, match=f"127.0.0.1:{port}") as caught:
        await send_email(MESSAGE, settings)
    assert isinstance(caught.value.__cause__, OSError)


@pytest.fixture
async def silent_server() -> AsyncIterator[int]:
    """Accepts connections and never says a word: the client must give up after its timeout."""
    connections: list[asyncio.StreamWriter] = []

    async def accept(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        for writer in connections:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_smtp_backend_times_out(silent_server: int) -> None:
    settings = EmailSettings(
        backend="smtp", sender=SENDER, smtp_host="127.0.0.1", smtp_port=silent_server, smtp_timeout=0.5
    )
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(EmailDeliveryError, match="Timeout"):
        await send_email(MESSAGE, settings)
    assert loop.time() - started < 5
