"""The composition root: the one place that knows every room and wires them together."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from huizhen.clock import clock_from_env
from huizhen.config import ConfigError, Settings, load_settings
from scheduler.calendar import WorkingCalendar, YearArrangement, load_year_file
from states.errors import DomainError
from storage.db import current_revision, head_revision, make_engine, migrate
from storage.uow import UnitOfWorkFactory, sync_institutions
from workflow.ports import Clock, Policy
from workflow.usecases import Services

SHIPPED_YEARS = Path(__file__).resolve().parent.parent / "scheduler" / "years"


class NotInitialised(DomainError):
    code = "not_initialised"


def policy_from(settings: Settings) -> Policy:
    return Policy(
        members=settings.members,
        rotation_order=tuple(settings.rotation.order),
        first_term_start=settings.rotation.first_term_start,
        term_months=settings.rotation.term_months,
        timers=settings.timers.model_dump(),
        case_prefix=settings.case_prefix,
        minutes_title=f"{settings.region}缺陷消费品专家会诊会议纪要",
    )


def year_files(settings: Settings) -> list[Path]:
    folders = [SHIPPED_YEARS]
    if settings.calendar.years_dir is not None:
        folders.append(settings.resolve(settings.calendar.years_dir))
    files: list[Path] = []
    for folder in folders:
        if folder.is_dir():
            files.extend(sorted(folder.glob("*.yaml")))
    return files


def build_calendar(settings: Settings, extra: list[YearArrangement] | None = None) -> WorkingCalendar:
    years = [load_year_file(p) for p in year_files(settings)]
    return WorkingCalendar(years + list(extra or []), close_of_business=settings.calendar.close_of_business)


@dataclass
class App:
    settings: Settings
    engine: Engine
    services: Services

    def require_schema(self) -> None:
        have, want = current_revision(self.engine), head_revision(self.engine)
        if have is None:
            raise NotInitialised("database: not initialised yet — run: huizhen init")
        if have != want:
            raise NotInitialised(f"database: schema {have} is older than {want} — run: huizhen init to migrate")

    def init(self) -> str:
        revision = migrate(self.engine)
        sync_institutions(self.engine, [(i.code, i.name, i.province) for i in self.settings.institutions])
        return revision


def bootstrap(config: str | Path | None = None, *, clock: Clock | None = None, database_url: str | None = None,
              settings: Settings | None = None) -> App:
    settings = settings or load_settings(config)
    url = database_url or settings.sqlalchemy_url()
    try:
        engine = make_engine(url)
    except Exception as exc:  # a malformed URL is a configuration error, said in one line
        raise ConfigError(f"HUIZHEN_DATABASE_URL: {exc}") from exc
    services = Services(
        uow=UnitOfWorkFactory(engine),
        clock=clock or clock_from_env(),
        calendar=build_calendar(settings),
        policy=policy_from(settings),
        max_material_bytes=settings.materials_max_bytes,
    )
    return App(settings=settings, engine=engine, services=services)
