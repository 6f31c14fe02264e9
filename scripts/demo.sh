#!/usr/bin/env bash
# A consultation from draft to archive on SQLite, as the people involved would drive it from the command line.
# Each step runs at a frozen instant (HUIZHEN_NOW) so the working-day deadlines show across the 2026 National Day.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
hz="$here/.venv/bin/huizhen"
export HUIZHEN_CONFIG="$here/config.yaml"
export HUIZHEN_DATABASE_URL="sqlite:///$here/var/demo.db"
rm -f "$here"/var/demo.db "$here"/var/demo.db-wal "$here"/var/demo.db-shm

say()  { printf '\n\033[1m== %s\033[0m\n' "$*"; }
as()   { local who="$1" at="$2"; shift 2; printf '\033[2m$ [%s @ %s] huizhen %s\033[0m\n' "$who" "$at" "$*"; HUIZHEN_USER="$who" HUIZHEN_NOW="$at" "$hz" "$@"; }
last() { tail -n 1; }

say "Set up: database, institutions, people (admin)"
"$hz" init --admin admin
export HUIZHEN_NOW=2026-09-01T09:00:00+08:00
HUIZHEN_USER=admin "$hz" users add 上海联络员 --role liaison --institution SH --email sh@example.org | last >/dev/null
HUIZHEN_USER=admin "$hz" users add 江苏联络员 --role liaison --institution JS --email js@example.org | last >/dev/null
HUIZHEN_USER=admin "$hz" users add 审计员 --role auditor | last >/dev/null
e1=$(HUIZHEN_USER=admin "$hz" experts add --name 王建国 --field 机械安全 --employer 上海市质量监督检验技术研究院 --title 高级工程师 --province SH | last)
e2=$(HUIZHEN_USER=admin "$hz" experts add --name 李敏 --field 电气安全 --employer 江苏省产品质量监督检验研究院 --title 研究员 --province JS | last)
e3=$(HUIZHEN_USER=admin "$hz" experts add --name 陈思远 --field 儿童用品 --employer 浙江大学 --title 副教授 --province ZJ | last)
for e in "$e1" "$e2" "$e3"; do HUIZHEN_USER=admin "$hz" users add "专家$e" --role expert --expert "$e" >/dev/null; done
echo "experts: $e1 $e2 $e3"
unset HUIZHEN_NOW
lead=$("$hz" rotation lead 2026-09-24)
echo "lead institution on 2026-09-24 (Art. 3 rotation): $lead"

say "Shanghai opens the application, verifies it (Art. 7: before applying) and submits it (Art. 6–7)"
case=$(as 上海联络员 2026-09-24T10:00:00+08:00 case new "$here/examples/case.yaml" | tee /dev/stderr | last)
as 上海联络员 2026-09-24T10:05:00+08:00 case verify "$case" --note "核实检测报告原件与样品一致，伤害监测另有3例同型号摔伤。"
as 上海联络员 2026-09-25T15:00:00+08:00 case submit "$case"
as 上海联络员 2026-09-28T09:30:00+08:00 case panel "$case" "$e1" "$e2" "$e3"
as 上海联络员 2026-09-28T09:40:00+08:00 case attach "$case" "$here/examples/test-report.txt" --kind test_report

say "Materials go to the experts: T1 = 3 working days, counted across the National Day holiday"
as 上海联络员 2026-09-29T10:00:00+08:00 case dispatch "$case"
for e in "$e1" "$e2" "$e3"; do
  as "专家$e" 2026-10-08T16:00:00+08:00 case analysis "$case" --expert "$e" --text "初步分析：锁止销脱出风险真实存在，建议会诊。"
done

say "Referral to the lead: T2 = 5 working days to convene (Art. 8(3))"
as 上海联络员 2026-10-09T09:00:00+08:00 case refer "$case"
say "The lead schedules the online meeting (Art. 8(4)): an .ics invitation goes to the panel and the staff"
as 江苏联络员 2026-10-09T15:00:00+08:00 case schedule "$case" --at 2026-10-14T14:00:00+08:00 --platform 腾讯会议 \
  --link https://meeting.example.org/yrd-demo --attendee 江苏联络员 --attendee 上海联络员 --order "$e2" --order "$e1" --order "$e3"
