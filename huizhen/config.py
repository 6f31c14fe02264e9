"""config.yaml, validated once at start into frozen settings; a bad file stops with a message naming the key."""

from __future__ import annotations

import os
from datetime import date, time
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from states.errors import DomainError


class ConfigError(DomainError):
    code = "config_error"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Institution(_Frozen):
    code: str = Field(pattern=r"^[A-Z]{2,8}$")
    name: str = Field(min_length=1)
    province: str = Field(min_length=1)
    email: str | None = None


class Rotation(_Frozen):
    order: list[str] = Field(min_length=1)
    first_term_start: date
    term_months: int = Field(default=12, ge=1, le=60)


class Timers(_Frozen):
    expert_analysis: int = Field(default=3, ge=1, le=60)
    convening: int = Field(default=5, ge=1, le=60)
    tracking: int = Field(default=20, ge=1, le=250)


class CalendarSettings(_Frozen):
    close_of_business: time | None = None
    years_dir: Path | None = None


class Reminders(_Frozen):
    before_at: time = time(9, 0)  # the 'before' reminder, on the due day
    day_starts: time = time(9, 0)  # working hours: reminders go out only inside them, on working days
    day_ends: time = time(17, 30)
    heartbeat_seconds: float = Field(default=60.0, ge=1, le=3600)
    lease_minutes: int = Field(default=10, ge=1, le=1440)
    max_attempts: int = Field(default=8, ge=1, le=100)  # no longer a limit: kept so old config files still load
    retry_horizon_days: float = Field(default=3.0, gt=0, le=60)  # a failing send is retried this long, then abandoned
    backoff_cap_minutes: float = Field(default=60.0, gt=0, le=60)  # the longest wait between two tries
    send_concurrency: int = Field(default=4, ge=1, le=32)  # mails and webhooks sent at once in one sweep
    max_overdue_days: int = Field(default=60, ge=1, le=1000)

    @model_validator(mode="after")
    def _hours(self) -> Reminders:
        if self.day_starts >= self.day_ends:
            raise ValueError("reminders.day_starts must be before reminders.day_ends")
        return self


class Database(_Frozen):
    connect_timeout_seconds: float = Field(default=5.0, gt=0, le=300)  # a frozen network fails within this
    statement_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)  # PostgreSQL: no statement runs longer
    pool_recycle_seconds: int = Field(default=1800, ge=30)  # connections older than this are replaced


class Email(_Frozen):
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=1, le=65535)
    sender: str = "huizhen@localhost"
    starttls: bool = False
    username: str | None = None  # the password comes from HUIZHEN_SMTP_PASSWORD, never from this file
    timeout_seconds: float = Field(default=10.0, gt=0)


class Webhook(_Frozen):
    enabled: bool = False
    url: str | None = Field(default=None, pattern=r"^https?://")
    timeout_seconds: float = Field(default=5.0, gt=0)  # HUIZHEN_WEBHOOK_SECRET, if set, signs each body (HMAC)

    @model_validator(mode="after")
    def _url(self) -> Webhook:
        if self.enabled and not self.url:
            raise ValueError("notifications.webhook.url is required when the webhook is enabled")
        return self


class Notifications(_Frozen):
    email: Email = Email()
    webhook: Webhook = Webhook()


class Audit(_Frozen):
    """Keys kept outside the database (docs/security.md): relative paths resolve against the config's folder."""

    key_file: Path = Path("var/audit.key")
    retired_key_files: list[Path] = []
    checkpoint_key_file: Path = Path("var/checkpoint.key")
    checkpoint_dir: Path = Path("var/checkpoints")
    signing_dir: Path = Path("var/signing")  # the papers' CA and each institution's key and certificate
    daily_checkpoint: bool = True  # the scheduler signs one each working day and sends it to the witnesses


class Web(_Frozen):
    """The web service's edge: the proxies whose X-Forwarded-For is believed (any other request's address is its
    own peer's), and how long a request body may stall between two chunks before it is refused (408)."""

    trusted_proxies: list[str] = ["127.0.0.1"]
    body_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    session_idle_minutes: float = Field(default=30.0, gt=0, le=720)  # a session ends this long after its last use


class Settings(_Frozen):
    region: str = "长三角"
    case_prefix: str = Field(default="YRD", pattern=r"^[A-Z]{2,8}$")
    database_url: str = "var/huizhen.db"
    institutions: list[Institution] = Field(min_length=2)
    rotation: Rotation
    timers: Timers = Timers()
    calendar: CalendarSettings = CalendarSettings()
    reminders: Reminders = Reminders()
    database: Database = Database()
    notifications: Notifications = Notifications()
    log_file: Path | None = None
    audit: Audit = Audit()
    web: Web = Web()
    materials_max_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    retention_years: int = Field(default=5, ge=1, le=100)
    base_dir: Path = Path(".")

    @field_validator("institutions")
    @classmethod
    def _unique_codes(cls, value: list[Institution]) -> list[Institution]:
        codes = [i.code for i in value]
        if len(set(codes)) != len(codes):
            raise ValueError("an institution code is listed twice")
        return value

    @model_validator(mode="after")
    def _rotation_members(self) -> Settings:
        codes = {i.code for i in self.institutions}
        for code in self.rotation.order:
            if code not in codes:
                raise ValueError(f"rotation.order: {code} is not one of the institutions")
        return self

    @property
    def members(self) -> dict[str, str]:
        return {i.code: i.name for i in self.institutions}

    def resolve(self, path: Path | str) -> Path:
        p = Path(path)
        return p if p.is_absolute() else (self.base_dir / p).resolve()

    def sqlalchemy_url(self) -> str:
        env = os.environ.get("HUIZHEN_DATABASE_URL")
        url = env or self.database_url
        if "://" in url:
            return url
        return f"sqlite:///{self.resolve(url)}"


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def load_settings(path: str | Path | None = None) -> Settings:
    """Read and validate config.yaml. Relative paths inside it resolve against the file's own folder."""
    cfg_path = Path(path or os.environ.get("HUIZHEN_CONFIG") or "config.yaml").expanduser()
    if not cfg_path.is_file():
        raise ConfigError(f"config: {cfg_path} not found (set HUIZHEN_CONFIG or run from the project folder)")
    try:
        raw = yaml.safe_load(cfg_path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"config: {cfg_path} is not valid YAML: {str(exc).splitlines()[0]}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"config: {cfg_path} must hold a mapping")
    raw = dict(raw)
    raw["base_dir"] = cfg_path.resolve().parent
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(f"config {cfg_path}: {_where(err['loc'])}: {err['msg']}") from exc
