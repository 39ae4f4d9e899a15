"""StoreBridge configuration: the `storebridge.toml` schema and its loader.

Use `load_settings()` at the edges (CLI commands, the runner, the web app's
factory) and pass the resulting `Settings` inward; nothing reads the
environment or the file anywhere else.
"""

from storebridge.settings.example import (
    DEMO_CONSUMER_KEY,
    DEMO_CONSUMER_SECRET,
    DEMO_SANDBOX_URL,
    render_example_config,
)
from storebridge.settings.loader import (
    CONFIG_ENV,
    DEFAULT_CONFIG_PATH,
    ENV_PREFIX,
    config_path,
    load_settings,
    parse_settings,
)
from storebridge.settings.models import (
    DEFAULT_STORAGE_URL,
    FIRST_RUN,
    JobIntervals,
    RunnerSettings,
    Settings,
    StorageSettings,
    StoreSettings,
    WebSettings,
)
from storebridge.settings.problems import InvalidSettings, Problem

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG_PATH",
    "DEFAULT_STORAGE_URL",
    "DEMO_CONSUMER_KEY",
    "DEMO_CONSUMER_SECRET",
    "DEMO_SANDBOX_URL",
    "ENV_PREFIX",
    "FIRST_RUN",
    "InvalidSettings",
    "JobIntervals",
    "Problem",
    "RunnerSettings",
    "Settings",
    "StorageSettings",
    "StoreSettings",
    "WebSettings",
    "config_path",
    "load_settings",
    "parse_settings",
    "render_example_config",
]
