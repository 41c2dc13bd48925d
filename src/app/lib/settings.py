"""Typed settings, read once from the environment (and an optional `.env`)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal, TypeVar

from croniter import croniter  # type: ignore[import-untyped]
from dotenv import load_dotenv

N = TypeVar("N", int, float)
DEFAULT_SECRET_KEY = "folio-dev-secret-key-change-me"  # noqa: S105 - refused when APP_ENV=production
DEFAULT_WEB_DIST_DIR = Path(__file__).resolve().parents[3] / "web" / "dist"


class SettingsError(RuntimeError):
    """The environment describes a configuration the app refuses to run with."""


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _env_number(name: str, default: N, kind: Callable[[str], N]) -> N:
    raw = _env(name)
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError as exc:
        msg = f"{name} must be a number ({kind.__name__}), got {raw!r}"
        raise SettingsError(msg) from exc


def _env_int(name: str, default: int) -> int:
    return _env_number(name, default, int)


def _env_in_range(name: str, default: int, low: int, high: int) -> int:
    value = _env_int(name, default)
    if not low <= value <= high:
        msg = f"{name} must be between {low} and {high}, got {value}"
        raise SettingsError(msg)
    return value


def _env_float(name: str, default: float) -> float:
    return _env_number(name, default, float)


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name).lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    msg = f"{name} must be a boolean (true/false), got {raw!r}"
    raise SettingsError(msg)


@dataclass(frozen=True)
class AppSettings:
    env: Literal["dev", "production"] = "dev"
    secret_key: str = DEFAULT_SECRET_KEY
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path(".data")
    log_format: Literal["console", "json"] = "console"
    log_level: str = "INFO"
    max_body_size: int = 1024 * 1024
    web_dist_dir: Path = DEFAULT_WEB_DIST_DIR
    """The single-page app's production build (`make web`), served at every path outside the API."""
    web_concurrency: int = 1
    """Server processes `app run` starts when `--wc` is not given."""
    shutdown_grace_period: int = 20
    """Seconds a stopping server process lets its in-flight requests finish before it is killed."""

    @property
    def is_production(self) -> bool:
        return self.env == "production"


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = ""
    """Empty means: start the embedded PostgreSQL in `DATA_DIR/postgres`."""
    pool_size: int = 20
    """Connections kept open per process; a request holds one from its first query to its response."""
    max_overflow: int = 0
    """Extra connections beyond `pool_size`. Each is opened for one request and closed after it (a new
    PostgreSQL backend, its statements prepared again), which under load costs more than waiting."""
    pool_timeout: float = 5.0
    pool_recycle: int = 300
    echo: bool = False

    @property
    def embedded(self) -> bool:
        return not self.url


@dataclass(frozen=True)
class QueueSettings:
    url: str = ""
    """Empty means: the SAQ queue lives in the application's PostgreSQL database."""
    in_process: bool = False
    """Run a worker inside the web process (what `make run` does)."""
    concurrency: int = 10
    shutdown_grace_period: int = 20
    """Seconds a stopping worker lets running jobs finish before cancelling them (they are then retried).
    SAQ waits this long even when idle, so keep it below the orchestrator's kill timeout."""
    sweep_interval: int = 60
    """Seconds between a worker's sweeps for stuck jobs (past their timeout or heartbeat), which retries them."""
    import_job_timeout: int = 3600
    """Seconds a catalogue import job may run in all."""
    import_job_heartbeat: int = 120
    """Seconds without a committed batch after which an import job counts as stuck (its worker died) and is retried."""
    job_retry_delay: float = 1.0
    """Seconds before a failed job's first retry; each later retry waits twice as long as the one before."""
    cleanup_cron: str = "0 * * * *"
    """When the clean-up of expired sessions, tokens and rate-limit windows runs (cron; a sixth field is seconds)."""


