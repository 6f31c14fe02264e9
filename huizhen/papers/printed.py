"""The text printed on the 附件《长三角缺陷消费品专家会诊表》, word for word, in one place.

The labels shared with the rest of huizhen (信息来源, 严重程度, 可能性, materials) come from `states.status`; the
rule conditions under 开展调查原则 / 开展持续关注原则 are generated from the thresholds in `states.rules`, so the
paper always prints the rule the code applies.
"""

from __future__ import annotations

from huizhen.labels import LIKELIHOOD_LABELS, MATERIAL_KINDS, SEVERITY_LABELS, SOURCE_LABELS
from states.rules import ATTENTION_UP_TO, INVESTIGATE_FROM, LIKELIHOODS

FORM_TITLE = "长三角缺陷消费品专家会诊表"
INSTITUTION = "召回技术机构："
DATE = "时间："
BLANK_DATE = "　　　　年　　月　　日"

PRODUCT_SECTION = "产品及生产信息"
SOURCES = "信息来源"
# The printed form sets the seven boxes on three lines: 3, 3, then 其他 with its blank.
SOURCE_LINES: tuple[tuple[str, ...], ...] = (
    ("samr_referral", "spot_check", "market_purchase"),
    ("overseas_recall", "risk_monitoring", "injury_monitoring"),
)
assert {k for line in SOURCE_LINES for k in line} | {"other"} == set(SOURCE_LABELS)
REPORT_NUMBERS = "、".join(MATERIAL_KINDS[k] for k in ("test_report", "analysis_report", "injury_report",
                                                        "research_report")) + "编号"
PRODUCT_NAME = "产品名称"
MODEL = "规格/型号"
BRAND = "品牌/商标"
PRODUCER = "生产者"
REGISTERED = "生产者注册地"  # not on the printed form: Art. 4(1) needs it, so the paper shows it
PRODUCTION = "实际生产地"
TEST_BASIS = "检测依据"
SUSPECTED_DEFECT = "疑似缺陷描述"

EXPERT_SECTION = "专家信息"
EXPERT_COLUMNS = ("序号", "姓名", "专业领域", "工作单位", "职务/职称")

CONSULTATION_SECTION = "缺陷消费品会诊信息"
SAFETY = "安全性"
STANDARD = "标准符合性问题"
STANDARD_Q = "不符合国家标准、行业标准中保障人身、财产安全要求的情形："
NONSTANDARD = "非标准符合性问题"
NONSTANDARD_1 = "1．符合国家标准、行业标准中保障人身、财产安全要求，但仍然具有危及人身、财产安全的不合理危险："
NONSTANDARD_2 = ("2．由于没有标准或标准规定缺失或标准规定不明确等原因，不能判断是否符合标准，"
                 "但具有危及人身、财产安全的不合理危险的情形：")
DETAIL = "具体描述："

INJURY = "发生伤害类型"
INJURY_TYPES: dict[str, str] = {
    "physical": "1．物理性质伤害（如：钝器伤害、锐器伤害、外力窒息或体内异物伤害、高温/低温物质伤害、电击伤害、"
                "辐射伤害、噪声/振动伤害、爆炸物伤害、其他危害）",
    "chemical": "2．化学性质伤害（如：化学性刺激、过敏反应、昏迷和麻醉、全身中毒、致癌、致畸、遗传基因突变、其他）",
    "biological": "3．生物性质伤害（如：生物性感染、生物性中毒、其他）",
}

SEVERITY = "伤害的严重程度"
SEVERITY_NOTES: dict[int, str] = {
    1: "可在家里自行对伤害进行处理，不需就医治疗，但对人体造成某种程度的不舒适感，并未造成明显财产损失。"
       "该类伤害对人体健康和财产的影响较轻",
    2: "在门诊对伤害进行处理即可，或引发较小财产损失。该类伤害对人体或家庭后续财产开支造成的影响一般",
    3: "会导致不可逆转的人体伤害（如疤痕等）或造成较大财产损失，这种伤害应在急诊室治疗或住院治疗，"
       "或引发的财产损失对家庭生活造成一定较大影响",
    4: "导致灾难性的伤害。该类伤害可导致死亡、身体残疾，或引发重大财产损失等",
}
assert set(SEVERITY_NOTES) == set(SEVERITY_LABELS)
LIKELIHOOD = "伤害发生的可能性"
LIKELIHOOD_ORDER = tuple(sorted(LIKELIHOOD_LABELS, reverse=True))  # printed 8 down to 1

