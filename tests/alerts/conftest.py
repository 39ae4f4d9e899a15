"""Fixtures of the alert tests: the two receivers and a store whose alerts go to both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from tests.alerts.alert_support import HookSink, MailSink
from tests.runner.runner_support import runner_settings

from storebridge.bootstrap import Services, build_services
from storebridge.settings import Settings
from storebridge.settings.models import AlertSettings


@pytest.fixture
def mail_sink() -> Iterator[MailSink]:
    sink = MailSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def hook_sink() -> Iterator[HookSink]:
    sink = HookSink()
    sink.start()
    yield sink
    sink.stop()


def with_alert_urls(settings: Settings, *urls: str) -> Settings:
    """`settings` with ``[alerts].urls`` set (validated as the loader would)."""
    alerts = AlertSettings(urls=tuple(SecretStr(url) for url in urls))
    return settings.model_copy(update={"alerts": alerts})


@pytest.fixture
def settings(
    migrated_db_url: str, tmp_path: Path, mail_sink: MailSink, hook_sink: HookSink
) -> Settings:
    """One store, "main", whose alerts go by mail and to the JSON webhook."""
    return with_alert_urls(runner_settings(migrated_db_url, tmp_path), mail_sink.url, hook_sink.url)


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    with build_services(settings) as built:
        yield built
