"""Every word a person reads in the web, the papers and the mail that is not data (ARCHITECTURE decision 11).

Laid out for more than one language: `LABELS[locale][kind][code]` holds the words, `ERRORS[locale][key]` the
error sentences keyed by `DomainError.key` (with `{params}`). The locale is chosen in one place (`LOCALE`); a second
language is a second entry in both dictionaries. Code reads words through `label(kind, code)`, `table(kind)` and
`t(key, **params)`; the module-level `*_LABELS` names are the zh-CN tables the templates use.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

import states.status as _domain
from states.beijing import beijing_text as _beijing_text
from states.beijing import deadline_text as _deadline_text

LOCALE = "zh-CN"  # the one place the language is chosen

LABELS: dict[str, dict[str, dict[Any, str]]] = {
    "zh-CN": {
        "status": dict(_domain.STATUS_LABELS),
        "outcome": dict(_domain.OUTCOME_LABELS),
        "report_outcome": dict(_domain.REPORT_OUTCOME_LABELS),
        "defect": dict(_domain.DEFECT_LABELS),
        "source": dict(_domain.SOURCE_LABELS),
        "material": dict(_domain.MATERIAL_KINDS),
        "severity": dict(_domain.SEVERITY_LABELS),
        "likelihood": dict(_domain.LIKELIHOOD_LABELS),
        "deadline": dict(_domain.DEADLINE_LABELS),
        "fee": dict(_domain.FEE_LABELS),
        # The confirmation step before an action that cannot be undone (the case page).
        "irreversible": {
            "dispatch": "分送后专家初步分析（T1）开始计时，材料不能收回。",
            "refer": "移交后组织会诊（T2）开始计时。",
            "convene": "召开后专家开始填写会诊表，不能回到待会诊。",
            "decide": "会诊意见按已收回的会诊表少数服从多数形成，形成后不可更改。",
            "issue_minutes": "会议纪要印发后即分送各机构，不可收回。",
            "archive": "归档后案件只读，不可恢复办理。",
            "conclude": "结束持续关注后案件归档。",
            "withdraw": "撤回后申请终止，不可恢复。",
        },
        # The API page (/help/api): each operation in words, keyed "METHOD /path" under /api/v1.
        "api": {
            "POST /cases/{number}/submit": "提交会诊申请（第六、七条）",
            "POST /cases/{number}/dispatch": "向专家组分送材料，开始 T1 计时（第八条第二项）",
            "POST /cases/{number}/refer": "移交牵头机构，开始 T2 计时（第八条第三项）；T1 届满仍缺初步分析时须填写理由",
            "POST /cases/{number}/meeting/cancel": "取消已安排的会议（通知所有受邀人员）",
            "POST /cases/{number}/convene": "召开线上会诊（第八条第四项）",
            "POST /cases/{number}/decide": "按会诊表少数服从多数形成会诊意见（第八条第六项）",
            "POST /cases/{number}/minutes": "印发会议纪要并抄送其他机构（第八条第七项）",
            "POST /cases/{number}/archive": "归档已印发纪要的案件（第九条）",
            "POST /cases/{number}/conclude": "结束持续关注（须填写理由）并归档",
            "POST /cases/{number}/withdraw": "撤回申请（须填写理由）",
            "GET /me": "当前登录用户",
            "GET /cases": "您可查看的案件",
            "POST /cases": "创建会诊申请草稿",
            "GET /dashboard": "工作台：各案件剩余工作日与督办颜色",
            "GET /events/latest": "事件日志的最新编号（轮询以发现变化）",
            "GET /cases/{number}": "查看一件案件",
            "PUT /cases/{number}": "替换草稿的产品及生产信息",
            "GET /cases/{number}/actions": "您现在可对案件执行的操作（及尚不满足的条件）",
            "GET /cases/{number}/panel": "专家组及每位专家的进度",
            "POST /cases/{number}/panel": "组建专家组（第八条第一项）：奇数且不少于3人，偶数须说明理由",
            "GET /cases/{number}/history": "案件事件，按时间先后",
            "POST /cases/{number}/reopen": "结束持续关注并重新会诊（新建关联草稿，须填写理由）",
            "POST /cases/{number}/verify": "记录初步核实判断（第七条）",
            "POST /cases/{number}/materials": "上传材料（按 SHA-256 保存）",
            "GET /cases/{number}/materials/{sha256}": "下载材料",
            "POST /cases/{number}/analyses": "提交本人的初步分析（第八条第二项）",
            "POST /cases/{number}/meeting": "安排或变更线上会议（第八条第四项），发送日历邀请",
            "POST /cases/{number}/opinions": "签署本人的会诊表（第八条第六项），返回推导出的结论",
            "POST /cases/{number}/absences": "记录专家缺席会议",
            "POST /cases/{number}/tracking": "记录持续关注的跟踪情况（重新计时）",
            "GET /rotation/lead": "某日的牵头机构（第三条）",
            "GET /calendar/due": "自起算日起第 N 个工作日（起算日不计）",
            "GET /calendar/workday": "某日是否为工作日及原因",
            "POST /calendar/years": "载入某年的官方放假安排（管理员）；未到期的期限随之调整",
            "GET /calendar/status": "各年度放假安排为官方或预估",
            "GET /cases/{number}/papers/form": "会诊表（某位专家已签署的，或空白表）",
            "GET /cases/{number}/papers/minutes": "会议纪要（印发前为草稿）",
            "GET /audit/verify": "重新计算全部哈希并回放全部案件",
            "GET /cases/{number}/replay": "案件在某一时刻的状态",
            "GET /cases/{number}/export": "带哈希的事件日志",
            "GET /cases/{number}/dossier": "归档案卷（ZIP）",
            "POST /form/preview": "按部分答案预览会诊表的结论",
            "POST /form/check": "检查完整会诊表并给出结论",
            "GET /diagram": "案件状态图（文本描述与 SVG 图）",
            "GET /experts": "专家库（联络员、管理员、审计）",
            "POST /experts": "向某省专家库添加专家",
            "GET /users": "用户（管理员、审计）",
            "POST /users": "添加用户（管理员）",
            "POST /users/{name}/password": "设置登录密码（管理员可为任何人设置；本人可为自己设置）",
            "POST /users/{name}/tokens": "签发 API 令牌（只显示一次）",
            "GET /users/{name}/tokens": "某用户的 API 令牌记录（不含令牌本身）",
            "GET /inbox": "您的站内信（提醒）",
            "POST /inbox/read": "将站内信标为已读",
            "GET /reminders": "提醒记录（本人的；管理员与审计可见全部）",
            "GET /cases/{number}/fees": "案件的专家费用",
            "POST /cases/{number}/fees": "登记专家费用（申请机构联络员）",
            "PUT /cases/{number}/fees/{expert}": "更正已登记的费用（须填写理由）",
            "GET /fees/statement": "某机构某年度的费用清单（JSON、CSV 或 XLSX）",
            "GET /reports/year/{year}": "年度统计数据",
            "GET /retention": "已办结案件及保存期限，或已销毁案件的销毁记录",
            "POST /cases/{number}/retention/appraise": "记录销毁鉴定（管理员）",
            "POST /cases/{number}/retention/hold": "法律保全：案件不予销毁（管理员）",
            "POST /cases/{number}/retention/release": "解除法律保全（管理员）",
            "POST /retention/purge": "销毁已鉴定、已期满且无保全的已办结案件，保留销毁记录（管理员）",
            "GET /retention/destruction-lists/{batch}": "销毁清单",
            "DELETE /users/{name}/tokens/{token_id}": "立即吊销 API 令牌（管理员；本人）",
            # --- i15-rest ---
            "POST /audit/checkpoints": "签发检查点：签名记录每个案件的链头、销毁记录链头与编号计数器（审计、管理员）",
            "GET /audit/checkpoints": "已保存的检查点列表（联络员、审计、管理员）",
            "GET /audit/checkpoints/{name}": "下载已保存的检查点（联络员、审计、管理员）",
            "GET /audit/public-key": "核验检查点签名所用的公钥（PEM，可离线核验）",
            "POST /audit/verify": "核对检查点：数据库是否仍延续该检查点，逐条列出被删除、回滚或改写的案件（审计、管理员）",
        },
        # A deadline's own state (replay panels, the case page): never the code itself.
        "deadline_status": {
            "armed": "计时中", "met": "按期完成", "missed": "逾期完成", "cancelled": "已取消",
            "superseded": "已重新计算", "pending": "计时中", "open": "计时中",
        },
        "urgency": {"on_track": "正常", "due_soon": "1个工作日内到期", "overdue": "已超期"},
        "role": {"liaison": "联络员", "expert": "专家", "auditor": "审计", "admin": "管理员"},
        # What happened, in the case's timeline (one entry per stored event type).
        "event": {
            "CaseOpened": "创建草稿", "CaseEdited": "修改草稿", "CaseSubmitted": "提交申请",
            "VerificationRecorded": "记录初步核实", "ConcurrenceRecorded": "同意共同开展会诊", "PanelFormed": "组建专家组", "MaterialAttached": "上传材料",
            "MaterialsDispatched": "分送材料", "AnalysisRecorded": "专家初步分析", "CaseReferred": "移交牵头机构",
            "MeetingScheduled": "安排线上会议", "MeetingCancelled": "取消会议", "CaseConvened": "召开会诊",
            "OpinionRecorded": "专家签署会诊表", "AbsenceRecorded": "记录专家缺席", "CaseDecided": "形成会诊意见",
            "MinutesIssued": "印发会议纪要", "TrackingNoted": "持续关注跟踪记录", "CaseArchived": "归档",
            "CaseConcluded": "结束持续关注并归档", "CaseReopened": "重新会诊（新案件）并归档", "CaseWithdrawn": "撤回",
            "DeadlinesRecomputed": "期限重新计算", "DeliveryRecorded": "送达记录",
            "FeeRecorded": "登记专家费用", "FeeCorrected": "更正专家费用", "DisposalAppraised": "销毁鉴定",
            "LegalHoldPlaced": "法律保全", "LegalHoldReleased": "解除法律保全",
        },
        # The buttons of the case page (one per command a person starts).
        "action": {
            "edit": "修改草稿", "submit": "提交申请", "verify": "记录初步核实", "concur": "同意共同开展会诊",
            "form_panel": "组建专家组",
            "attach": "上传材料", "dispatch": "分送材料（开始T1计时）", "record_analysis": "填写初步分析",
            "refer": "移交牵头机构（开始T2计时）", "schedule": "安排线上会议", "cancel_meeting": "取消会议",
            "convene": "召开会诊", "record_opinion": "填写会诊表", "record_absence": "记录专家缺席",
            "decide": "形成会诊意见（少数服从多数）", "issue_minutes": "印发会议纪要", "track": "记录跟踪情况",
            "archive": "归档", "conclude": "结束持续关注", "reopen": "重新会诊", "withdraw": "撤回申请",
            "record_fee": "登记专家费用", "correct_fee": "更正专家费用",
        },
        # What the page says after a command went through.
        "done": {
            "new": "草稿已创建", "edit": "草稿已保存", "submit": "申请已提交", "verify": "初步核实已记录",
            "concur": "本机构共同开展的意见已记录",
            "form_panel": "专家组已组建", "attach": "材料已上传", "dispatch": "材料已分送专家，T1 开始计时",
            "record_analysis": "初步分析已提交", "refer": "已移交牵头机构，T2 开始计时",
            "schedule": "会议已安排，邀请已发出", "cancel_meeting": "会议已取消", "convene": "会诊已召开",
            "record_opinion": "会诊表已签署提交", "record_absence": "缺席已记录", "decide": "会诊意见已形成",
            "issue_minutes": "会议纪要已印发并抄送", "track": "跟踪记录已保存", "archive": "案件已归档",
            "conclude": "持续关注已结束，案件已归档", "reopen": "已重新会诊：新案件已创建", "withdraw": "申请已撤回",
            "record_fee": "专家费用已登记", "correct_fee": "专家费用已更正",
        },
        # The arrows of the state diagram.
        "trigger": {
            "submit": "提交", "dispatch": "分送材料", "refer": "移交", "convene": "召开", "decide": "形成意见",
            "archive": "归档", "conclude": "结束关注", "reopen": "重新会诊", "withdraw": "撤回",
        },
        # The inputs a person fills in, by their neutral path (DomainError.field).
        "field": {
            # as the case form labels them (case_form.html.j2)
            "product": "产品及生产信息", "product.name": "产品名称", "product.model": "规格/型号",
            "product.brand": "品牌/商标", "product.producer": "生产者", "product.registered_province": "生产者注册地",
            "product.production_province": "实际生产地", "product.test_basis": "检测依据",
            "product.report_numbers": "报告编号", "product.suspected_defect": "疑似缺陷描述",
            "sources": "信息来源", "source_other": "其他（说明）", "basis": "会诊依据",
            "basis.samr_assignment": "总局工作安排（文号）", "basis.joint_decision": "机构共同认为需要会诊（理由）",
            "reason": "理由", "note": "核实意见/说明", "text": "分析内容", "experts": "专家", "panel": "专家组",
            "expert": "专家", "amount": "金额", "paid_on": "支付日期", "name": "名称", "role": "角色",
            "institution": "机构", "email": "电子邮箱", "file": "文件", "kind": "材料类型", "at": "会议时间",
            "platform": "会议平台", "link": "会议链接", "attendees": "参会人员", "order": "发言顺序",
            "password": "密码", "label": "用途", "year": "年份", "province": "省份", "field": "专业领域",
            "employer": "工作单位", "title": "职务/职称", "status": "状态", "state": "状态", "date": "日期",
            "start": "起始日期", "content": "内容", "confirm": "确认", "approver": "审批人", "opinion": "会诊表",
            "forms": "会诊表", "token": "API 令牌", "case": "案件", "current": "当前状态", "deadline": "期限",
            "body": "请求内容", "answers": "会诊信息", "batch": "销毁批次",
        },
        # What is wrong with a request body, by the validator's error type (the API's 400s).
        "validation": {
            "missing": "缺少此项", "extra_forbidden": "不是可接受的项目", "string_type": "必须是文字",
            "int_type": "必须是整数", "int_parsing": "必须是整数", "bool_type": "必须是“是”或“否”",
            "list_type": "必须是列表", "dict_type": "格式有误", "model_type": "格式有误",
            "literal_error": "取值无效", "json_invalid": "不是有效的 JSON", "greater_than_equal": "数值过小",
            "less_than_equal": "数值过大", "string_too_long": "内容过长",
        },
        # The headline of a refusal, by the error's kind.
        "error_title": {
            "invalid_input": "输入有误",
            "calendar_data": "日历数据有误",
            "paper_error": "文书参数有误",
            "not_permitted": "无权执行此操作",
            "not_found": "未找到",
            "invalid_transition": "案件当前状态下不能执行此操作",
            "guard_failed": "尚不满足规范要求",
            "conflict": "操作冲突：他人已先行操作，请刷新后重试",
            "storage_unavailable": "数据库暂不可用",
            "not_initialised": "数据库尚未初始化",
            "config_error": "配置有误",
            "domain_error": "操作未完成",
        },
        "http_title": {
            400: "请求有误 / Bad request",
            401: "请先登录 / Sign in first",
            403: "无权访问 / Forbidden",
            404: "页面不存在 / Not found",
            405: "不支持的请求方法 / Method not allowed",
            409: "冲突 / Conflict",
            413: "上传内容过大 / Too large",
            415: "不支持的文件类型 / Unsupported type",
            429: "请求过于频繁 / Too many requests",
        },
    },
}

# The sentences of refusals, by DomainError.key; `{name}` placeholders are the error's params. The headline
# (error_title) and the field's label are added by the renderer, so a sentence says only what is wrong.
ERRORS: dict[str, dict[str, str]] = {
    "zh-CN": {
        # who is acting, and may they
        "actor_missing": "未指明操作人：请先登录",
        "user_unknown": "用户 {name} 不存在（用户由管理员添加）",
        "user_missing": "用户 {name} 不存在",
        "user_exists": "用户 {name} 已存在",
        "name_reserved": "“{name}”是系统保留的名称，不能用作用户名",
        "name_invalid": "用户名须为 1–64 个字母、数字、汉字或 . - _ @",
        "role_unknown": "角色“{role}”无效，应为以下之一：{allowed}",
        "role_required": "此操作需要以下角色之一：{roles}",
        "case_hidden": "您无权查看案件 {number}",
        "command_not_permitted": "您不能对案件 {number} 执行此操作：只有{allowed}可以",
        "not_own_record": "只能提交本人的记录（案件 {number}）",
        "self_or_admin": "只能为本人办理此事；管理员可为任何人办理",
        "open_case_liaison_only": "只有召回技术机构的联络员可以发起会诊申请",
        "expert_pool_own_only": "只能向本机构（{institution}）的专家库添加专家，不能添加到 {province}",
        "statement_own_only": "只能查看本机构（{institution}）的费用清单",
        "liaison_needs_institution": "联络员须属于一个成员机构",
        "expert_user_needs_expert": "专家用户须关联专家编号（先在专家库中添加专家）",
        "expert_only_for_experts": "只有专家用户才关联专家编号",
        "institution_unknown": "“{institution}”不是成员机构（{members}）",
        "email_invalid": "“{email}”不是有效的电子邮箱地址",
        "password_too_short": "密码至少 {limit} 个字符",
        "password_too_long": "密码最多 {limit} 个字符",
        "password_blank": "密码不能含控制字符，也不能全为空格",
        "password_is_name": "密码不能与用户名相同",
        "token_missing": "{name} 没有编号为 {token} 的 API 令牌",
        "token_revoked": "{name} 的 API 令牌 {token} 已被吊销",
        # what does not exist
        "case_missing": "案件 {number} 不存在",
        "case_row_missing": "案件 {number} 的记录不完整（有期限而无案件）",
        "case_not_yet": "案件 {number} 在该时刻尚未创建",
        "material_missing": "案件 {number} 中没有该材料",
        "batch_missing": "销毁清单 {batch} 不存在",
        "destruction_list_not_found": "销毁清单 {batch} 不存在",
        "chart_not_found": "图表 {chart} 不存在",
        "expert_unknown": "专家 {expert} 不存在",
        "expert_inactive": "专家 {expert} 已不在专家库中",
        "attendee_unknown": "用户 {name} 不存在",
        "attendee_not_liaison": "{name} 不是成员机构的工作人员（联络员）",
        # the case's state and the regulation's rules
        "not_in_this_state": "案件 {number} 当前为“{status}”状态，不能执行此操作",
        "not_possible_now": "案件 {number} 当前不能执行此操作",
        "wrong_state": "案件 {number} 当前为“{status}”状态，不能执行此操作",
        "already_done": "案件 {number} 已由 {by} 于 {at} 办理此操作，请刷新后查看",
        "product_incomplete": "案件 {number} 的产品及生产信息不完整，尚缺：{missing}",
        "basis_missing": "案件 {number} 缺少会诊依据（第四条）：生产者注册地与生产地不跨省，也无总局交办或联席会议决定",
        "verification_missing": "案件 {number} 尚未记录初步核实判断，请先记录",
        "concurrence_missing": "案件 {number} 仅以联席会议决定为依据（第四条第三项），须另一省（市）召回技术机构同意共同开展后方可提交",
        "concurrence_not_needed": "案件 {number} 的会诊依据不只是联席会议决定，无需其他机构同意",
        "concurrence_own_institution": "共同开展的意见须由申请机构以外的省（市）召回技术机构记录",
        "concurrence_already_recorded": "{institution} 已记录过共同开展的意见",
        "panel_too_small": "专家组现有 {size} 名专家，至少需要 {minimum} 名",
        "panel_even_without_reason": "专家组 {size} 人为偶数，须说明理由",
        "panel_duplicate": "同一名专家不能重复选入专家组",
        "materials_missing": "案件 {number} 尚未上传供专家分析的材料，请先上传",
        "expert_not_on_panel": "专家 {expert} 不在案件 {number} 的专家组中",
        "note_empty": "请填写内容",
        "analysis_empty": "初步分析内容不能为空",
        "platform_empty": "请说明会议平台（例如 腾讯会议）",
        "absence_reason_empty": "请说明专家缺席的理由",
        "correction_reason_empty": "请说明更正费用的理由",
        "analysis_already_submitted": "专家 {expert} 已提交初步分析",
        "analyses_missing_reason_needed": "尚有专家未提交初步分析：{experts}；如需移交，请说明理由",
        "analyses_awaited": "正在等待专家 {experts} 的初步分析；未收齐时移交须填写理由",
        "opinion_already_signed": "专家 {expert} 已签署会诊表，会诊表只能签署一次",
        "expert_absent": "专家 {expert} 已被记录为缺席",
        "expert_has_signed": "专家 {expert} 已提交会诊表，不能记为缺席",
        "opinions_missing": "尚无专家提交会诊表",
        "experts_unaccounted": "以下专家既未提交会诊表也未记录缺席：{experts}",
        "no_quorum": "到会专家不足：{panel} 名专家中仅 {submitted} 名提交会诊表，须超过半数",
        "minutes_already_issued": "会议纪要已于 {issued_at} 印发，只能印发一次",
        "minutes_missing": "案件 {number} 的会议纪要尚未印发，请先印发",
        "minutes_before_decision": "专家组形成意见之前不能印发会议纪要",
        "minutes_not_yet": "专家组形成意见之前没有会议纪要",
        "form_not_signed": "专家 {expert} 尚未签署会诊表",
        "reason_required": "请说明理由",
        "meeting_not_scheduled": "尚未安排会议",
        "meeting_time_naive": "会议时间须带时区（例如 +08:00）",
        "meeting_time_missing": "请填写会议日期和时间",
        "meeting_time_invalid": "“{value}”不是有效的日期和时间（例如 2026-10-14T14:00）",
        "speaking_order_mismatch": "发言顺序须列出每位专家各一次（{panel}）",
        "attendees_too_many": "每个机构至多 {limit} 名工作人员参会（第八条第四项），{institution} 超出",
        "link_invalid": "会议链接须为 http(s) 网址",
        "deadline_not_open": "期限 {deadline} 不在计时中",
        "hold_already_placed": "案件 {number} 自 {since} 起已处于法律保全中",
        "no_hold": "案件 {number} 没有可解除的法律保全",
        "material_kind_unknown": "材料类型“{kind}”无效，应为以下之一：{allowed}",
        "file_name_invalid": "文件名“{name}”不可用",
        "file_empty": "文件 {name} 为空",
        "file_too_large": "文件 {name} 有 {size} 字节，超过上限 {limit} 字节",
        "event_before_last": "操作时间早于案件的上一个事件（{last}）",
        # fees (Art. 10)
        "fee_not_dispatched": "材料尚未分送专家，没有专家费用可登记",
        "fee_already_recorded": "专家 {expert} 的费用已登记（{amount} 元），如需修改请更正并说明理由",
        "fee_not_recorded": "专家 {expert} 的费用尚未登记，请先登记",
        "fee_expert_missing": "请说明是哪位专家的费用（专家编号或姓名）",
        "correction_empty": "请填写更正后的金额或支付日期（或两者）",
        "amount_not_number": "“{value}”不是有效的人民币金额（例如 1500.00）",
        "amount_too_precise": "金额 {value} 最多保留两位小数",
        "amount_not_positive": "金额必须大于 0",
        "amount_over_limit": "金额 {value} 超过每位专家每案 {limit} 元的上限",
        "paid_on_future": "支付日期 {paid_on} 晚于今天（{today}）",
        "date_invalid": "“{value}”不是有效的日期（YYYY-MM-DD）",
        "year_invalid": "“{value}”不是四位数的年份",
        "year_implausible": "{year} 不是有效的年份",
        "before_first_term": "{date} 早于第一个轮值期（{first_term_start}）",
        "rotation_empty": "轮值顺序中没有机构",
        # the calendar
        "calendar_out_of_range": "工作日历覆盖 {first}–{last} 年，所查为 {asked_first}–{asked_last} 年",
        "calendar_year_out_of_range": "{year} 年不在支持的年份 {first}–{last} 之内",
        "working_days_too_few": "期限至少 1 个工作日",
        "no_working_day": "{days} 天内没有工作日",
        "year_file_invalid": "年度放假安排文件有误：{problem}",
        # inputs in general (the case file, the 会诊表, the forms of the pages)
        "case_file_not_mapping": "案件文件须包含产品信息、信息来源和会诊依据",
        "empty": "不能为空",
        "text_empty": "不能为空",
        "value_empty": "不能为空",
        "too_long": "最多 {limit} 个字符",
        "text_too_long": "最多 {limit} 个字符",
        "value_too_long": "最多 {limit} 个字符",
        "not_text": "必须是文字",
        "not_one_line": "必须是一行文字（不能含换行）",
        "not_list": "必须是列表",
        "not_mapping": "格式有误",
        "unknown_key": "包含未知的项目（可用：{allowed}）",
        "missing": "缺少此项",
        "not_member": "“{value}”不是成员机构（{members}）",
        "not_one_of": "“{value}”无效，应为以下之一：{allowed}",
        "state_unknown": "状态“{value}”无效，应为以下之一：{allowed}",
        "not_boolean": "“{value}”无效，应为“是”或“否”",
        "not_yes_no_uncertain": "“{value}”无效，应为“是”“否”或“不确定”",
        "not_integer": "应为 {low} 至 {high} 的整数",
        "out_of_range": "“{value}”超出范围，应为 {low} 至 {high}",
        "number_out_of_range": "应为 {low} 至 {high} 的整数，而不是“{value}”",
        "markup": "不能包含 HTML 或脚本标记（markup）",
        "nul_character": "不能包含 NUL 字符",
        "confirm_sign": "请勾选“本人确认”后签署（签署后不可更改）",
        "confirm_purge": "请勾选“确认销毁”后再销毁（不可撤销）",
        # the record and the database
        "event_type_unknown": "未知的事件类型 {type}",
        "event_version_unknown": "事件类型 {type} 的版本 {version} 无法读取",
        "event_field_missing": "事件 {type} 缺少：{fields}",
        "first_event_not_opened": "案件的第一个事件应为创建草稿，而不是 {type}",
        "version_moved": "案件 {number} 已被他人修改（现为第 {version} 版），请刷新后重试",
        "changed_meanwhile": "案件 {number} 在您操作期间已被他人修改，未作任何更改，请刷新后重试",
        "purge_meanwhile": "案件 {number} 正由他人销毁，未作任何更改",
        "database_unreachable": "无法连接数据库，请稍后再试",
        "delivery_status_unknown": "发送状态须为以下之一：{choices}",
        "taken_meanwhile": "他人在同一时刻提交了相同的内容，您的操作未作任何更改，请刷新后重试",
        # --- i15-rest ---
        "checkpoint_unreadable": "该文件不是可读取的检查点文件",
        "checkpoint_signature": "检查点的签名无法用本系统的检查点公钥核验：文件可能被改动，或并非本系统签发",
        "checkpoint_deleted": "案件 {number} 已被删除：检查点（{issued_at}）记录其为第 {version} 版，数据库中已无其任何事件",
        "checkpoint_rolled_back": "案件 {number} 被回滚或截断：检查点（{issued_at}）记录其为第 {version} 版，"
                                  "数据库中的记录止于第 {last} 个事件",
        "checkpoint_rewritten": "案件 {number} 的第 {version} 个事件被改写：其哈希与检查点（{issued_at}）记录的不同",
        "checkpoint_tombstones_removed": "销毁记录被删除 {removed} 条：检查点（{issued_at}）记录 {count} 条，"
                                         "数据库中现有 {have} 条",
        "checkpoint_tombstone_rewritten": "案件 {number} 的销毁记录被改写：销毁记录链不再经过检查点（{issued_at}）"
                                          "记录的链头",
        "checkpoint_counter_lowered": "{series} 的案件编号计数器从 {was} 被调低为 {have}：检查点（{issued_at}）"
                                      "之前已发出的编号可能被再次使用",
        "checkpoint_missing": "检查点文件 {name} 不存在",
        "checkpoint_file_missing": "请选择要核对的检查点文件",
        "session_idle_ended": "您已超过 {minutes} 分钟未操作，为安全起见已自动退出，请重新登录",
        "yaml_not_utf8": "文件 {file} 第 {line} 行含有无效的 UTF-8 字节，请以 UTF-8 编码保存后重试；未作任何更改",
        "yaml_nul": "文件 {file} 第 {line} 行含有空字符（NUL），请删除后重试；未作任何更改",
        "yaml_bad_text": "文件 {file} 的“{field}”含有无效字符（空字符或孤立的代理字符），请改正后重试；未作任何更改",
        "signin_wait": "登录尝试过于频繁，请 {seconds} 秒后再试（正确的密码届时仍可登录）",
    },
}


# Parameters that carry a code are read in words: a case's status by its label, a command by its button.
PARAM_KINDS: dict[str, str] = {"status": "status", "command": "action", "kind": "material", "role": "role",
                               "missing": "field", "fields": "field"}


def worded(params: Mapping[str, Any], locale: str | None = None) -> dict[str, Any]:
    """PARAMS with their codes in words (see PARAM_KINDS); other values as they are."""
    out = dict(params)
    for name, kind in PARAM_KINDS.items():
        value = out.get(name)
        if isinstance(value, str):
            out[name] = label(kind, value, value, locale)
        elif isinstance(value, list | tuple):  # a list of codes (the fields still missing) reads as its words
            out[name] = [label(kind, v, v, locale) if isinstance(v, str) else v for v in value]
    return out


def table(kind: str, locale: str | None = None) -> dict[Any, str]:
    """All the words of one kind (status, action, field, ...)."""
    return LABELS[locale or LOCALE][kind]


def label(kind: str, code: Any, default: str | None = None, locale: str | None = None) -> str:
    """The word for CODE of KIND; DEFAULT (or the code itself) when there is none."""
    found = table(kind, locale).get(code)
    if found is not None:
        return found
    return str(code) if default is None else default


def has_sentence(key: str, locale: str | None = None) -> bool:
    return key in ERRORS[locale or LOCALE]


class _Params(dict[str, Any]):
    """Format arguments: lists read as 、-joined; a missing parameter raises (the caller falls back)."""

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        if isinstance(value, list | tuple | set | frozenset):
            return "、".join(str(v) for v in value)
        return value


def t(key: str, locale: str | None = None, **params: Any) -> str:
    """The sentence of error KEY with its PARAMS; KeyError when there is no sentence or a parameter is missing."""
    sentence = ERRORS[locale or LOCALE][key]
    return string.Formatter().vformat(sentence, (), _Params(params))


def values(params: Mapping[str, Any]) -> dict[str, Any]:
    """Params as JSON can carry them (dates and other objects as text)."""
    out: dict[str, Any] = {}
    for k, v in params.items():
        if isinstance(v, str | int | float | bool) or v is None:
            out[k] = v
        elif isinstance(v, list | tuple | set | frozenset):
            out[k] = [x if isinstance(x, str | int | float | bool) else str(x) for x in v]
        else:
            out[k] = str(v)
    return out


# The zh-CN tables by name, for the templates and the CLI's Chinese columns.
STATUS_LABELS = table("status")
OUTCOME_LABELS = table("outcome")
REPORT_OUTCOME_LABELS = table("report_outcome")
DEFECT_LABELS = table("defect")
SOURCE_LABELS = table("source")
MATERIAL_KINDS = table("material")
SEVERITY_LABELS = table("severity")
LIKELIHOOD_LABELS = table("likelihood")
DEADLINE_LABELS = table("deadline")
DEADLINE_STATUS_LABELS = table("deadline_status")
IRREVERSIBLE_NOTES = table("irreversible")
FEE_LABELS = table("fee")
URGENCY_LABELS = table("urgency")
ROLE_LABELS = table("role")
EVENT_LABELS = table("event")
ACTION_LABELS = table("action")
DONE_LABELS = table("done")
TRIGGER_LABELS = table("trigger")
FIELD_LABELS = table("field")
ERROR_TITLES = table("error_title")
HTTP_TITLES = table("http_title")


# Why a closed case may not be destroyed yet: the domain's reasons (states.yearly.disposal_problems, also read by
# the CLI) by their opening words, in the reader's words.
DISPOSAL_REASONS: tuple[tuple[str, str], ...] = (
    ("not closed", "尚未办结（仅归档或撤回的案件可销毁）"),
    ("not expired", "保存期未满"),
    ("under a legal hold", "法律保全中"),
    ("not appraised", "尚未记录销毁鉴定"),
    ("its history does not verify", "历史记录校验未通过，作为证据保留"),
)


def disposal_reason(reason: str) -> str:
    """One reason of disposal_problems in words ("保存期未满" for "not expired: kept until ..."); the dates and the
    case's own words are on the same row of the page."""
    for prefix, words in DISPOSAL_REASONS:
        if reason.startswith(prefix):
            return words
    return "不符合销毁条件"