@dataclass(frozen=True)
class AuthSettings:
    session_max_age: int = 14 * 24 * 3600
    """Seconds a browser session lives without being used."""
    allowed_origins: tuple[str, ...] = ()
    """Origins granted CORS (with credentials); never `*`."""
    allowed_hosts: tuple[str, ...] = ("*",)
    trusted_proxies: tuple[str, ...] = ()
    login_failures_per_email: int = 5
    login_failure_window: int = 15 * 60
    auth_requests_per_minute: int = 30
    reset_token_max_age: int = 3600
    verify_token_max_age: int = 7 * 24 * 3600


@dataclass(frozen=True)
class EmailSettings:
    backend: Literal["console", "file", "smtp"] = "console"
    file_dir: Path = Path(".data/emails")
    sender: str = "Folio <no-reply@folio.localhost>"
    app_url: str = "http://127.0.0.1:8000"
    """Public base URL of the app, used in the links emails carry."""
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_timeout: float = 10.0


@dataclass(frozen=True)
class StorageSettings:
    url: str = ""
    """Empty means: files live under `DATA_DIR` (covers in `covers/`, import uploads in `imports/`).
    Otherwise an S3-compatible location such as `s3://bucket/prefix`."""
    access_key_id: str = ""
    secret_access_key: str = ""
    region: str = ""
    endpoint_url: str = ""
    """For S3-compatible services other than AWS (MinIO, R2, ...)."""