as 江苏联络员 2026-10-14T14:00:00+08:00 case convene "$case"
say "At the meeting the lead records who attended for each institution, and what each expert said (Art. 8(4)–(5))"
as 江苏联络员 2026-10-14T14:50:00+08:00 case attendance "$case" --institution js --staff 周明
as 江苏联络员 2026-10-14T14:50:00+08:00 case attendance "$case" --institution sh --staff 王芳 --staff 李强
as 江苏联络员 2026-10-14T14:50:00+08:00 case attendance "$case" --institution ah --staff 孙丽
as 江苏联络员 2026-10-14T14:50:00+08:00 case attendance "$case" --institution zj --absent
as 江苏联络员 2026-10-14T14:55:00+08:00 case statement "$case" --expert "$e2" --text "锁止销在颠簸路面脱出，存在夹伤风险。"
as 江苏联络员 2026-10-14T14:55:00+08:00 case statement "$case" --expert "$e1" --text "同意，建议开展缺陷调查。"
as 江苏联络员 2026-10-14T14:55:00+08:00 case statement "$case" --expert "$e3" --text "伤害数据不足，倾向持续关注。"

say "Each expert signs the 会诊表; the rules derive the conclusions"
as "专家$e1" 2026-10-14T15:00:00+08:00 case opinion "$case" --expert "$e1" "$here/examples/opinion-defect.yaml"
as "专家$e2" 2026-10-14T15:05:00+08:00 case opinion "$case" --expert "$e2" "$here/examples/opinion-defect.yaml"
as "专家$e3" 2026-10-14T15:10:00+08:00 case opinion "$case" --expert "$e3" "$here/examples/opinion-uncertain.yaml"

say "Majority decision (Art. 8(6)), minutes cc'd to the other institutions (Art. 8(7)), archive (Art. 9)"
as 江苏联络员 2026-10-14T16:00:00+08:00 case decide "$case"
as 江苏联络员 2026-10-15T09:30:00+08:00 case minutes-draft "$case" --summary "与会专家就锁止销脱出的机理和伤害风险充分讨论。"
as 江苏联络员 2026-10-15T10:00:00+08:00 case minutes "$case"
as 江苏联络员 2026-10-16T10:00:00+08:00 case archive "$case"

say "The papers: each expert's 会诊表 and the 会议纪要, as DOCX and PDF, printed from the case's data"
papers="$here/var/demo-papers"; rm -rf "$papers"; mkdir -p "$papers"
as 审计员 2026-10-16T11:00:00+08:00 docs form "$case" --expert "$e1" --out "$papers/会诊表-$e1.pdf"
as 审计员 2026-10-16T11:00:00+08:00 docs form "$case" --expert "$e1" --out "$papers/会诊表-$e1.docx"
as 审计员 2026-10-16T11:00:00+08:00 docs form "$case" --out "$papers/会诊表-空白.pdf"
as 审计员 2026-10-16T11:00:00+08:00 docs minutes "$case" --out "$papers/会议纪要.pdf"
as 审计员 2026-10-16T11:00:00+08:00 docs minutes "$case" --out "$papers/会议纪要.docx"
say "The archive dossier (Art. 9), checked offline with no database"
as 审计员 2026-10-16T11:00:00+08:00 audit dossier "$case" --out "$papers/$case-dossier.zip"
HUIZHEN_DATABASE_URL=sqlite:////nonexistent/none.db "$hz" audit dossier-verify "$papers/$case-dossier.zip"

say "The case as everyone sees it"
as 审计员 2026-10-16T11:00:00+08:00 case show "$case"
say "Its history (append-only, hash-chained)"
as 审计员 2026-10-16T11:00:00+08:00 case history "$case"
say "How it stood on 2026-10-09 at noon (replay)"
as 审计员 2026-10-16T11:00:00+08:00 audit replay "$case" --at 2026-10-09T12:00:00+08:00
say "The auditor verifies every hash and replays every case"
as 审计员 2026-10-16T11:00:00+08:00 audit verify
say "Done: $case went from drafted to archived. Database: var/demo.db (try: HUIZHEN_USER=审计员 .venv/bin/huizhen case list); papers: var/demo-papers/"
echo "The web service with 14 demo cases in every state: .venv/bin/huizhen serve --demo   (then open http://127.0.0.1:8000/)"