# --- times for people (issue 12): one way to write an instant and a deadline, in Beijing time ---------------------
# Written in states.beijing (the scheduler, below this module, writes reminders with them too); read from here.
beijing_text = _beijing_text
deadline_text = _deadline_text


# --- notices to the person who must act (issue 12): subject and body, with {params} -------------------------------
NOTICES: dict[str, dict[str, tuple[str, str]]] = {
    "zh-CN": {
        "panel": ("【会诊邀请】{number} {product} 您已被选为会诊专家",
                  "您已被选入案件 {number}（{product}）的会诊专家组。\n"
                  "请登录系统确认是否接受邀请，并如实申报与生产者的关系（利益冲突声明）。\n"
                  "案件页面：/cases/{number}"),
        "dispatched": ("【会诊材料】{number} {product} 请在{due}前提交初步分析意见",
                       "案件 {number}（{product}）的会诊材料已分送专家组。\n"
                       "请在期限内提交您的初步分析意见。\n截止时间：{due}\n案件页面：/cases/{number}"),
        "referred": ("【会诊移交】{number} {product} 已移交牵头单位组织会诊",
                     "案件 {number}（{product}）已移交贵单位牵头组织线上会诊，会诊组织期限开始计算。\n"
                     "请安排会诊时间并通知专家组和各省（市）参会人员。\n案件页面：/cases/{number}"),
        "forms_signed": ("【会诊意见】{number} {product} 专家意见表已全部签署",
                         "案件 {number}（{product}）的专家意见表已全部签署，可以形成会诊意见。\n"
                         "案件页面：/cases/{number}"),
        "chased": ("【会诊催办】{number} {product} 请尽快提交初步分析意见",
                   "案件 {number}（{product}）的联络员提醒您：您的初步分析意见尚未提交，请尽快提交。\n"
                   "截止时间：{due}\n{note}案件页面：/cases/{number}"),
    },
}


