"""Sending one message to one alert target through Apprise, without leaking the target.

An alert target is an Apprise URL (``mailto://``, ``slack://``, ``json://``...).
Its credentials live in the URL, so StoreBridge never logs or stores one: a
target is named by `digest` in the database and by `describe` (Apprise's
privacy form, query dropped) in logs and errors.

Apprise logs each failure itself under the ``apprise`` logger, naming the
service by host and showing URLs in the same privacy form (checked by
tests/alerts); the errors StoreBridge records are its own sentences.

Apprise is imported on first use: loading it takes about a second, which the
runner's event loop (serving the dashboard too) should not spend when no alert
URL is configured; when one is, the settings validation has loaded it at
start-up.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import SecretStr

if TYPE_CHECKING:
    import apprise

__all__ = ["Target", "deliver", "targets_of"]

logger = logging.getLogger("storebridge.alerts")


@dataclass(frozen=True, slots=True)
class Target:
    """One Apprise URL, with the names that are safe to show."""

    url: SecretStr
    digest: str
    described: str


def _describe(url: str) -> str:
    import apprise  # on first use: see the module docstring

    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        scheme = url.split("://", 1)[0] if "://" in url else "?"
        return f"{scheme}://(not understood)"
    private: str = plugin.url(privacy=True)  # type: ignore[no-untyped-call]
    return private.split("?", 1)[0]


def targets_of(urls: tuple[SecretStr, ...]) -> list[Target]:
    """The targets behind `urls`, each once."""
    found: dict[str, Target] = {}
    for url in urls:
        text = url.get_secret_value().strip()
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        found.setdefault(digest, Target(SecretStr(text), digest, _describe(text)))
    return list(found.values())


async def deliver(target: Target, title: str, body: str, *, recovery: bool = False) -> str | None:
    """Send one message; None when it was accepted, else why not (safe to log).

    `recovery` marks a message that only tells of recoveries (shown as a success
    where the service has colours, a failure otherwise).
    """
    import apprise  # on first use: see the module docstring

    sender = apprise.Apprise()
    if not sender.add(target.url.get_secret_value()):
        return f"{target.described}: Apprise does not understand this URL"
    kind = apprise.NotifyType.SUCCESS if recovery else apprise.NotifyType.FAILURE
    try:
        result = await sender.async_notify(
            body=body, title=title, notify_type=kind, body_format=apprise.NotifyFormat.TEXT
        )
    except Exception as error:  # noqa: BLE001  # a plugin's bug must not stop the other targets
        return f"{target.described}: {type(error).__name__}"
    if result:
        return None
    return f"{target.described}: not accepted ({_status(result)})"


def _status(result: apprise.AppriseResult) -> str:
    status = getattr(result, "status", None)
    name = getattr(status, "name", None) or getattr(status, "value", None)
    return str(name).lower() if name else "failed"
