"""loguru is configured here and only here; stdlib loggers (APScheduler, SQLAlchemy, alembic) are routed into it."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

from loguru import logger


class _Intercept(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        logger.opt(depth=6, exception=record.exc_info).log(level, record.getMessage())


def development() -> bool:
    """Only a developer's own machine (HUIZHEN_ENV=development) shows local variables in tracebacks: anywhere else
    they would carry passwords, tokens and cookies into stderr and the log file."""
    return os.environ.get("HUIZHEN_ENV", "").strip().lower() == "development"


def _private(path: str, flags: int) -> int:
    """Log files (and their rotations) are created 0600: a log is for the service's operator only."""
    return os.open(path, flags, 0o600)


def setup_logging(log_file: Path | None = None, level: str = "INFO", stderr: bool = True) -> None:
    """Configure the sinks (again, if called again): stderr at `level`, and a JSON-lines file at DEBUG."""
    logger.remove()
    dev = development()
    if stderr:
        logger.add(sys.stderr, level=level, format="<dim>{time:YYYY-MM-DD HH:mm:ss}</dim> {level: <7} {message} {extra}",
                   diagnose=dev, backtrace=dev)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        if log_file.exists():
            log_file.chmod(0o600)  # a file made by an older release was world-readable
        logger.add(log_file, level="DEBUG", rotation="10 MB", retention=10, serialize=True, enqueue=True,
                   diagnose=dev, backtrace=dev, opener=_private)
    logging.basicConfig(handlers=[_Intercept()], level=logging.WARNING, force=True)
    for name in ("apscheduler", "sqlalchemy", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)


def log_event(message: str, context: dict[str, Any]) -> None:
    """The sweep's and daemon's log hook: fields go through bind(), never into the format string."""
    level = "WARNING" if ("error" in context or "FAILED" in message or "failed" in message) else "INFO"
    logger.bind(**context).log(level, message)