def notice_text(kind: str, locale: str | None = None, **params: Any) -> tuple[str, str]:
    """The subject and body of a notice (workflow.notices), every time in it written for people."""
    subject, body = NOTICES[locale or LOCALE][kind]
    due = params.get("due_at")
    words = {"product": "", "note": ""} | params | {"due": deadline_text(due) if due else "—"}
    if words.get("note"):
        words["note"] = f"附言：{words['note']}\n"
    return subject.format(**words), body.format(**words)


# --- the chase (催办, issue 12): its words, added to the tables above -------------------------------------------
LABELS["zh-CN"]["event"]["ExpertChased"] = "催办专家"
LABELS["zh-CN"]["action"]["chase"] = "催办专家"
LABELS["zh-CN"]["done"]["chase"] = "已催办，专家已收到提醒"
ERRORS["zh-CN"].update({
    "expert_already_answered": "专家 {expert} 已提交初步分析，无需催办",
    "expert_chased_today": "专家 {expert} 今日已催办（上次催办：{last}），每位专家每个工作日最多催办一次",
    "chase_note_too_long": "附言不能超过2000字",
    "email_pref_invalid": "邮件通知只能选择开启（on）或关闭（off）",
})


# --- i14-admin ---
# The admin's work in the pages (issue 14) and Art. 3's limit of liaisons: the admin's trail, the new routes, the
# new fields and the new refusals.
LABELS["zh-CN"]["admin_action"] = {
    "user_add": "添加用户", "user_update": "修改用户", "user_disable": "停用用户", "user_enable": "启用用户",
    "password_set": "设置密码", "password_reset": "重置密码", "token_issue": "签发 API 令牌",
    "token_revoke": "吊销 API 令牌", "profile_update": "修改本人联系方式", "expert_add": "添加专家",
    "expert_edit": "修改专家信息", "expert_deactivate": "停用专家", "expert_activate": "恢复专家",
    "calendar_load": "载入放假安排",
}
LABELS["zh-CN"]["field"].update({
    "display_name": "姓名", "phone": "电话", "current": "当前密码", "password_again": "再次输入新密码",
    "active": "状态", "expert_id": "专家", "notice": "通知", "source": "文件", "moved": "调整的期限数",
    "filename": "文件名",
})
LABELS["zh-CN"]["api"].update({
    "PATCH /users/{name}": "修改用户的角色、机构、专家关联或联系方式（管理员）",
    "POST /users/{name}/disable": "停用用户：不能登录，令牌失效（管理员）",
    "POST /users/{name}/enable": "重新启用用户（管理员；联络员受第三条人数限制）",
    "POST /users/{name}/password/reset": "生成一次性密码，只显示一次（管理员）",
    "PATCH /me": "修改本人的姓名、电子邮箱和电话",
    "PATCH /experts/{expert_id}": "修改专家信息（管理员；联络员限本省专家库）",
    "POST /experts/{expert_id}/deactivate": "停用专家：不再列入新组建的专家组",
    "POST /experts/{expert_id}/activate": "恢复已停用的专家",
    "POST /calendar/years/preview": "预览载入放假安排后将调整的未到期期限（不写入）",
    "GET /rotation/terms": "牵头单位轮值表（第三条）",
    "GET /admin/actions": "管理操作记录：用户、专家库与工作日历（管理员、审计）",
})
ERRORS["zh-CN"].update({
    "liaison_limit": "{institution} 已有 {limit} 名在用的联络员（{names}），规范第三条规定每个机构1至2名",
    "admin_self_demote": "管理员不能取消自己的管理员角色，请由另一位管理员操作",
    "admin_self_disable": "管理员不能停用自己，请由另一位管理员操作",
    "phone_invalid": "“{phone}”不是有效的电话号码（数字、空格、+、-、括号，5至40位）",
    "user_disabled": "用户 {name} 已停用，请联系管理员",
    "active_choice_invalid": "状态只能选择启用或停用",
    "year_file_too_large": "年度文件不能超过 {limit} KB",
    "file_not_utf8": "文件不是 UTF-8 编码的文本",
    "year_file_missing": "请选择年度文件，或粘贴文件内容",
    "confirm_missing": "请先核对预览中的变化，并勾选确认",
    "current_password_wrong": "当前密码不正确",
    "passwords_differ": "两次输入的新密码不一致",
})


