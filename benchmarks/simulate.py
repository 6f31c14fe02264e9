"""A national simulation (issue 17): a configuration of 31 member institutions (configuration only), N cases spread
over five years, a virtual clock advanced through every working day with a sweep each day (the catch-up first, as
the daemon does), on PostgreSQL by default. At the end it checks that every reminder due was sent exactly once
(each in the ledger once, delivered to the inbox once, none left claimed or failed, every missed deadline
reminded) and that `audit verify` passes; it prints the wall time and the peak memory.

The minutes' PDF is a stand-in (WeasyPrint's drawing time does not depend on the scale; docs/performance.md).
Every tenth case's experts are late (their analyses come after T1 ran out): those deadlines are missed and their
overdue reminders go out each working day until the analyses are in.

Run: .venv/bin/python benchmarks/simulate.py [--cases 50000] [--quick] [--backend postgresql|sqlite]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

from _bench import ROOT, database, pg_reachable

from states.beijing import BEIJING

CODES = ["BJ", "TJ", "HE", "SX", "NM", "LN", "JL", "HL", "SH", "JS", "ZJ", "AH", "FJ", "JX", "SD", "HA", "HB", "HN",
         "GD", "GX", "HI", "CQ", "SC", "GZ", "YN", "XZ", "SN", "GS", "QH", "NX", "XJ"]
FIRST_DAY, YEARS = date(2022, 1, 4), 5


def config_text(members: int, tmp: Path) -> str:
    base = (ROOT / "config.yaml").read_text(encoding="utf-8")
    head, rest = base.split("institutions:", 1)
    rest = rest[rest.index("# Art. 3"):]
    codes = CODES[:members]
    lines = "".join(f"  - {{code: {c}, name: {c}缺陷消费品召回技术机构, province: {c}省}}\n" for c in codes)
    rest = rest.replace("order: [SH, JS, ZJ, AH]", f"order: [{', '.join(codes)}]").replace(
        "first_term_start: 2025-01-01", "first_term_start: 2022-01-01").replace(
        "years_dir: official-years", f"years_dir: {ROOT / 'official-years'}").replace(
        "region: 长三角", "region: 全国")
    return head.replace("database_url: var/huizhen.db", f"database_url: {tmp}/none.db") + \
        "institutions:\n" + lines + "\n" + rest


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--cases", type=int, default=None)
    p.add_argument("--members", type=int, default=31)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    p.add_argument("--days", type=int, default=None, help="simulate only this many calendar days (default 5 years)")
    args = p.parse_args()
    cases = args.cases or (10 if args.quick else 50_000)
    backend = args.backend if args.backend == "sqlite" or pg_reachable() else "sqlite"
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, database(backend) as url:
        config = Path(tmp) / "config.yaml"
        config.write_text(config_text(args.members, Path(tmp)), encoding="utf-8")
        result = simulate(url, config, cases, args.members, args.days or (40 if args.quick else 365 * YEARS + 1),
                          progress=not args.quick)
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"national simulation | {backend} | {args.members} institutions | {result['cases']} cases | "
          f"{result['days']} working days swept")
    print(f"reminders: {result['reminders']} sent, {result['skipped']} recorded as skipped; exactly once: "
          f"{'yes' if result['exactly_once'] else 'NO'} {result['problems'][:5]}")
    print(f"audit verify: {'passes' if not result['findings'] else 'FAILS'} ({len(result['findings'])} findings)")
    print(f"deliveries failed: {len(result['failed'])} {sorted(set(result['failed']))[:3]}")
    print(f"wall time {wall:.1f} s (commands {result['t_commands']:.1f} s, sweeps {result['t_sweeps']:.1f} s, "
          f"verify {result['t_verify']:.1f} s); peak memory {peak:.0f} MiB")
    if not result["exactly_once"] or result["findings"] or result["failed"]:
        sys.exit(1)


def simulate(url: str, config: Path, count: int, members: int, days: int, progress: bool = False) -> dict:  # type: ignore[type-arg]
    from support import load_example, opinion

    import huizhen.outbox
    from huizhen.bootstrap import bootstrap
    from workflow import usecases as uc
    from workflow.testing import FakeClock

    # The minutes' PDF is drawn by WeasyPrint (seconds per case on this machine, whatever the database holds): the
    # simulation sends a stand-in of the same kind, so that its time is the engine's. Everything else is real.
    huizhen.outbox.render_minutes_pdf = (lambda svc, number, issue_no=1:
                                         b"%PDF-1.4 simulated minutes " + number.encode())
    clock = FakeClock()
    app = bootstrap(config, clock=clock, database_url=url)
    app.init()
    svc = app.services
    codes = CODES[:members]
    uc.add_user(svc, None, "admin", "admin", bootstrap=True)
    for code in codes:
        uc.add_user(svc, "admin", code.lower(), "liaison", code, email=f"{code.lower()}@example.org")
    uc.add_user(svc, "admin", "auditor", "auditor")
    experts = []
    for i in range(9):
        ex = uc.add_expert(svc, "admin", f"专家{i + 1}", "机械安全", f"单位{i + 1}", "高级工程师", codes[i % members])
        uc.add_user(svc, "admin", f"x{i + 1}", "expert", expert_id=ex.id)
        experts.append((f"x{i + 1}", ex.id))
    draft = load_example("case.yaml")
    sweeper = app.sweeper()
    # A delivery that fails is retried by every later sweep: count them, so a run that owes mail does not pass.
    from loguru import logger

    failed: list[str] = []
    logger.add(lambda m: failed.append(str(m.record["extra"].get("error", m.record["message"]))), level="WARNING",
               filter=lambda r: r["message"].endswith("failed"))
    cal = svc.calendar

    workdays = [d for d in (FIRST_DAY + timedelta(days=i) for i in range(days)) if cal.is_workday(d)]
    # Case k opens on a working day spread evenly over the period; its steps follow on later working days.
    plan: dict[int, list[tuple[int, str]]] = defaultdict(list)
    usable = max(1, len(workdays) - 12)
    for k in range(count):
        start = (k * usable) // max(1, count)
        late = k % 10 == 9
        for offset, step in ((0, "open"), (5 if late else 2, "analyses"), (7 if late else 4, "meeting"),
                             (8 if late else 5, "close")):
            plan[start + offset].append((k, step))
    numbers: dict[int, str] = {}
    t_commands = t_sweeps = 0.0
    swept = 0
    for index, day in enumerate(workdays):
        at = datetime.combine(day, dtime(9, 30), tzinfo=BEIJING)
        clock.at = at.astimezone(UTC)
        t0 = time.perf_counter()
        for k, step in plan.get(index, []):
            clock.advance(seconds=1)
            numbers[k] = run_step(svc, uc, clock, step, k, numbers.get(k), codes, experts, draft, opinion)
        t_commands += time.perf_counter() - t0
        clock.at = datetime.combine(day, dtime(10, 0), tzinfo=BEIJING).astimezone(UTC)
        t0 = time.perf_counter()
        app.before_sweep()
        sweeper.sweep()
        t_sweeps += time.perf_counter() - t0
        swept += 1
        if progress and swept % 125 == 0:
            print(f"  {day.isoformat()}: {swept} working days swept, {len(numbers)} cases, commands "
                  f"{t_commands:.0f} s, sweeps {t_sweeps:.0f} s", flush=True)
    t0 = time.perf_counter()
    findings = uc.verify_audit(svc, "auditor")
    t_verify = time.perf_counter() - t0
    checked = check_exactly_once(app)
    app.engine.dispose()
    return {"cases": len(numbers), "days": swept, "findings": findings, "t_commands": t_commands,
            "t_sweeps": t_sweeps, "t_verify": t_verify, "failed": failed, **checked}


def run_step(svc, uc, clock, step, k, number, codes, experts, draft, opinion):  # type: ignore[no-untyped-def]
    applicant = codes[k % len(codes)].lower()
    panel = [experts[(k + i) % len(experts)] for i in range(3)]
    if step == "open":
        number = uc.new_case(svc, applicant, draft).number
        uc.verify(svc, applicant, number, "核实无误")
        uc.submit(svc, applicant, number)
        uc.form_panel(svc, applicant, number, [e for _, e in panel])
        uc.attach(svc, applicant, number, "report.txt", f"test report {k}".encode(), "test_report")
        uc.dispatch(svc, applicant, number)
    elif step == "analyses":
        for user, expert in panel:
            clock.advance(seconds=1)
            uc.record_analysis(svc, user, number, expert, "分析意见")
        uc.refer(svc, applicant, number, "专家分析已齐" if k % 10 == 9 else "")
        # Art. 5 / 8(4): the lead schedules the online meeting (convening needs one); its invitation goes out.
        uc.schedule_meeting(svc, _lead(uc, svc, number), number, clock.now() + timedelta(days=1, hours=4), "腾讯会议")
    elif step == "meeting":
        lead = _lead(uc, svc, number)
        uc.convene(svc, lead, number)
        for user, expert in panel:
            clock.advance(seconds=1)
            uc.record_opinion(svc, user, number, expert, opinion())
        uc.decide(svc, lead, number)
    elif step == "close":
        lead = _lead(uc, svc, number)
        uc.issue_minutes(svc, lead, number)
        clock.advance(seconds=1)
        uc.archive(svc, lead, number)
    return number


def _lead(uc, svc, number):  # type: ignore[no-untyped-def]
    return str(uc.show_case(svc, "auditor", number)["lead"]).lower()


def check_exactly_once(app) -> dict:  # type: ignore[no-untyped-def, type-arg]
    from sqlalchemy import func, select

    from storage import tables as t

    problems: list[str] = []
    with app.engine.connect() as conn:
        by_status = dict(conn.execute(select(t.reminders.c.status, func.count()).group_by(t.reminders.c.status)).all())
        for status in ("claimed", "failed", "abandoned"):
            if by_status.get(status):
                problems.append(f"{by_status[status]} reminders left {status}")
        keys = conn.execute(select(t.reminders.c.key, t.reminders.c.status, t.reminders.c.reminder_kind,
                                   t.reminders.c.channel)).all()
        inbox = [k for (k,) in conn.execute(select(t.inbox.c.key)).all()]
        inbox_once = set(inbox)
        if len(inbox) != len(inbox_once):
            problems.append(f"{len(inbox) - len(inbox_once)} inbox messages delivered twice")
        for key, status, _kind, channel in keys:
            if channel == "inbox" and status == "sent" and key not in inbox_once:
                problems.append(f"{key}: sent but not in the inbox")
        missed = conn.execute(select(t.deadlines.c.id).where(t.deadlines.c.status == "missed")).scalars().all()
        overdue = {k.split("|")[0] for k, _s, kind, _c in keys if kind == "overdue"}
        for deadline in missed:
            if deadline not in overdue:
                problems.append(f"{deadline}: missed without an overdue reminder")
    sent = sum(1 for _k, s, _kind, _c in keys if s == "sent")
    skipped = sum(1 for _k, s, _kind, _c in keys if s == "skipped")
    return {"reminders": sent, "skipped": skipped, "exactly_once": not problems, "problems": problems}


if __name__ == "__main__":
    main()
