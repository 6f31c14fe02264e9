"""`huizhen serve --demo`: a realistic demo seeded through the use cases — the four YRD institutions, an expert
pool, users for each role, and fourteen cases across every state, some overdue, some due within a working day,
two whose deadlines run into 2027 (provisional: no official 2027 arrangement yet).

The demo runs on its own clock: it starts at 2026-12-30 10:00 Beijing time and runs on from there, so the
deadlines look as they would that morning whatever the real date is (HUIZHEN_NOW, if set, freezes it instead).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from huizhen.bootstrap import App
from workflow import nominations
from workflow import usecases as uc
from workflow.ports import User

DEMO_NOW = "2026-12-30T10:00:00+08:00"
DEMO_PASSWORD = "huizhen-demo"
PDF = b"%PDF-1.4\n% huizhen demo material\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@dataclass
class SeedClock:
    at: datetime = field(default_factory=lambda: datetime.fromisoformat(DEMO_NOW).astimezone(UTC))

    def now(self) -> datetime:
        return self.at

    def set(self, iso: str) -> None:
        self.at = datetime.fromisoformat(iso).astimezone(UTC)


class DemoClock:
    """The demo's "now": the anchor instant when the server starts, then running with the wall clock."""

    def __init__(self, anchor: str = DEMO_NOW) -> None:
        self.anchor = datetime.fromisoformat(anchor).astimezone(UTC)
        self.started = datetime.now(UTC)

    def now(self) -> datetime:
        return self.anchor + (datetime.now(UTC) - self.started)


LIAISONS = [("shanghai", "SH"), ("jiangsu", "JS"), ("zhejiang", "ZJ"), ("anhui", "AH")]
EXPERTS = [
    ("wangjg", "王建国", "机械安全", "上海市质量监督检验技术研究院", "高级工程师", "SH"),
    ("limin", "李敏", "电气安全", "江苏省产品质量监督检验研究院", "研究员", "JS"),
    ("chensy", "陈思远", "儿童用品", "浙江大学", "副教授", "ZJ"),
    ("zhaolei", "赵磊", "化学安全", "安徽省产品质量监督检验研究院", "高级工程师", "AH"),
    ("sunli", "孙丽", "材料与化学", "上海交通大学", "教授", "SH"),
    ("zhoujie", "周杰", "燃气器具", "江苏省特种设备安全监督检验研究院", "高级工程师", "JS"),
    ("wuhao", "吴昊", "风险评估", "浙江省标准化研究院", "研究员", "ZJ"),
]


def _product(name: str, model: str, brand: str, producer: str, reg: str, prod: str, basis: str, reports: list[str],
             defect: str) -> dict[str, Any]:
    return {"name": name, "model": model, "brand": brand, "producer": producer, "registered_province": reg,
            "production_province": prod, "test_basis": basis, "report_numbers": reports, "suspected_defect": defect}


def opinion(defect: str = "yes", severity: int = 3, likelihood: int = 5, *, recall: bool = False,
            public: bool = False) -> dict[str, Any]:
    safety = defect in ("yes", "uncertain")
    return {
        "standard_noncompliance": {"answer": safety, "detail": "不符合相关国家标准安全条款" if safety else ""},
        "nonstandard_danger": {"answer": False, "detail": ""},
        "no_standard_danger": {"answer": False, "detail": ""},
        "injury_types": {"physical": "机械伤害" if safety else None, "chemical": None, "biological": None},
        "severity": severity,
        "likelihood": likelihood,
        "producer_cause": {"design": safety, "manufacturing": False, "warning": False},
        "universality": defect,
        "similar_recall": {"answer": recall, "detail": "境外同款已召回" if recall else ""},
        "public_opinion_risk": {"answer": public, "detail": "社交媒体已有投诉" if public else ""},
    }


@dataclass
class Seeded:
    cases: dict[str, str]  # label -> case number
    logins: list[tuple[str, str, str]]  # (login, role, who)


def seed(hz: App, set_password: Callable[[str, str], None]) -> Seeded:
    """Fill an empty database; `set_password(name, password)` keeps each login's hash."""
    svc = hz.services
    clock = SeedClock()
    real_clock = svc.clock
    outbox = list(svc.after_commit)
    svc.clock = clock
    svc.after_commit.clear()  # invitations and minutes go out from the scheduler's catch-up, not while seeding
    try:
        return _seed(hz, clock, set_password)
    finally:
        svc.clock = real_clock
        svc.after_commit.extend(outbox)