# --- i12-panel --- Art. 8(1) by every institution (issue 12): nominations, the experts' answers and declarations
LABELS["zh-CN"]["event"].update({"ExpertsNominated": "提名专家", "ExpertResponded": "专家答复邀请",
                                 "ExpertKept": "记录保留专家的理由", "NominationWithdrawn": "撤回提名"})
LABELS["zh-CN"]["action"].update({"nominate": "提名专家", "respond": "答复邀请（接受/谢绝）",
                                  "keep_expert": "保留申报利益关系的专家", "withdraw_nomination": "撤回本机构的提名"})
LABELS["zh-CN"]["done"].update({"nominate": "提名已记录", "respond": "您的答复与利益冲突声明已记录",
                                "keep_expert": "保留该专家的理由已记录", "withdraw_nomination": "提名已撤回"})
LABELS["zh-CN"]["field"].update({"answer": "答复", "relation": "与生产者的关系", "relation_text": "关系说明",
                                 "pool_field": "专业领域", "pool_province": "省份"})
LABELS["zh-CN"]["api"].update({
    "POST /cases/{number}/nominations": "提名本机构专家库中的专家（第八条第一项，各省（市）机构联络员）",
    "POST /cases/{number}/response": "专家答复邀请（接受/谢绝）并申报利益冲突",
    "POST /cases/{number}/keep-expert": "记录保留申报利益关系专家的理由（申请机构联络员）",
    "DELETE /cases/{number}/nominations/{expert}": "撤回本机构对某位专家的提名",
})
ERRORS["zh-CN"].update({
    "nomination_empty": "请至少选择一位要提名的专家",
    "nomination_duplicate": "同一位专家被选了两次",
    "nomination_other_province": "专家 {expert} 属于 {province} 的专家库；{institution} 只能提名本省（市）专家库中的专家",
    "nomination_already": "{institution} 已提名过专家 {experts}",
    "nomination_missing": "{institution} 未提名专家 {expert}，无可撤回",
    "response_answer_invalid": "请选择接受或谢绝",
    "relation_invalid": "与生产者的关系只能选择“无”或“有”（须说明）",
    "keep_without_conflict": "专家 {expert} 未申报与生产者的利益关系，无需记录保留理由",
    "panel_expert_declined": "专家 {experts} 已谢绝邀请，请先在专家组中替换",
    "conflict_unresolved": "专家 {experts} 申报了与生产者的利益关系，须记录保留理由或替换该专家后方可分送材料",
})
NOTICES["zh-CN"].update({
    "declined": ("【专家谢绝】{number} {product} 专家 {expert} 谢绝了会诊邀请",
                 "案件 {number}（{product}）的专家 {expert} 谢绝了会诊邀请。\n{note}"
                 "请在专家组中替换该专家后再分送材料。\n案件页面：/cases/{number}"),
    "conflict": ("【利益冲突申报】{number} {product} 专家 {expert} 申报了与生产者的关系",
                 "案件 {number}（{product}）的专家 {expert} 申报了与生产者的关系：{relation}\n{note}"
                 "请记录保留该专家的理由，或在专家组中替换该专家。\n案件页面：/cases/{number}"),
})


