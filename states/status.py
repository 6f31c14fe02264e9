"""Case statuses, outcomes and the regulation's own vocabulary in Chinese (the severity and likelihood scales,
the material kinds...). huizhen/labels.py serves these tables to people from here: one source, not a copy."""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    drafted = "drafted"
    preliminary_review = "preliminary_review"
    awaiting_experts = "awaiting_experts"
    convening = "convening"
    convened = "convened"
    decided = "decided"
    continued_attention = "continued_attention"
    archived = "archived"
    withdrawn = "withdrawn"


class Outcome(StrEnum):
    investigate = "investigate"
    no_investigation = "no_investigation"
    continued_attention = "continued_attention"


class Defect(StrEnum):
    yes = "yes"
    no = "no"
    uncertain = "uncertain"


STATUS_LABELS: dict[str, str] = {
    "drafted": "草稿",
    "preliminary_review": "初步核实",
    "awaiting_experts": "专家初步分析",
    "convening": "待会诊",
    "convened": "会诊中",
    "decided": "已形成意见",
    "continued_attention": "持续关注",
    "archived": "已归档",
    "withdrawn": "已撤回",
}

OUTCOME_LABELS: dict[str, str] = {
    "investigate": "建议开展缺陷调查",
    "no_investigation": "不建议开展缺陷调查",
    "continued_attention": "持续关注",
}

DEFECT_LABELS: dict[str, str] = {"yes": "是", "no": "否", "uncertain": "不确定"}

SOURCE_LABELS: dict[str, str] = {
    "samr_referral": "总局转办",
    "spot_check": "监督抽查",
    "market_purchase": "市场购检",
    "overseas_recall": "境外召回",
    "risk_monitoring": "风险监测",
    "injury_monitoring": "伤害监测",
    "other": "其他",
}

MATERIAL_KINDS: dict[str, str] = {
    "test_report": "检测报告",
    "analysis_report": "缺陷技术分析报告",
    "injury_report": "伤害调查报告",
    "research_report": "研究报告",
    "other": "其他资料",
}

SEVERITY_LABELS: dict[int, str] = {1: "微弱", 2: "一般", 3: "严重", 4: "非常严重"}

LIKELIHOOD_LABELS: dict[int, str] = {
    8: "伤害事件发生的可能性极大，在任何情况下都会重复出现",
    7: "经常发生伤害事件",
    6: "有一定的伤害事件发生的可能性，不属于小概率事件",
    5: "有一定的伤害事件发生的可能性，属于小概率事件",
    4: "会发生少数伤害事件，但可能性较小",
    3: "会发生少数伤害事件，但可能性极小",
    2: "不会发生，但在极少数特定情况下可能发生",
    1: "在任何情况下都不会发生伤害事件",
}

DEADLINE_LABELS: dict[str, str] = {
    "expert_analysis": "专家初步分析（T1）",
    "convening": "组织会诊（T2）",
    "tracking": "持续关注跟踪",
}

FEE_LABELS: dict[str, str] = {"paid": "已支付", "unpaid": "未支付"}

REPORT_OUTCOME_LABELS: dict[str, str] = {
    "investigate": "建议开展缺陷调查",
    "no_investigation": "不建议开展缺陷调查",
    "continued_attention": "持续关注",
    "withdrawn": "已撤回",
}