@dataclass(frozen=True)
class Settings:
    app: AppSettings = field(default_factory=AppSettings)
    db: DatabaseSettings = field(default_factory=DatabaseSettings)
    queue: QueueSettings = field(default_factory=QueueSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    email: EmailSettings = field(default_factory=EmailSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)


def _env_list(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = _env(name)
    if not raw:
        return default
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = _env(name, default).lower()
    if value not in choices:
        msg = f"{name} must be one of {', '.join(choices)}; got {value!r}"
        raise SettingsError(msg)
    return value


def _normalise_database_url(url: str) -> str:
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    if url and not url.startswith("postgresql+asyncpg://"):
        msg = "DATABASE_URL must be a PostgreSQL URL (postgresql+asyncpg://user:password@host:port/database)"
        raise SettingsError(msg)
    return url


def _storage_url(url: str) -> str:
    if url and not url.startswith("s3://"):
        msg = f"STORAGE_URL must look like s3://bucket/prefix, got {url!r}"
        raise SettingsError(msg)
    return url


def load_settings() -> Settings:
    """Build settings from the environment; raises `SettingsError` on a bad or unsafe value."""
    load_dotenv(override=False)
    env = _env("APP_ENV", "dev").lower()
    if env not in {"dev", "production"}:
        msg = f"APP_ENV must be 'dev' or 'production', got {env!r}"
        raise SettingsError(msg)
    secret_key = _env("SECRET_KEY", DEFAULT_SECRET_KEY)
    if env == "production" and (not secret_key or secret_key == DEFAULT_SECRET_KEY):
        msg = "APP_ENV=production needs SECRET_KEY set to a long random value (not empty, not the default)"
        raise SettingsError(msg)
    log_format = _env("LOG_FORMAT", "json" if env == "production" else "console").lower()
    if log_format not in {"console", "json"}:
        msg = f"LOG_FORMAT must be 'console' or 'json', got {log_format!r}"
        raise SettingsError(msg)
    app = AppSettings(
        env=env,  # type: ignore[arg-type]
        secret_key=secret_key,
        host=_env("HOST", "127.0.0.1"),
        port=_env_int("PORT", 8000),
        data_dir=Path(_env("DATA_DIR", ".data")).expanduser().resolve(),
        log_format=log_format,  # type: ignore[arg-type]
        log_level=_env("LOG_LEVEL", "INFO").upper(),
        max_body_size=_env_int("MAX_BODY_SIZE", 1024 * 1024),
        web_dist_dir=Path(_env("WEB_DIST_DIR") or str(DEFAULT_WEB_DIST_DIR)).expanduser().resolve(),
        web_concurrency=_env_in_range("WEB_CONCURRENCY", 2 if env == "production" else 1, 1, 512),
        shutdown_grace_period=_env_in_range("WEB_SHUTDOWN_GRACE_PERIOD", 20, 1, 1800),
    )
    db = DatabaseSettings(
        url=_normalise_database_url(_env("DATABASE_URL")),
        pool_size=_env_int("DB_POOL_SIZE", 20),
        max_overflow=_env_int("DB_MAX_OVERFLOW", 0),
        pool_timeout=_env_float("DB_POOL_TIMEOUT", 5.0),
        pool_recycle=_env_int("DB_POOL_RECYCLE", 300),
        echo=_env_bool("DB_ECHO", False),
    )
    cleanup_cron = _env("CLEANUP_CRON", "0 * * * *")
    if not croniter.is_valid(cleanup_cron):
        msg = f"CLEANUP_CRON must be a cron expression (five fields, or six with seconds last), got {cleanup_cron!r}"
        raise SettingsError(msg)
    queue = QueueSettings(
        url=_env("SAQ_QUEUE_URL"),
        in_process=_env_bool("SAQ_IN_PROCESS", False),
        concurrency=_env_int("SAQ_CONCURRENCY", 10),
        shutdown_grace_period=_env_int("SAQ_SHUTDOWN_GRACE_PERIOD", 20),
        sweep_interval=_env_int("SAQ_SWEEP_INTERVAL", 60),
        import_job_timeout=_env_int("IMPORT_JOB_TIMEOUT", 3600),
        import_job_heartbeat=_env_int("IMPORT_JOB_HEARTBEAT", 120),
        job_retry_delay=_env_float("JOB_RETRY_DELAY", 1.0),
        cleanup_cron=cleanup_cron,
    )
    allowed_origins = _env_list("ALLOWED_ORIGINS", ())
    if "*" in allowed_origins:
        msg = "ALLOWED_ORIGINS must list origins (https://app.example.com); '*' is refused because cookies are sent"
        raise SettingsError(msg)
    auth = AuthSettings(
        session_max_age=_env_int("SESSION_MAX_AGE", 14 * 24 * 3600),
        allowed_origins=allowed_origins,
        allowed_hosts=_env_list("ALLOWED_HOSTS", ("*",)),
        trusted_proxies=_env_list("TRUSTED_PROXIES", ()),
        login_failures_per_email=_env_int("LOGIN_FAILURES_PER_EMAIL", 5),
        login_failure_window=_env_int("LOGIN_FAILURE_WINDOW", 15 * 60),
        auth_requests_per_minute=_env_int("AUTH_REQUESTS_PER_MINUTE", 30),
    )
    email = EmailSettings(
        backend=_env_choice("EMAIL_BACKEND", "console", ("console", "file", "smtp")),  # type: ignore[arg-type]
        file_dir=Path(_env("EMAIL_FILE_DIR") or str(app.data_dir / "emails")).expanduser().resolve(),
        sender=_env("EMAIL_FROM", "Folio <no-reply@folio.localhost>"),
        app_url=_env("APP_URL", f"http://{app.host}:{app.port}").rstrip("/"),
        smtp_host=_env("SMTP_HOST", "localhost"),
        smtp_port=_env_int("SMTP_PORT", 25),
        smtp_user=_env("SMTP_USER"),
        smtp_password=_env("SMTP_PASSWORD"),
        smtp_tls=_env_choice("SMTP_TLS", "none", ("none", "starttls", "tls")),  # type: ignore[arg-type]
        smtp_timeout=_env_float("SMTP_TIMEOUT", 10.0),
    )
    storage = StorageSettings(
        url=_storage_url(_env("STORAGE_URL").rstrip("/")),
        access_key_id=_env("STORAGE_ACCESS_KEY_ID"),
        secret_access_key=_env("STORAGE_SECRET_ACCESS_KEY"),
        region=_env("STORAGE_REGION"),
        endpoint_url=_env("STORAGE_ENDPOINT_URL"),
    )
    return Settings(app=app, db=db, queue=queue, auth=auth, email=email, storage=storage)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
