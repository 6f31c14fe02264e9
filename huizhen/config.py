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


class Settings(_Frozen):
    region: str = "长三角"
    case_prefix: str = Field(default="YRD", pattern=r"^[A-Z]{2,8}$")
    database_url: str = "var/huizhen.db"
    institutions: list[Institution] = Field(min_length=2)
    rotation: Rotation
    timers: Timers = Timers()
    calendar: CalendarSettings = CalendarSettings()
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
