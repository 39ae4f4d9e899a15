"""``[alerts]`` and a store's ``alert_urls``: lists, secret files, environment, bad URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from storebridge.settings import InvalidSettings, load_settings

MAIL = "mailto://bot:mail-pw-31337@smtp.example.com?to=ops@example.com"
HOOK = "json://hooks.example.com/storebridge"


def _alerts(config: Path, text: str) -> None:
    """Put `text` (starting with the ``[alerts]`` head) where the example's table starts."""
    example = config.read_text(encoding="utf-8")
    assert example.count("[alerts]\n") == 1
    config.write_text(example.replace("[alerts]\n", text), encoding="utf-8")


def _urls(urls: tuple[object, ...]) -> list[str]:
    return [url.get_secret_value() for url in urls]  # type: ignore[attr-defined]


def test_alerts_are_off_by_default_and_the_alerts_job_runs_every_minute(config: Path) -> None:
    settings = load_settings(config, environ={})

    assert settings.alerts.urls == () and settings.alert_urls("main") == ()
    assert settings.stores["main"].intervals.alerts == 60


def test_alert_urls_are_a_list_in_the_file_and_never_shown(config: Path) -> None:
    _alerts(config, f'[alerts]\nurls = ["{MAIL}", "{HOOK}"]\n')

    settings = load_settings(config, environ={})

    assert _urls(settings.alert_urls("main")) == [MAIL, HOOK]
    assert settings.alerts.quarantine_min_rows == 1
    assert "mail-pw-31337" not in repr(settings) and "mail-pw-31337" not in str(settings.alerts)


def test_alert_urls_can_come_from_a_secret_file_one_per_line(config: Path, tmp_path: Path) -> None:
    secret = tmp_path / "alert_urls"
    secret.write_text(f"{MAIL}\n{HOOK}\n", encoding="utf-8")
    _alerts(config, f'[alerts]\nurls_file = "{secret}"\n')

    assert _urls(load_settings(config, environ={}).alerts.urls) == [MAIL, HOOK]


def test_alert_urls_can_come_from_the_environment_as_words_or_json(config: Path) -> None:
    words = load_settings(config, environ={"STOREBRIDGE_ALERTS__URLS": f"{MAIL} {HOOK}"})
    listed = load_settings(config, environ={"STOREBRIDGE_ALERTS__URLS": f'["{MAIL}", "{HOOK}"]'})

    assert _urls(words.alerts.urls) == _urls(listed.alerts.urls) == [MAIL, HOOK]


def test_a_store_with_its_own_alert_urls_does_not_use_the_global_list(config: Path) -> None:
    _alerts(config, f'[alerts]\nurls = ["{MAIL}"]\n')
    text = config.read_text(encoding="utf-8").replace(
        "[stores.main]\n", f'[stores.main]\nalert_urls = ["{HOOK}"]\n', 1
    )
    config.write_text(text, encoding="utf-8")

    assert _urls(load_settings(config, environ={}).alert_urls("main")) == [HOOK]


def test_a_url_apprise_cannot_send_to_is_refused_without_showing_it(config: Path) -> None:
    _alerts(config, f'[alerts]\nurls = ["{HOOK}", "smoke-signal://chief:pw-77@hill"]\n')

    with pytest.raises(InvalidSettings) as caught:
        load_settings(config, environ={})

    message = str(caught.value)
    assert "alerts.urls" in message
    assert "URL number 2 (scheme 'smoke-signal') is not one Apprise can send to" in message
    assert "pw-77" not in message and "chief" not in message


def test_the_alert_urls_file_can_be_named_by_an_environment_variable(
    config: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "urls"
    secret.write_text(f"{HOOK}\n", encoding="utf-8")

    settings = load_settings(config, environ={"STOREBRIDGE_ALERTS__URLS_FILE": str(secret)})

    assert _urls(settings.alerts.urls) == [HOOK]
