"""Log lines for people (text) or for log collectors (JSON), and the store/job they concern.

`configure_logging` is called by the long-running commands (``run``,
``worker``, ``demo``).  The format is chosen once for the process
by the global option ``storebridge --log-format json`` (or
``STOREBRIDGE_LOG_FORMAT=json``), which `select_format` records:

* ``text``: ``2026-12-03 09:00:00,123 INFO    storebridge.runner: ...``;
* ``json``: one JSON object per line with ``time`` (ISO 8601, UTC), ``level``,
  ``logger``, ``message``, and ``store`` and ``job`` when the line was logged
  while a job ran (`job_context`, set by `runner.execution`), ``store`` alone
  while the webhook receiver handled a store's delivery (`store_context`), or
  passed them as ``extra``; ``exception`` holds a traceback.  Nothing else of the record is
  written: arguments and other ``extra`` values stay out, so a secret handed to
  a log call by mistake is not copied into a field of its own.

uvicorn's own loggers are routed through the same handler in JSON mode
(`uvicorn_log_config`), so every line of the process is JSON.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from uvicorn.config import LOGGING_CONFIG

__all__ = [
    "JsonFormatter",
    "LogFormat",
    "configure_logging",
    "job_context",
    "select_format",
    "selected_format",
    "store_context",
    "uvicorn_log_config",
]

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
#: Record attributes copied into a JSON line when present (passed with ``extra=``).
_CONTEXT_KEYS = ("store", "job")

_context: ContextVar[Mapping[str, str] | None] = ContextVar("storebridge_log_context", default=None)


class LogFormat(StrEnum):
    """How log lines are written."""

    text = "text"
    json = "json"


_selected = LogFormat.text


def select_format(chosen: LogFormat) -> None:
    """Record the process's log format (the CLI's ``--log-format``)."""
    global _selected
    _selected = chosen


def selected_format() -> LogFormat:
    """The log format chosen for this process."""
    return _selected


@contextlib.contextmanager
def _with_context(**fields: str) -> Iterator[None]:
    token = _context.set({**(_context.get() or {}), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def job_context(*, store: str, job: str) -> contextlib.AbstractContextManager[None]:
    """Lines logged inside (in this task and the tasks it starts) carry `store` and `job`."""
    return _with_context(store=store, job=job)


def store_context(store: str) -> contextlib.AbstractContextManager[None]:
    """Lines logged inside carry `store` (work for a store outside any job: a webhook)."""
    return _with_context(store=store)


class JsonFormatter(logging.Formatter):
    """One JSON object per record (see the module docstring for the fields)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(_context.get() or {})
        for key in _CONTEXT_KEYS:
            value = record.__dict__.get(key)
            if isinstance(value, str):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(level: int = logging.INFO, fmt: LogFormat | None = None) -> None:
    """Log to stderr in the chosen format; per-request HTTP chatter only on warnings."""
    handler = logging.StreamHandler()
    chosen = fmt or _selected
    handler.setFormatter(
        JsonFormatter() if chosen is LogFormat.json else logging.Formatter(TEXT_FORMAT)
    )
    logging.basicConfig(level=level, handlers=[handler])
    for chatty in ("httpx", "alembic"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


def uvicorn_log_config() -> dict[str, Any] | None:
    """uvicorn's ``log_config``: its own text handlers, or none (lines go to ours) for JSON."""
    return None if _selected is LogFormat.json else LOGGING_CONFIG
