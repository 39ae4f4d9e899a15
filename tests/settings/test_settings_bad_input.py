"""Whatever the config file holds, loading it gives settings or a ConfigError that says why."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storebridge.errors import ConfigError
from storebridge.settings import load_settings

TOML_BITS = ["[web]", "[stores.main]", "secret_key = ", '"', "'''", "= 1", "[[", "]]", "{", "}",
             "\n", "woocommerce = 5", "url = true", "1979-05-27T07:32:00Z", "inf", "0x1F", "#", "\\"]  # fmt: skip


def _load(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    load_settings(path, environ={})


def test_a_binary_file_is_refused_as_not_utf8_text(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"is not UTF-8 text .*byte 0xff at offset 0.*save it as UTF-8"
    ):
        _load(tmp_path / "storebridge.toml", b"\xff\xfe\x00s\x00k\x00u\x80")


def test_absurdly_nested_toml_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nested too deeply"):
        _load(tmp_path / "storebridge.toml", b"a = " + b"[" * 100_000)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.one_of(st.sampled_from(TOML_BITS), st.text(max_size=12)), max_size=25))
def test_any_text_gives_settings_or_a_config_error(
    tmp_path_factory: pytest.TempPathFactory, bits: list[str]
) -> None:
    path = tmp_path_factory.mktemp("cfg") / "storebridge.toml"
    try:
        _load(path, "".join(bits).encode("utf-8", errors="surrogatepass"))
    except ConfigError as error:
        assert str(error)
