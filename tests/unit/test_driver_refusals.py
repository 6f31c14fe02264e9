"""Issue 16: a driver error a person can meet is a refusal said in one line — the database gone away (503, exit 7),
a unique key taken by someone acting at the same moment (409, exit 6) — and a bug stays a bug."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from huizhen import labels
from huizhen.errors import exit_code, http_status, web_message
from storage.uow import as_refusal, as_unavailable


def test_a_database_gone_away_is_storage_unavailable() -> None:
    away = as_refusal(OperationalError("SELECT 1", {}, Exception("connection refused\nmore detail")))
    assert away is not None and (exit_code(away), http_status(away)) == (7, 503)
    assert web_message(away).startswith("数据库暂不可用") and "connection refused" in away.message


def test_a_unique_key_taken_meanwhile_is_a_conflict_with_a_chinese_sentence() -> None:
    taken = as_refusal(IntegrityError("INSERT", {}, Exception("duplicate key value violates unique constraint")))
    assert taken is not None and (exit_code(taken), http_status(taken)) == (6, 409)
    assert labels.has_sentence(taken.key) and "未作任何更改" in web_message(taken)


def test_a_bug_stays_a_bug() -> None:
    assert as_refusal(ProgrammingError("SELEC", {}, Exception("syntax error"))) is None
    assert as_unavailable(ValueError("x")) is None