# --- i14-papers (issue 14): papers and exports in the pages, the read log, the auditor's tools -----------------------
LABELS["zh-CN"]["read"] = {
    "minutes": "会议纪要", "form": "专家会诊表（已签署）", "blank_form": "会诊表（空白）", "material": "材料",
    "expert_record": "专家会诊表记录（页面）", "dossier": "归档案卷（ZIP）", "export": "事件导出",
    "fee_statement": "专家费用明细", "year_report": "年度报告", "destruction_list": "销毁清单",
    "read_log": "阅读记录导出",
}
# How a paper was read (the read log), and how a notice was delivered (an event's payload): one table.
LABELS["zh-CN"]["api"].update({
    "GET /audit/reads": "阅读记录：谁在何时查看或下载了哪些文书、材料或专家会诊表（审计、管理员）",
    "GET /cases/{number}/diff": "比较案件在两个时刻之间的变化（起、止两个时刻均须带时区）",
})
LABELS["zh-CN"]["read_channel"] = {"web": "网页", "api": "接口", "cli": "命令行", "inbox": "站内信", "email": "邮件",
                                   "webhook": "网络回调"}
# The keys of a case and of the events' payloads, for the auditor's pages (the event's content, the comparison of
# two instants). A path is worded segment by segment ("product.model" → 产品及生产信息 · 规格/型号).
LABELS["zh-CN"]["key"] = {
    "number": "案件编号", "status": "状态", "applicant": "申请机构", "lead": "牵头机构", "created_at": "创建时间",
    "submitted_at": "提交时间", "product": "产品及生产信息", "name": "名称", "model": "规格/型号", "brand": "品牌/商标",
    "producer": "生产者", "registered_province": "生产者注册地", "production_province": "实际生产地",
    "test_basis": "检测依据", "report_numbers": "报告编号", "suspected_defect": "疑似缺陷描述", "sources": "信息来源",
    "source_other": "其他来源（说明）", "basis": "会诊依据", "samr_assignment": "总局工作安排",
    "joint_decision": "机构共同认为需要", "linked_from": "由此案件重新会诊", "linked_to": "重新会诊为",
    "verification": "初步核实", "panel": "专家组", "panel_reason": "偶数人数理由", "materials": "材料",
    "analyses": "初步分析", "refer_reason": "移交理由", "convened_at": "召开时间", "opinions": "会诊表",
    "absences": "缺席", "chases": "催办", "tally": "表决统计", "outcome": "会诊结论", "conclusions": "结论",
    "decided_at": "形成意见时间", "minutes": "会议纪要", "tracking": "跟踪记录", "meeting": "线上会议",
    "deliveries": "送达记录", "closing_reason": "结束理由", "closed_at": "结束时间", "deadlines": "期限",
    "fees": "专家费用", "retention": "档案保存", "concurrences": "共同开展意见", "cross_province": "跨省生产",
    "last_event_at": "最后事件时间", "retention_until": "保存至", "version": "版本",
    "note": "说明", "reason": "理由", "text": "内容", "expert": "专家", "experts": "专家", "filename": "文件名",
    "kind": "类别", "size": "大小（字节）", "sha256": "SHA-256", "by": "操作人", "at": "时间", "platform": "平台",
    "link": "链接", "attendees": "参会人员", "speaking_order": "发言顺序", "sequence": "邀请序号",
    "cancelled": "已取消", "institution": "机构", "answers": "答案", "defect": "缺陷消费品", "investigate": "建议开展调查",
    "attention": "建议持续关注", "forms": "会诊表份数", "yes": "是", "no": "否", "uncertain": "不确定",
    "document_number": "文号", "title": "标题", "issued_at": "印发时间", "host": "主办机构", "cc": "抄送",
    "follow_up": "后续工作", "decision": "会诊意见", "votes": "表决情况", "order": "顺序", "employer": "工作单位",
    "statement": "发言", "absent_reason": "缺席原因", "meeting_at": "会议时间", "what": "内容", "recipient": "接收人",
    "channel": "途径", "key": "幂等键", "amount": "金额", "currency": "币种", "paid_on": "支付日期",
    "approver": "审批人", "holds": "法律保全", "appraisal": "销毁鉴定", "released_at": "解除时间",
    "new_case": "新案件", "addition": "补充", "additions": "补充", "superseded": "被取代的期限", "rule": "规则",
    "start_at": "起算", "working_days": "工作日数", "due_at": "截止", "due_date": "截止日", "provisional": "预估",
    "calendar_version": "日历版本", "resolved_at": "解除时间", "resolved_by": "解除事件", "overdue": "已超期",
    "id": "编号", "answer": "回答", "detail": "具体描述", "standard_noncompliance": "标准符合性问题",
    "nonstandard_danger": "非标准符合性问题（存在危险）", "no_standard_danger": "无标准（存在危险）",
    "similar_recall": "国内外同款召回", "public_opinion_risk": "舆情风险", "injury_types": "伤害类型",
    "severity": "严重程度", "likelihood": "可能性", "producer_cause": "生产者原因", "design": "设计",
    "manufacturing": "制造", "warning": "警示标识", "universality": "普遍性", "signed_at": "签署时间",
    "phone": "电话", "email": "电子邮箱", "corrected": "已更正", "corrections": "更正", "recorded_on": "登记日期",
    "previous": "原值", "explanation": "说明", "case": "案件", "date": "日期", "field": "专业领域", "province": "省份",
    "absent": "缺席专家", "present": "出席专家", "physical": "物理性质伤害", "chemical": "化学性质伤害",
    "biological": "生物性质伤害", "host_name": "主办机构名称", "issued_by": "印发人", "missing_analyses": "未提交初步分析",
    "snapshot_version": "快照版本", "supersedes": "取代的期限",
}
ERRORS["zh-CN"].update({
    "form_not_own": "专家只能查看本人签署的会诊表（本人编号 {own}），不能查看专家 {expert} 的",
    "file_format_unknown": "文件 {name} 不存在，可选格式：{allowed}",
    "range_reversed": "结束时刻须晚于开始时刻",
    "diff_needs_both": "请同时填写比较的起止两个时刻",
    "date_invalid": "“{value}”不是有效日期（应为 年-月-日）",
    "instant_invalid": "“{value}”不是有效的日期时间（应为 年-月-日 时:分，北京时间）",
})


