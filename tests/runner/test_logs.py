"""Log formats: one JSON object per line with the store and job a line concerns."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from storebridge.cli.app import app
from storebridge.runner.logs import (
    JsonFormatter,
    LogFormat,
    job_context,
    select_format,
    selected_format,
    uvicorn_log_config,
)


@pytest.fixture(autouse=True)
def _text_again() -> Iterator[None]:
    yield
    select_format(LogFormat.text)


def _record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord(
        "storebridge.runner", logging.WARNING, __file__, 1, message, args, None
    )
    record.__dict__.update(extra)
    return record


def test_a_json_line_has_time_level_logger_message_and_the_job_it_ran_in() -> None:
    with job_context(store="main", job="export"):
        line = JsonFormatter().format(_record("store %s: job %s failed", "main", "export"))
    outside = json.loads(JsonFormatter().format(_record("scheduler started")))

    parsed = json.loads(line)
    assert parsed.pop("time").endswith("+00:00")
    assert parsed == {
        "level": "WARNING",
        "logger": "storebridge.runner",
        "message": "store main: job export failed",
        "store": "main",
        "job": "export",
    }
    assert "store" not in outside and "job" not in outside


def test_extra_store_is_kept_but_other_extra_values_are_not_copied() -> None:
    line = json.loads(
        JsonFormatter().format(_record("delivery refused", store="outlet", secret="cs_hunter2"))
    )

    assert line["store"] == "outlet"
    assert "cs_hunter2" not in json.dumps(line)


def test_an_exception_travels_as_one_field_of_the_same_line() -> None:
    try:
        raise RuntimeError("POS offline")
    except RuntimeError:
        record = logging.LogRecord(
            "storebridge.runner",
            logging.ERROR,
            __file__,
            1,
            "crashed",
            (),
            sys.exc_info(),
        )
    text = JsonFormatter().format(record)

    assert "\n" not in text
    assert "RuntimeError: POS offline" in json.loads(text)["exception"]


def test_the_global_option_and_its_environment_variable_choose_json() -> None:
    runner = CliRunner()

    by_option = runner.invoke(app, ["--log-format", "json", "version"])
    chosen_by_option = selected_format()
    select_format(LogFormat.text)
    by_env = runner.invoke(app, ["version"], env={"STOREBRIDGE_LOG_FORMAT": "JSON"})

    assert by_option.exit_code == by_env.exit_code == 0
    assert chosen_by_option is LogFormat.json and selected_format() is LogFormat.json
    assert uvicorn_log_config() is None  # uvicorn's lines go through the JSON handler


def test_an_unknown_log_format_is_refused() -> None:
    result = CliRunner().invoke(app, ["--log-format", "xml", "version"])

    assert result.exit_code == 2
    assert "xml" in result.output
