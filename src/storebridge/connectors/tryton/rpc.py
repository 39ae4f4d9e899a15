"""A JSON-RPC session with trytond: login, user context, re-login, bounded retries.

trytond answers `POST /<database>/rpc/` with ``{"id", "result"}`` or
``{"id", "error": [name, details]}``.  Authentication is a session:
`common.db.login` returns ``[user_id, session, ...]`` and every later call
sends ``Authorization: Session base64(login:user_id:session)``.  Model calls
are ``"model.<model>.<method>"`` with the user's context (company, language…)
as the last parameter; without it Tryton answers prices of `null` and
quantities of 0 (docs/operations.md, "Tryton").

Failures are sorted the way the engines act on them (storebridge.errors):
a wrong password, an unknown database or a missing module is a `ConfigError`
(a human must fix the settings); a refused document (Tryton's `UserError`)
is `PosRejected`; an unreachable server, a 5xx or a database lock is
`PosUnavailable` after `max_attempts` tries.  A 401 on a model call means the
session expired (trytond drops idle sessions): the client logs in again once
and repeats the call.  The password never appears in an error or a log.

Example::

    rpc = TrytonRpc(settings)
    ids = rpc.call("product.product", "search", [("code", "=", "MUG-01")], 0, 1, None)
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import random
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx

from storebridge.connectors.tryton.settings import TrytonSettings
from storebridge.errors import ConfigError, PosRejected, PosUnavailable
from storebridge.retry import RetryPolicy

__all__ = ["TrytonRpc", "decode", "encode"]

log = logging.getLogger(__name__)

#: trytond's own names for errors a retry may cure (a concurrent write, a locked row).
_TRANSIENT_ERRORS = frozenset({"ConcurrencyException", "DatabaseOperationalError"})
#: Modules the connector cannot work without, by the models it uses.
REQUIRED_MODULES = ("product", "stock", "party", "sale", "web_shop")


def encode(value: Any) -> Any:
    """`value` in trytond's JSON dialect (Decimals and dates as tagged objects)."""
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, dt.datetime):
        return {
            "__class__": "datetime",
            **{k: getattr(value, k) for k in ("year", "month", "day", "hour", "minute")},
            "second": value.second,
            "microsecond": value.microsecond,
        }
    if isinstance(value, dt.date):
        return {"__class__": "date", "year": value.year, "month": value.month, "day": value.day}
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return value


def _object_hook(obj: dict[str, Any]) -> Any:
    kind = obj.get("__class__")
    if kind == "Decimal":
        return Decimal(obj["decimal"])
    if kind == "date":
        return dt.date(obj["year"], obj["month"], obj["day"])
    if kind == "datetime":
        return dt.datetime(
            obj["year"],
            obj["month"],
            obj["day"],
            obj.get("hour", 0),
            obj.get("minute", 0),
            obj.get("second", 0),
            obj.get("microsecond", 0),
            tzinfo=dt.UTC,  # trytond stores and sends timestamps in UTC
        )
    if kind == "timedelta":
        return dt.timedelta(seconds=obj["seconds"])
    if kind == "bytes":
        return base64.b64decode(obj["base64"])
    return obj


def decode(text: str) -> Any:
    """A trytond JSON answer with its tagged objects turned back into Python values."""
    return json.loads(text, object_hook=_object_hook)


class _SessionExpired(Exception):
    """A 401 on a model call: log in again and repeat."""