# --- i12-meeting ---
# The meeting's records, the minutes as a draft and their corrections (issue 12, Art. 5, 8(4)–(7), 9): added to the
# tables above in one block.
LABELS["zh-CN"]["event"].update({
    "AttendanceRecorded": "记录参会人员", "StatementRecorded": "记录专家发言", "MinutesDrafted": "修改会议纪要草稿",
    "MinutesCorrected": "印发更正纪要",
})
LABELS["zh-CN"]["action"].update({
    "record_attendance": "记录各机构参会人员", "record_statement": "记录专家发言", "draft_minutes": "修改会议纪要草稿",
    "correct_minutes": "更正会议纪要",
})
LABELS["zh-CN"]["done"].update({
    "record_attendance": "参会人员已记录", "record_statement": "专家发言已记录", "draft_minutes": "纪要草稿已保存",
    "correct_minutes": "更正纪要已印发",
})
LABELS["zh-CN"]["field"].update({
    "staff": "参会人员姓名", "summary": "讨论情况", "decision_text": "会诊意见表述", "follow_up": "后续工作",
    "issue": "纪要期号",
})
LABELS["zh-CN"]["irreversible"]["issue_minutes"] = "会议纪要印发后即分送各机构，不可收回；如需更正，只能另发更正纪要。"
LABELS["zh-CN"]["api"].update({
    "POST /cases/{number}/attendance": "记录某机构的参会人员（1—2名，实名）或未派员参会（第八条第四项）",
    "POST /cases/{number}/statements": "按发言顺序记录专家在会上的发言（第八条第五项）",
    "POST /cases/{number}/minutes/draft": "印发前修改会议纪要的讨论情况、会诊意见表述和后续工作（第八条第七项）",
    "POST /cases/{number}/minutes/corrections": "印发更正纪要：新的期号，注明更正的期号和理由（第八条第七项）",
})
# Art. 9: who keeps which paper (the dossier's manifest, the retention list, the case page).
CUSTODIAN_LABELS = {"forms": "会诊表", "minutes": "会议纪要"}
ERRORS["zh-CN"].update({
    "attendance_institution_unknown": "{institution} 不是成员机构",
    "attendance_absent_with_staff": "记录为未派员参会时不能填写参会人员",
    "attendance_staff_missing": "请填写 {institution} 的1—{limit}名参会人员姓名，或记录为未派员参会",
    "attendance_staff_too_many": "每个机构最多 {limit} 名参会人员，现填写了 {count} 名",
    "statement_empty": "发言内容不能为空",
    "statement_expert_absent": "专家 {expert} 已记录为缺席，不能记录发言",
    "statement_order_invalid": "发言顺序应为1至{limit}之间的数字",
    "minutes_draft_empty": "请至少填写讨论情况、会诊意见表述或后续工作中的一项",
    "minutes_correction_empty": "更正内容与现行纪要相同，请填写需要更正的讨论情况、会诊意见表述或后续工作",
    "minutes_issue_unknown": "会议纪要只有第1至第{count}号",
})