def _seed(hz: App, clock: SeedClock, set_password: Callable[[str, str], None]) -> Seeded:
    svc = hz.services
    members = svc.policy.members
    clock.set("2026-09-01T09:00:00+08:00")
    with svc.uow(readonly=True) as uow:
        has_admin = uow.users.get("admin") is not None
    if not has_admin:
        uc.add_user(svc, None, "admin", "admin", bootstrap=True)
    logins: list[tuple[str, str, str]] = [("admin", "管理员", "用户、专家库、日历")]
    for login, code in LIAISONS:
        uc.add_user(svc, "admin", login, "liaison", code, email=f"{login}@example.org")
        logins.append((login, "联络员", f"{code} {members[code]}"))
    uc.add_user(svc, "admin", "auditor", "auditor", email="auditor@example.org")
    logins.append(("auditor", "审计", "查阅全部、回放、校验"))
    ex: dict[str, str] = {}
    for login, name, field_, employer, title, prov in EXPERTS:
        e = uc.add_expert(svc, "admin", name, field_, employer, title, prov)
        uc.add_user(svc, "admin", login, "expert", expert_id=e.id, email=f"{login}@example.org")
        ex[login] = e.id
        logins.append((login, "专家", f"{e.id} {name} · {field_} · {employer}"))
    for login, _, _ in logins:
        set_password(login, DEMO_PASSWORD)

    cases: dict[str, str] = {}

    def at(iso: str) -> None:
        clock.set(iso + "+08:00")

    def new(label: str, who: str, when: str, product: dict[str, Any], sources: list[str],
            basis: dict[str, str] | None = None) -> str:
        at(when)
        number = uc.new_case(svc, who, {"product": product, "sources": sources, "basis": basis or {}}).number
        cases[label] = number
        return number

    def verify(n: str, who: str) -> None:
        # Art. 7: the preliminary verification is made before the application.
        uc.verify(svc, who, n, "核实检测报告原件与样品一致，伤害监测数据另有同型号投诉，符合会诊条件。")

    def submit(n: str, who: str) -> None:
        verify(n, who)
        uc.submit(svc, who, n)

    def prepare(n: str, who: str, day: str, panel: list[str], report: str) -> None:
        at(f"{day}T11:00:00")
        uc.form_panel(svc, who, n, [ex[p] for p in panel])
        at(f"{day}T11:10:00")
        uc.attach(svc, who, n, f"检测报告 {report}.pdf", PDF + report.encode(), "test_report")

    def analyses(n: str, experts: list[tuple[str, str]]) -> None:
        for login, when in experts:
            at(when)
            uc.record_analysis(svc, login, n, ex[login], "初步分析：样品存在所述风险，建议提交会诊进一步研判。")

    def opinions(n: str, forms: list[tuple[str, str, dict[str, Any]]]) -> None:
        for login, when, op in forms:
            at(when)
            uc.record_opinion(svc, login, n, ex[login], op)

    # A — 折叠婴儿推车: the whole way to the archive (October).
    n = new("archived", "jiangsu", "2026-10-12T09:30:00",
            _product("折叠婴儿推车", "TC-9", "贝贝行", "苏州某童车有限公司", "JS", "AH", "GB 14748-2020《儿童推车安全要求》",
                     ["JS-2026-JC-0412"], "折叠锁定装置在颠簸路面可能意外解锁，推车折叠夹伤婴儿。"),
            ["spot_check"])
    at("2026-10-12T10:00:00")
    submit(n, "jiangsu")
    prepare(n, "jiangsu", "2026-10-13", ["limin", "sunli", "zhoujie"], "JS-2026-JC-0412")
    at("2026-10-14T09:00:00")
    uc.dispatch(svc, "jiangsu", n)
    analyses(n, [("limin", "2026-10-15T10:00:00"), ("sunli", "2026-10-15T14:00:00"),
                 ("zhoujie", "2026-10-15T16:00:00")])
    at("2026-10-16T09:00:00")
    uc.refer(svc, "jiangsu", n)
    at("2026-10-16T14:00:00")
    uc.schedule_meeting(svc, "jiangsu", n, datetime.fromisoformat("2026-10-21T14:00:00+08:00"), "腾讯会议",
                        "https://meeting.example.org/yrd-tc9", ["jiangsu", "anhui"], [])
    at("2026-10-21T14:00:00")
    uc.convene(svc, "jiangsu", n)
    opinions(n, [("limin", "2026-10-21T15:00:00", opinion("yes", 3, 5)),
                 ("sunli", "2026-10-21T15:10:00", opinion("yes", 3, 4)),
                 ("zhoujie", "2026-10-21T15:20:00", opinion("uncertain", 2, 3))])
    at("2026-10-21T16:00:00")
    uc.decide(svc, "jiangsu", n)
    at("2026-10-22T10:00:00")
    uc.issue_minutes(svc, "jiangsu", n)
    at("2026-10-23T10:00:00")
    uc.archive(svc, "jiangsu", n)

    # B — 卷发棒: withdrawn after submission.
    n = new("withdrawn", "zhejiang", "2026-11-02T10:00:00",
            _product("卷发棒", "JF-1", "美卷", "宁波某电器有限公司", "ZJ", "JS", "GB 4706.15-2008",
                     ["ZJ-2026-JC-1102"], "手柄隔热不足，使用中可能烫伤。"),
            ["market_purchase"])
    at("2026-11-02T10:30:00")
    submit(n, "zhejiang")
    at("2026-11-05T15:00:00")
    uc.withdraw(svc, "zhejiang", n, "经核实为个例使用不当，撤回申请。")

    # C — 电动儿童牙刷: continued attention; the tracking follow-up falls due today (2026-12-30).
    n = new("attention", "shanghai", "2026-11-09T09:30:00",
            _product("电动儿童牙刷", "YS-7", "小白牙", "上海某日用品有限公司", "SH", "ZJ", "GB 4706.9-2008",
                     ["SH-2026-JC-1109"], "刷头固定卡扣易脱落，存在误吞风险。"),
            ["injury_monitoring"])
    at("2026-11-09T10:00:00")
    submit(n, "shanghai")
    prepare(n, "shanghai", "2026-11-10", ["wangjg", "chensy", "zhaolei"], "SH-2026-JC-1109")
    at("2026-11-11T09:00:00")
    uc.dispatch(svc, "shanghai", n)
    analyses(n, [("wangjg", "2026-11-12T10:00:00"), ("chensy", "2026-11-12T11:00:00"),
                 ("zhaolei", "2026-11-12T15:00:00")])
    at("2026-11-13T09:00:00")
    uc.refer(svc, "shanghai", n)
    at("2026-11-13T10:00:00")
    uc.schedule_meeting(svc, "jiangsu", n, datetime.fromisoformat("2026-11-18T14:00:00+08:00"), "腾讯会议",
                        None, ["jiangsu", "shanghai"], [])
    at("2026-11-18T14:00:00")
    uc.convene(svc, "jiangsu", n)
    opinions(n, [("wangjg", "2026-11-18T15:00:00", opinion("uncertain", 2, 3, public=True)),
                 ("chensy", "2026-11-18T15:10:00", opinion("uncertain", 2, 2)),
                 ("zhaolei", "2026-11-18T15:20:00", opinion("no", 1, 2))])
    at("2026-11-18T16:00:00")
    uc.decide(svc, "jiangsu", n)
    at("2026-11-19T10:00:00")
    uc.issue_minutes(svc, "jiangsu", n)
    at("2026-12-02T10:00:00")
    uc.track(svc, "shanghai", n, "电商平台新增投诉2起，均为刷头脱落，未造成伤害；继续跟踪。")

    # D — 空气炸锅: decided (investigate); the lead has yet to issue the minutes.
    n = new("decided", "anhui", "2026-12-01T09:30:00",
            _product("空气炸锅", "KZ-5", "脆香", "合肥某电器有限公司", "AH", "ZJ", "GB 4706.14-2008",
                     ["AH-2026-JC-1201"], "温控失效时外壳温度过高，可能引发烫伤或起火。"),
            ["risk_monitoring", "injury_monitoring"])
    at("2026-12-01T10:00:00")
    submit(n, "anhui")
    prepare(n, "anhui", "2026-12-02", ["limin", "zhaolei", "wuhao"], "AH-2026-JC-1201")
    at("2026-12-03T09:00:00")
    uc.dispatch(svc, "anhui", n)
    analyses(n, [("limin", "2026-12-04T10:00:00"), ("zhaolei", "2026-12-04T11:00:00"),
                 ("wuhao", "2026-12-04T16:00:00")])
    at("2026-12-07T09:00:00")
    uc.refer(svc, "anhui", n)
    at("2026-12-07T10:00:00")
    uc.schedule_meeting(svc, "jiangsu", n, datetime.fromisoformat("2026-12-10T14:00:00+08:00"), "腾讯会议",
                        None, ["jiangsu", "anhui"], [])
    at("2026-12-10T14:00:00")
    uc.convene(svc, "jiangsu", n)
    # Art. 8(4)–(5): who attended for each institution, and what each expert said, in speaking order.
    at("2026-12-10T14:50:00")
    for code, staff in (("JS", ["周明"]), ("AH", ["孙丽", "钱伟"]), ("SH", ["王芳"])):
        uc.record_attendance(svc, "jiangsu", n, code, staff)
    uc.record_attendance(svc, "jiangsu", n, "ZJ", absent=True)
    for expert, said in (("limin", "温控器失效时外壳温度超过限值，存在烫伤和起火风险。"),
                         ("zhaolei", "同意，建议对同批次产品抽样检测温控回路。"),
                         ("wuhao", "伤害监测数据支持缺陷判断，建议开展调查。")):
        uc.record_statement(svc, "jiangsu", n, ex[expert], said)
    opinions(n, [("limin", "2026-12-10T15:00:00", opinion("yes", 4, 5, recall=True)),
                 ("zhaolei", "2026-12-10T15:10:00", opinion("yes", 4, 4)),
                 ("wuhao", "2026-12-10T15:20:00", opinion("yes", 3, 5))])
    at("2026-12-10T16:00:00")
    uc.decide(svc, "jiangsu", n)

    # F — 电动晾衣架: referred on 12-22; the lead has not convened: T2 ran out on 12-29 (overdue).
    n = new("convening_overdue", "shanghai", "2026-12-07T09:30:00",
            _product("电动晾衣架", "LY-3", "晾霸", "杭州某智能家居有限公司", "ZJ", "SH", "GB 4706.1-2005",
                     ["SH-2026-JC-1207"], "升降钢丝绳在满载时可能断裂，晾杆坠落砸伤。"),
            ["spot_check"])
    at("2026-12-07T10:00:00")
    submit(n, "shanghai")
    prepare(n, "shanghai", "2026-12-08", ["wangjg", "sunli", "wuhao"], "SH-2026-JC-1207")
    at("2026-12-14T09:00:00")
    uc.dispatch(svc, "shanghai", n)
    analyses(n, [("wangjg", "2026-12-15T10:00:00"), ("sunli", "2026-12-15T15:00:00"),
                 ("wuhao", "2026-12-16T10:00:00")])
    at("2026-12-22T09:00:00")
    uc.refer(svc, "shanghai", n)

    # E — 电热水壶: convened this morning; two of three forms are in (陈思远's is not).
    n = new("convened", "jiangsu", "2026-12-14T09:30:00",
            _product("电热水壶", "DR-15", "沸点", "南京某小家电有限公司", "JS", "AH", "GB 4706.19-2008",
                     ["JS-2026-JC-1214"], "防干烧装置失效，壶体过热可能起火。"),
            ["market_purchase"])
    at("2026-12-14T10:00:00")
    submit(n, "jiangsu")
    prepare(n, "jiangsu", "2026-12-15", ["wangjg", "limin", "chensy"], "JS-2026-JC-1214")
    at("2026-12-21T09:00:00")
    uc.dispatch(svc, "jiangsu", n)
    analyses(n, [("wangjg", "2026-12-22T10:00:00"), ("limin", "2026-12-22T11:00:00"),
                 ("chensy", "2026-12-22T15:00:00")])
    at("2026-12-23T09:00:00")
    uc.refer(svc, "jiangsu", n)
    at("2026-12-23T15:00:00")
    uc.schedule_meeting(svc, "jiangsu", n, datetime.fromisoformat("2026-12-30T09:00:00+08:00"), "腾讯会议",
                        "https://meeting.example.org/yrd-dr15", ["jiangsu", "shanghai", "zhejiang", "anhui"], [])
    at("2026-12-30T09:00:00")
    uc.convene(svc, "jiangsu", n)
    opinions(n, [("wangjg", "2026-12-30T09:40:00", opinion("yes", 3, 4)),
                 ("limin", "2026-12-30T09:50:00", opinion("yes", 3, 3))])

    # G — 儿童磁力积木: referred on 12-29: T2 runs across New Year into 2027 (provisional).
    n = new("convening_provisional", "zhejiang", "2026-12-15T09:30:00",
            _product("儿童磁力积木", "CL-64", "磁乐", "温州某玩具有限公司", "ZJ", "AH", "GB 6675.2-2014",
                     ["ZJ-2026-JC-1215"], "小磁铁易脱落，儿童误吞多颗可致肠穿孔。"),
            ["overseas_recall", "injury_monitoring"])
    at("2026-12-15T10:00:00")
    submit(n, "zhejiang")
    prepare(n, "zhejiang", "2026-12-16", ["chensy", "zhaolei", "zhoujie"], "ZJ-2026-JC-1215")
    at("2026-12-22T09:00:00")
    uc.dispatch(svc, "zhejiang", n)
    analyses(n, [("chensy", "2026-12-23T10:00:00"), ("zhaolei", "2026-12-24T10:00:00"),
                 ("zhoujie", "2026-12-28T10:00:00")])
    at("2026-12-29T09:00:00")
    uc.refer(svc, "zhejiang", n)
    at("2026-12-29T15:00:00")
    uc.schedule_meeting(svc, "jiangsu", n, datetime.fromisoformat("2027-01-05T14:00:00+08:00"), "腾讯会议",
                        "https://meeting.example.org/yrd-cl64", ["jiangsu", "zhejiang"], [])

    # H — 婴儿床护栏: T1 ran out on 12-29 with one analysis missing (overdue; refer with a reason).
    n = new("awaiting_overdue", "shanghai", "2026-12-16T09:30:00",
            _product("婴儿床护栏", "YC-01", "安眠", "上海某母婴用品有限公司", "SH", "JS", "GB 28007-2011",
                     ["SH-2026-JC-1216"], "护栏与床垫间隙过大，存在婴儿卡夹窒息风险。"),
            ["injury_monitoring"])
    at("2026-12-16T10:00:00")
    submit(n, "shanghai")
    prepare(n, "shanghai", "2026-12-17", ["limin", "sunli", "wuhao"], "SH-2026-JC-1216")
    at("2026-12-24T09:00:00")
    uc.dispatch(svc, "shanghai", n)
    analyses(n, [("limin", "2026-12-25T10:00:00"), ("sunli", "2026-12-28T10:00:00")])

    # I — 充电宝: T1 ends tomorrow, 12-31 (due within one working day).
    n = new("awaiting_due_soon", "anhui", "2026-12-21T09:30:00",
            _product("移动电源（充电宝）", "PB-20000", "电力猫", "深圳某电子有限公司驻皖工厂", "AH", "JS",
                     "GB 31241-2022", ["AH-2026-JC-1221"], "电芯保护板缺陷，过充时可能鼓包起火。"),
            ["samr_referral"], {"samr_assignment": "市场监管总局质量发展局转办单〔2026〕118号"})
    at("2026-12-21T10:00:00")
    submit(n, "anhui")
    prepare(n, "anhui", "2026-12-22", ["wangjg", "zhaolei", "zhoujie"], "AH-2026-JC-1221")
    at("2026-12-28T09:00:00")
    uc.dispatch(svc, "anhui", n)
    analyses(n, [("zhaolei", "2026-12-29T10:00:00")])

    # J — 家用燃气灶: dispatched 12-29: T1 runs to 2027-01-04 across New Year (provisional).
    n = new("awaiting_provisional", "zhejiang", "2026-12-22T09:30:00",
            _product("家用燃气灶", "JZT-2", "旺火", "嘉兴某厨具有限公司", "ZJ", "ZJ", "GB 16410-2020",
                     ["ZJ-2026-JC-1222"], "熄火保护装置响应时间超标，存在燃气泄漏风险。"),
            ["spot_check", "risk_monitoring"], {"joint_decision": "四地机构认为同类产品风险突出，需共同研判。"})
    at("2026-12-22T10:00:00")
    uc.concur(svc, "anhui", n, "安徽同意共同开展会诊（第四条第三项）。")  # a joint decision is joint
    submit(n, "zhejiang")
    prepare(n, "zhejiang", "2026-12-23", ["chensy", "zhoujie", "wuhao"], "ZJ-2026-JC-1222")
    at("2026-12-29T09:00:00")
    uc.dispatch(svc, "zhejiang", n)
    analyses(n, [("zhoujie", "2026-12-29T15:00:00")])

    # K — 电动自行车充电器: verified, panel formed, materials attached: ready to dispatch.
    n = new("ready_to_dispatch", "shanghai", "2026-12-23T09:30:00",
            _product("电动自行车充电器", "CD-48V", "驰电", "常州某电源有限公司", "JS", "SH", "GB 42295-2022",
                     ["SH-2026-JC-1223"], "输出过压保护缺失，可能导致电池热失控。"),
            ["injury_monitoring"])
    at("2026-12-23T10:00:00")
    submit(n, "shanghai")
    # --- i12-panel --- Art. 8(1): SH and JS nominate from their own pools; two experts have answered, one not yet.
    at("2026-12-24T09:30:00")
    nominations.nominate(svc, "shanghai", n, [ex["wangjg"], ex["sunli"]], "机械与材料方向")
    at("2026-12-24T10:00:00")
    nominations.nominate(svc, "jiangsu", n, [ex["limin"]], "电气安全方向")
    prepare(n, "shanghai", "2026-12-29", ["wangjg", "limin", "sunli"], "SH-2026-JC-1223")
    at("2026-12-29T11:30:00")
    nominations.respond(svc, "wangjg", n, ex["wangjg"], "accept")
    at("2026-12-29T11:40:00")
    nominations.respond(svc, "limin", n, ex["limin"], "accept")

    # L — 儿童安全座椅: just submitted.
    n = new("submitted", "anhui", "2026-12-28T09:30:00",
            _product("儿童安全座椅", "BB-360", "护航", "芜湖某汽车用品有限公司", "AH", "ZJ", "GB 27887-2011",
                     ["AH-2026-JC-1228"], "ISOFIX连接件强度不足，碰撞时可能断裂。"),
            ["overseas_recall"])
    at("2026-12-28T10:00:00")
    submit(n, "anhui")

    # M, N — drafts: one incomplete, one ready to submit.
    new("draft_incomplete", "zhejiang", "2026-12-29T09:30:00",
        _product("电热暖手宝", "NS-08", "暖心", "义乌某日用品有限公司", "ZJ", "", "", [], "充电时外壳可能破裂漏液。"),
        ["market_purchase"])
    n = new("draft", "shanghai", "2026-12-30T09:00:00",
            _product("儿童电动滑板车", "KS-200", "酷速", "某某智能科技有限公司", "SH", "ZJ",
                     "GB/T 40019-2021《个人电动代步工具及其组件的安全要求》", ["SH-2026-JC-0815"],
                     "折叠机构锁止销在行驶中可能脱出，车把突然折叠导致儿童摔倒。"),
            ["spot_check", "injury_monitoring"])
    verify(n, "shanghai")
    return Seeded(cases, logins)


def lead_note(hz: App) -> str:
    lead = uc.lead_for(hz.services, datetime.fromisoformat(DEMO_NOW))
    return f"{lead} {hz.services.policy.members.get(lead, '')}"


def users_of(hz: App) -> list[User]:
    with hz.services.uow(readonly=True) as uow:
        return uow.users.all()


def demo_banner(anchor: str = DEMO_NOW) -> str:
    start = datetime.fromisoformat(anchor)
    return (f"演示环境：时钟自 {start:%Y-%m-%d %H:%M}（北京时间）起运行；2027 年尚无官方放假安排，跨年期限为预估。"
            f"所有演示账号的密码：{DEMO_PASSWORD}")

