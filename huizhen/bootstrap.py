"""The composition root: the one place that knows every room and wires them together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from huizhen.calendars import build_calendar
from huizhen.clock import clock_from_env
from huizhen.config import ConfigError, Settings, load_settings
from huizhen.keys import load_keyring, signing_key
from huizhen.logs import log_event
from huizhen.notifiers import EmailChannel, WebhookChannel
from scheduler.daemon import Daemon
from scheduler.reminders import ReminderPolicy
from scheduler.sweep import Sweeper, SweepReport, SweepSettings
from scheduler.yearfiles import year_from_stored
from states.errors import DomainError
from storage.db import current_revision, head_revision, make_engine, migrate
from storage.leader import leader_lock
from storage.seals import ensure_older_rows_seal
from storage.uow import UnitOfWorkFactory, sync_institutions
from workflow.ports import Channel, Clock, Policy
from workflow.usecases import Services


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
        provinces={i.code: i.province for i in settings.institutions},
        retention_years=settings.retention_years,
    )


@dataclass
class App:
    settings: Settings
    engine: Engine
    services: Services
    _calendar_fingerprint: str | None = None
    _outbox: Any = None

    @property
    def outbox(self) -> Any:
        """The after-commit sender of invitations and minutes (huizhen.outbox.Outbox)."""
        if self._outbox is None:
            from huizhen.outbox import Outbox

            self._outbox = Outbox(self.sweeper)
        return self._outbox

    def refresh_calendar(self) -> None:
        """Take in year files loaded into the database (by this or another process) since we last looked."""
        with self.services.uow(readonly=True) as uow:
            fingerprint = uow.calendar_years.fingerprint()
            if fingerprint == self._calendar_fingerprint:
                return
            stored = uow.calendar_years.all()
        self.services.calendar = build_calendar(self.settings, [year_from_stored(r) for r in stored])
        self._calendar_fingerprint = fingerprint

    def channels(self) -> list[Channel]:
        n = self.settings.notifications
        found: list[Channel] = []
        if n.email.enabled:
            found.append(EmailChannel(n.email))
        if n.webhook.enabled:
            found.append(WebhookChannel(n.webhook))
        return found

    def sweeper(self) -> Sweeper:
        r = self.settings.reminders
        policy = ReminderPolicy(before_at=r.before_at, day_starts=r.day_starts, day_ends=r.day_ends,
                                max_overdue_days=r.max_overdue_days)
        settings = SweepSettings(policy=policy, lease=timedelta(minutes=r.lease_minutes),
                                 backoff_cap=timedelta(minutes=r.backoff_cap_minutes),
                                 retry_horizon=timedelta(days=r.retry_horizon_days), concurrency=r.send_concurrency)
        svc = self.services
        sweeper = Sweeper(svc.uow, svc.clock, lambda d: svc.calendar.is_workday(d), self.channels(), settings,
                          log=log_event)
        from huizhen.outbox import record_minutes_delivery

        # Whoever finally gets the minutes through (the first try, a retry in a later sweep, another process)
        # records the delivery in the case's history.
        sweeper.on_delivered = lambda row: record_minutes_delivery(svc, row)
        return sweeper

    def before_sweep(self) -> None:
        """Each sweep first takes in calendar changes, then sends what a crash between commit and send left."""
        self.refresh_calendar()
        self.outbox.catch_up(self.services)
        from huizhen import daily_checkpoint

        daily_checkpoint.run(self, log_event)  # once each working day (the ledger remembers), then only what is missing

    def daemon(self, on_report: Callable[[SweepReport], None] | None = None) -> Daemon:
        return Daemon(self.sweeper(), lambda: leader_lock(self.engine), self.settings.reminders.heartbeat_seconds,
                      on_report=on_report, before_sweep=self.before_sweep, log=log_event)

    def require_schema(self) -> None:
        have, want = current_revision(self.engine), head_revision(self.engine)
        if have is None:
            raise NotInitialised("database: not initialised yet — run: huizhen init")
        if have != want:
            raise NotInitialised(f"database: schema {have} is older than {want} — run: huizhen init to migrate")

    def init(self) -> str:
        revision = migrate(self.engine)
        sync_institutions(self.engine, [(i.code, i.name, i.province) for i in self.settings.institutions])
        keyring = getattr(self.services.uow, "keyring", None)
        if keyring is not None:  # the rows hashed before the audit key existed are sealed under it, once
            with self.engine.begin() as conn:
                ensure_older_rows_seal(conn, keyring)
        signing_key(self.settings)  # the checkpoints' Ed25519 key, a 0600 file beside the config, made once
        from huizhen import signing

        signing.ensure_keys(self.settings)  # the papers' CA and each institution's key and certificate, once
        return revision


def bootstrap(config: str | Path | None = None, *, clock: Clock | None = None, database_url: str | None = None,
              settings: Settings | None = None) -> App:
    settings = settings or load_settings(config)
    url = database_url or settings.sqlalchemy_url()
    try:
        db = settings.database
        engine = make_engine(url, connect_timeout=db.connect_timeout_seconds,
                             statement_timeout=db.statement_timeout_seconds, pool_recycle=db.pool_recycle_seconds)
    except Exception as exc:  # a malformed URL is a configuration error, said in one line
        raise ConfigError(f"HUIZHEN_DATABASE_URL: {exc}") from exc
    services = Services(
        uow=UnitOfWorkFactory(engine, keyring=load_keyring(settings)),
        clock=clock or clock_from_env(),
        calendar=build_calendar(settings),
        policy=policy_from(settings),
        max_material_bytes=settings.materials_max_bytes,
    )
    app = App(settings=settings, engine=engine, services=services)
    services.after_commit.append(app.outbox)
    from huizhen import signing

    signing.configure(settings)  # the papers are signed with this service's institutions' keys
    return app