# --- i14-find --- finding cases (issue 14 item 3): search, sort, paging, "waiting on me", export, similar cases
LABELS["zh-CN"]["field"].update({"q": "搜索", "sort": "排序", "mine": "待办筛选", "page": "页码", "limit": "每页件数"})
LABELS["zh-CN"]["case_sort"] = {"deadline": "按下一期限", "number": "按案件编号", "updated": "按最近更新",
                                "status": "按状态"}
LABELS["zh-CN"]["case_mine"] = {"me": "待我处理", "institution": "待本单位处理"}
LABELS["zh-CN"]["case_column"] = {
    "number": "案件编号", "status": "状态", "applicant": "申请机构", "lead": "牵头机构", "product": "产品名称",
    "model": "规格/型号", "brand": "品牌/商标", "producer": "生产者", "report_numbers": "报告编号",
    "suspected_defect": "疑似缺陷描述", "responsible": "责任机构", "waiting_on": "等待事项", "next_kind": "下一期限",
    "due_date": "截止日期", "left": "剩余", "created_at": "创建时间", "updated_at": "更新时间",
}
LABELS["zh-CN"]["similar_same"] = {"producer": "生产者相同", "model": "型号相同", "report_numbers": "报告编号相同"}
ERRORS["zh-CN"].update({
    "search_too_long": "搜索内容最多 {limit} 个字符",
    "sort_unknown": "排序方式“{value}”无效，应为以下之一：{allowed}",
    "mine_unknown": "待办筛选“{value}”无效，应为 me（待我处理）或 institution（待本单位处理）",
    "page_invalid": "页码“{value}”无效，应为从 1 开始的整数",
    "limit_invalid": "每页件数“{value}”无效，应为 1 至 {max} 的整数",
    "export_format_unknown": "导出格式“{value}”无效，应为 csv 或 xlsx",
})
SORT_LABELS = table("case_sort")
MINE_LABELS = table("case_mine")
CASE_COLUMNS = table("case_column")
SIMILAR_LABELS = table("similar_same")