PRODUCER_CAUSE = "生产者原因"
CAUSES: dict[str, str] = {
    "design": "1．设计原因：由于技术局限性、原理设计错误、工艺设计不当等因素，在产品最初安全设计时未考虑全面，"
              "在投放市场后暴露出来的安全问题：",
    "manufacturing": "2．制造原因：由于“人员（操作者对质量的认识、技术熟练程度、身体状况等）、机器（机器设备、"
                     "测量仪器的精度和维护保养状况等）、材料（材料的成分、物理性能和化学性能等）、方法（生产工艺、"
                     "设备选择、操作规程等）、测量（主要指测量时采取的方法是否标准、正确）、环境（工作地的温度、湿度、"
                     "照明和清洁条件等）”等原因产生于生产过程的某一环节而导致的安全问题：",
    "warning": "3．警示原因：由于未能提供完整且符合安全使用要求的，用以告知产品风险的操作使用说明或警示说明等导致的安全问题：",
}

UNIVERSALITY = "普遍性"
UNIVERSALITY_Q = "存在于同一批次、类别或型号，是指生产者生产的同一批次、型号或类别的所有消费品存在同一性问题的状态："

OPINION = "专家意见"
DEFECT_RULE = "缺陷消费品判定规则"
DEFECT_RULE_TEXT = ("当“安全性”选项中“标准符合性问题”或“非标准符合性问题”勾选任意一个“是”且“生产者原因”选项勾选任意一个"
                    "“是”且“普遍性”选项勾选“是”，则判定为缺陷消费品。")
DEFECT_Q = "该批次产品是否认定为缺陷消费品："

INVESTIGATE_RULE = "开展调查原则"
INVESTIGATE_INTRO = "当满足以下任意一个条件时，建议开展调查："
SIMILAR_RECALL = "5．国内外有同款产品类似问题进行召回的，具体描述："
INVESTIGATE_Q = "该批次产品是否建议开展调查："

ATTENTION_RULE = "开展持续关注原则"
ATTENTION_INTRO = "1．当满足以下任意一个条件时，则建议持续关注，继续信息跟踪："
ATTENTION_UNCERTAIN = "2．当不确定该批次产品是否为缺陷消费品，又可能引发较大舆情关注时，则建议持续关注，继续信息跟踪："
REASON = "原由："
ATTENTION_Q = "该批次产品是否建议持续关注："

SIGNATURE = "专家签名："
SIGNATURE_DATE = "日期："
E_SIGNATURE = "（电子签名）"


def _likelihoods(cells: list[int]) -> str:
    return "或".join(f"{n}级" for n in cells)


def investigate_conditions() -> list[str]:
    """开展调查原则 1–4, from `INVESTIGATE_FROM` (e.g. 1．“伤害的严重程度”勾选1级，“伤害发生的可能性”勾选8级或7级或6级；)."""
    out = []
    for severity, low in sorted(INVESTIGATE_FROM.items()):
        cells = [n for n in sorted(LIKELIHOODS, reverse=True) if n >= low]
        out.append(f"{severity}．“伤害的严重程度”勾选{severity}级，“伤害发生的可能性”勾选{_likelihoods(cells)}；")
    return out


def attention_conditions() -> list[str]:
    """开展持续关注原则 1(1)–(4), from `ATTENTION_UP_TO`; the last one ends the list with 。."""
    items = sorted(ATTENTION_UP_TO.items())
    out = []
    for i, (severity, high) in enumerate(items):
        cells = [n for n in sorted(LIKELIHOODS, reverse=True) if n <= high]
        end = "。" if i == len(items) - 1 else "；"
        out.append(f"（{severity}）“伤害的严重程度”勾选{severity}级，“伤害发生的可能性”勾选{_likelihoods(cells)}{end}")
    return out


# 会议纪要 (GB/T 9704 style). Headings number the parts as official documents do: 一、二、…
MINUTES_MARK = "会议纪要"
MINUTES_PARTS = ("会议基本情况", "参会单位及人员", "参会专家", "专家发言", "讨论情况", "表决情况", "会诊意见",
                 "后续工作")
# GB/T 9704 纪要: who attended (the panel), who sent apologies (absent experts, institutions that sent no one), who
# sat in (the institutions' staff, Art. 8(4)).
ATTENDED, EXCUSED, SAT_IN = "出席：", "请假：", "列席："
NOT_RECORDED = "（未记录）"
SENT_NO_ONE = "（未派员参会）"
UNRECORDED = "（未登记出席情况）"
# Art. 9: who keeps the papers.
CUSTODIANS = "存档：会诊表由{forms}保存；会议纪要由{minutes}保存。"
ISSUE_NO = "第{n}号"
CORRECTS = "（更正第{n}号）"
CORRECTION_NOTE = "本纪要为第{n}号，更正第{old}号。更正理由：{reason}"
CHINESE_ORDINALS = "一二三四五六七八九十"
CC = "抄送："
PRINTED_BY = "印发"
DRAFT = "草稿"