class _Transient(Exception):
    """A failure worth another try; `reason` is shown when the tries run out."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class TrytonRpc:
    """One user session with one Tryton database (login on first call)."""

    def __init__(
        self,
        settings: TrytonSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self._http = httpx.Client(timeout=settings.timeout, transport=transport)
        self._policy = RetryPolicy(max_attempts=settings.max_attempts, base=0.5, cap=10.0)
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._authorization: str | None = None
        self._logging_in = False  # a 401 while logging in is final, never a re-login
        self._context: dict[str, Any] | None = None
        #: Calls sent, by "model.method" (tests count them; logins included).
        self.calls: dict[str, int] = {}

    # -- public ---------------------------------------------------------------

    @property
    def context(self) -> dict[str, Any]:
        """The user's preferences (company, language…), the base of every call's context."""
        if self._context is None:
            self.login()
        assert self._context is not None
        return self._context

    def login(self) -> None:
        """Open a session and read the user context; checks the modules the connector needs."""
        self._logging_in = True
        try:
            self._login()
        finally:
            self._logging_in = False

    def _login(self) -> None:
        settings = self.settings
        params = [
            settings.user,
            {"password": settings.password.get_secret_value()},
            settings.language,
        ]
        result = self._with_retries("common.db.login", params, authorized=False)
        if not isinstance(result, list) or len(result) < 2:
            raise ConfigError(
                f"Tryton at {settings.url} answered the login of {settings.user!r} with "
                f"{type(result).__name__}; is this a trytond 8 server?"
            )
        user_id, session = result[0], result[1]
        token = base64.b64encode(f"{settings.user}:{user_id}:{session}".encode()).decode()
        self._authorization = f"Session {token}"
        preferences = self._with_retries("model.res.user.get_preferences", [True, {}])
        self._context = dict(preferences)
        self._check_modules()

    def call(
        self, model: str, method: str, *args: Any, context: dict[str, Any] | None = None
    ) -> Any:
        """`model.<model>.<method>(*args, context)`; the user context is merged under `context`."""
        merged = {**self.context, **(context or {})}
        return self._with_retries(f"model.{model}.{method}", [*args, merged])

    def run_wizard(self, wizard: str, model: str, record_id: int, state: str, data: Any) -> Any:
        """Run one button of a Tryton wizard on one record, as the client does.

        `data` maps each view state to its form values, or is a function of
        the first state's defaults returning them (the form is filled from
        what Tryton proposes).  The wizard session is deleted afterwards.
        """
        context = {
            **self.context,
            "active_id": record_id,
            "active_ids": [record_id],
            "active_model": model,
        }
        session, start, _end = self._with_retries(f"wizard.{wizard}.create", [self.context])
        try:
            if callable(data):
                shown = self._with_retries(
                    f"wizard.{wizard}.execute", [session, {}, start, context]
                )
                data = data(shown["view"]["defaults"])
            return self._with_retries(f"wizard.{wizard}.execute", [session, data, state, context])
        finally:
            self._with_retries(f"wizard.{wizard}.delete", [session, self.context])

    def close(self) -> None:
        self._http.close()

    # -- internals ------------------------------------------------------------

    def _check_modules(self) -> None:
        found = self._with_retries(
            "model.ir.module.search_read",
            [
                [("name", "in", REQUIRED_MODULES), ("state", "=", "activated")],
                0,
                None,
                None,
                ["name"],
                self._context,
            ],
        )
        missing = sorted(set(REQUIRED_MODULES) - {row["name"] for row in found})
        if missing:
            raise ConfigError(
                f"the Tryton database {self.settings.database!r} lacks the module(s) "
                f"{', '.join(missing)}; activate them (trytond-admin -u {' '.join(missing)} "
                "--activate-dependencies) and retry"
            )

    def _with_retries(self, method: str, params: list[Any], authorized: bool = True) -> Any:
        attempt = 0
        relogged = False
        while True:
            attempt += 1
            try:
                return self._send(method, params, authorized)
            except _SessionExpired:
                if relogged or not authorized or self._logging_in:
                    raise ConfigError(
                        f"Tryton refused the session of user {self.settings.user!r} right after "
                        "login; check the user's access rights"
                    ) from None
                relogged = True
                attempt -= 1
                log.info("tryton session expired; logging in again")
                self.login()
            except _Transient as exc:
                if not self._policy.can_retry(attempt):
                    raise PosUnavailable(
                        f"Tryton {method} failed {attempt} times: {exc.reason}"
                    ) from None
                delay = self._policy.delay_for(attempt, exc.retry_after, self._rng)
                log.warning("tryton %s: %s; retrying in %.1f s", method, exc.reason, delay)
                self._sleep(delay)

    def _send(self, method: str, params: list[Any], authorized: bool) -> Any:
        self.calls[method] = self.calls.get(method, 0) + 1
        headers = {"Content-Type": "application/json"}
        if authorized:
            if self._authorization is None:
                self.login()
            assert self._authorization is not None
            headers["Authorization"] = self._authorization
        body = json.dumps({"id": 1, "method": method, "params": encode(params)})
        try:
            answer = self._http.post(self.settings.rpc_url, content=body, headers=headers)
        except httpx.TimeoutException:
            raise _Transient(f"no answer within {self.settings.timeout} s") from None
        except httpx.HTTPError as exc:
            raise _Transient(
                f"cannot reach {self.settings.url}: {exc.__class__.__name__}"
            ) from None
        return self._result(method, answer, authorized)

    def _result(self, method: str, answer: httpx.Response, authorized: bool) -> Any:
        status = answer.status_code
        if status == 401:
            if not authorized:
                raise ConfigError(
                    f"Tryton refused the login of user {self.settings.user!r} on database "
                    f"{self.settings.database!r}: check user and password (password_file)"
                )
            raise _SessionExpired
        if status == 404:
            raise ConfigError(
                f"Tryton at {self.settings.url} has no database {self.settings.database!r} "
                "(HTTP 404); check the database name, and that trytond serves it "
                "(TRYTOND_DATABASE_NAMES)"
            )
        if status == 429:
            raise _Transient("too many login attempts (HTTP 429)", _retry_after(answer))
        if status == 503:
            # trytond answers 503 after its own retries of a locked database; on SQLite the
            # same 503 also hides a too-large create/write (see settings.write_batch).
            raise _Transient("HTTP 503 (database locked or busy)", _retry_after(answer))
        if status >= 500:
            raise _Transient(f"HTTP {status}")
        if status != 200:
            raise PosRejected(f"Tryton answered {method} with HTTP {status}")
        try:
            payload = decode(answer.text)
        except ValueError:
            raise PosRejected(f"Tryton answered {method} with something that is not JSON") from None
        if "error" in payload:
            self._raise_error(method, payload["error"])
        return payload.get("result")

    def _raise_error(self, method: str, error: Any) -> None:
        name, details = (error[0], error[1]) if isinstance(error, list) and error else (error, None)
        if name in _TRANSIENT_ERRORS:
            raise _Transient(f"{name} (a concurrent write)")
        if name in ("UserError", "UserWarning") and isinstance(details, list) and details:
            message = " ".join(str(part) for part in details[:2] if part)
            raise PosRejected(f"Tryton refused {method}: {message}")
        if isinstance(name, str) and name.startswith("'") and method.startswith("model."):
            # trytond reports an unknown model or method as a bare KeyError
            raise ConfigError(
                f"Tryton has no {method.removeprefix('model.')} ({name}); a module is not "
                "activated in this database"
            )
        raise PosRejected(f"Tryton failed {method}: {name}")


def _retry_after(answer: httpx.Response) -> float | None:
    value = answer.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
