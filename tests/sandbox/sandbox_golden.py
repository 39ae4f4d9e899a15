"""Replays the golden WooCommerce captures against an in-process sandbox.

The captures (tests/golden/, copied from a real WooCommerce 10.0.2)
form one scripted session: ids created early are reused later. The replayer
sends each request in order through httpx.ASGITransport, learns which
sandbox id stands for which golden id (per id space: posts, users, terms,
order items, meta, notes, webhooks), translates later requests and the
expected bodies into sandbox ids, and drives a ManualClock along the golden
timestamps so dates and sale windows line up to the second. A body is then
compared key by key, key order included.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import httpx

from storebridge.sandbox import (
    DEMO_CONSUMER_KEY,
    DEMO_CONSUMER_SECRET,
    DEMO_READONLY_KEY,
    DEMO_READONLY_SECRET,
    ManualClock,
    SandboxConfig,
    create_sandbox_app,
)

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden"
HTTPS_BASE = "https://127.0.0.1:8443"
HTTP_BASE = "http://127.0.0.1:8080"
API = "/wp-json/wc/v3"

# Keys whose int value (or list of ints) lives in a known id space.
KEY_SPACES = {
    "product_id": "post",
    "variation_id": "post",
    "resource_id": "post",
    "new_draft_order_id": "post",
    "variations": "post",
    "customer_id": "user",
    "webhook_id": "webhook",
    "parent_id": "post",
    "rate_id": "tax_rate",
}
# Keys holding lists of ids (in the space of their container unless KEY_SPACES says).
ID_LISTS = ("variations", "delete", "include", "upsell_ids", "cross_sell_ids")
# Lists whose items carry ids of another space than their container.
LIST_SPACES = {
    "line_items": "order_item",
    "shipping_lines": "order_item",
    "fee_lines": "order_item",
    "coupon_lines": "order_item",
    "tax_lines": "order_item",
    "meta_data": "meta",
    "refunds": "post",
    "categories": "term",
    "tags": "term",
    "images": "post",
    "taxes": "tax_rate",
    "refund_tax": "tax_rate",
}
URL_SPACES = [
    (re.compile(r"(/(?:products|orders|coupons|variations|refunds)/)(\d+)"), "post"),
    (re.compile(r"(/customers/)(\d+)"), "user"),
    (re.compile(r"(/webhooks/)(\d+)"), "webhook"),
    (re.compile(r"(/taxes/)(\d+)"), "tax_rate"),
    (re.compile(r"(/(?:categories|tags)/)(\d+)"), "term"),
    (re.compile(r"(/notes/)(\d+)"), "comment"),
    (re.compile(r"([?&]p=)(\d+)"), "post"),
    (re.compile(r"(order-pay/)(\d+)"), "post"),
    (re.compile(r"(Item #)(\d+)"), "post"),
    (re.compile(r"(^\[)(\d+)(?=,)"), "post"),
]
DATE_KEYS = (
    "date_created_gmt",
    "date_modified_gmt",
    "date_paid_gmt",
    "date_completed_gmt",
)
WEBHOOK_SECRET = "whsec_realwoo_test"


def golden_files() -> list[Path]:
    """Every capture, in replay order."""
    return sorted(GOLDEN_DIR.glob("[0-9][0-9][0-9]-*.json"))


def load(number: int) -> dict[str, Any]:
    """One capture by number."""
    path = next(p for p in golden_files() if p.name.startswith(f"{number:03d}-"))
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def top_space(path: str) -> str:
    """The id space of the resource a request path addresses."""
    segments = [s for s in path.split("?")[0].split("/") if s]
    if "notes" in segments:
        return "comment"
    if segments[:2] in (["products", "categories"], ["products", "tags"]):
        return "term"
    return {"customers": "user", "webhooks": "webhook", "taxes": "tax_rate"}.get(
        segments[0], "post"
    )


@dataclass
class Exchange:
    """What the sandbox answered to one golden request."""

    status: int
    headers: httpx.Headers
    body: Any
    translated_expected: Any = None


@dataclass
class IdMap:
    """Golden id -> sandbox id, per id space."""

    spaces: dict[str, dict[int, int]] = field(default_factory=dict)

    def bind(self, space: str, golden: Any, ours: Any) -> None:
        """Remember a pair (the first sighting wins)."""
        if isinstance(golden, int) and isinstance(ours, int) and golden and ours:
            self.spaces.setdefault(space, {}).setdefault(golden, ours)

    def get(self, space: str, golden: int) -> int:
        """The sandbox id for a golden id (unknown ids stay as they are)."""
        return self.spaces.get(space, {}).get(golden, golden)

    def learn(self, golden: Any, ours: Any, space: str) -> None:
        """Walk two parallel bodies and bind every id pair found."""
        if isinstance(golden, dict) and isinstance(ours, dict):
            for key, value in golden.items():
                if key not in ours:
                    continue
                other = ours[key]
                if key == "id":
                    self.bind(space, value, other)
                elif key in KEY_SPACES:
                    if isinstance(value, list) and isinstance(other, list):
                        for g, o in zip(value, other, strict=False):
                            self.bind(KEY_SPACES[key], g, o)
                    else:
                        self.bind(KEY_SPACES[key], value, other)
                elif key == "value" and golden.get("key") == "_refunded_item_id":
                    self.bind("order_item", _int(value), _int(other))
                elif isinstance(value, dict | list):
                    self.learn(value, other, LIST_SPACES.get(key, space))
        elif isinstance(golden, list) and isinstance(ours, list) and len(golden) == len(ours):
            for g, o in zip(golden, ours, strict=True):
                self.learn(g, o, space)

    def translate(self, value: Any, space: str, key: str | None = None) -> Any:
        """A golden value rewritten with sandbox ids."""
        if isinstance(value, dict):
            result = {}
            for k, v in value.items():
                if (k == "value" and value.get("key") == "_refunded_item_id") or (
                    k == "display_value" and value.get("key") == "_refunded_item_id"
                ):
                    result[k] = str(self.get("order_item", _int(v)))
                else:
                    result[k] = self.translate(v, LIST_SPACES.get(k, space), k)
            return result
        if isinstance(value, list):
            if key in ID_LISTS:
                item_space = KEY_SPACES.get(key, space)
                return [
                    self.get(item_space, v) if type(v) is int else self.translate(v, space)
                    for v in value
                ]
            return [self.translate(v, space) for v in value]
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            if key == "id":
                return self.get(space, value)
            if key in KEY_SPACES:
                return self.get(KEY_SPACES[key], value)
            return value
        if isinstance(value, str):
            if key == "number" and value.isdigit():
                return str(self.get("post", int(value)))
            return self.translate_text(value)
        return value

    def translate_text(self, text: str) -> str:
        """Rewrite ids inside URLs and texts."""
        for pattern, space in URL_SPACES:
            text = pattern.sub(
                lambda m, s=space: m.group(1) + str(self.get(s, int(m.group(2)))), text
            )
        return text


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def golden_moment(body: Any) -> datetime | None:
    """The latest server-side timestamp a golden body reveals."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if (key in DATE_KEYS and isinstance(value, str)) or (
                    key == "date_created"
                    and "date_created_gmt" not in node
                    and isinstance(value, str)
                ):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(body)
    if not found:
        return None
    return datetime.strptime(max(found), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)


class GoldenReplay:
    """Runs the whole golden session once and keeps every answer."""

    def __init__(self) -> None:
        self.clock = ManualClock(datetime(2026, 11, 26, 19, 27, 15, tzinfo=UTC))
        self.delivered: list[httpx.Request] = []
        self.app = create_sandbox_app(
            SandboxConfig(webhook_auto_deliver=False),
            clock=self.clock,
            webhook_transport=httpx.MockTransport(self._receive),
        )
        self.sandbox = self.app.state.sandbox
        self.ids = IdMap()
        self.results: dict[int, Exchange] = {}
        self.deliveries: list[dict[str, Any]] = []

    def _receive(self, request: httpx.Request) -> httpx.Response:
        self.delivered.append(request)
        return httpx.Response(200)

    def run(self) -> None:
        """Replay every capture in order."""
        captures = [(int(p.name[:3]), json.loads(p.read_text())) for p in golden_files()]
        for index, (number, data) in enumerate(captures):
            if data.get("delivery") is not None:
                self._deliveries_due(captures)
                continue
            self._advance_clock(data["response"]["body"])
            following = captures[index + 1][1] if index + 1 < len(captures) else {}
            if data["request"]["method"] != "GET" and _is_get(following):
                # A write answering with the state before it (DELETE) hides its own time;
                # the GET right after it shows it.
                self._advance_clock(following["response"]["body"])
            self.results[number] = asyncio.run(self._send(data))

    def _advance_clock(self, body: Any) -> None:
        moment = golden_moment(body)
        if moment is not None and moment > self.clock():
            self.clock.set(moment)

    def _deliveries_due(self, captures: list[tuple[int, dict[str, Any]]]) -> None:
        """At the first delivery capture, WP-Cron runs: flush at the last received_at."""
        if self.deliveries:
            return
        received = max(
            data["delivery"]["received_at"].rstrip("Z")
            for _, data in captures
            if data.get("delivery") is not None
        )
        self.clock.set(datetime.fromisoformat(received).replace(tzinfo=UTC))
        self.deliveries = self.sandbox.flush_webhooks()

    async def _send(self, data: dict[str, Any]) -> Exchange:
        request = data["request"]
        auth_text = request["auth"]
        base = HTTP_BASE if "plain http" in auth_text else HTTPS_BASE
        space = top_space(request["path"])
        path = self._path(request["path"], space)
        body = request["body"]
        content: bytes | None = None
        headers: dict[str, str] = {}
        if isinstance(body, str):
            content = body.encode()
            headers["Content-Type"] = "application/json"
        elif body is not None:
            content = json.dumps(self.ids.translate(body, space)).encode()
            headers["Content-Type"] = "application/json"
        auth: tuple[str, str] | None = (DEMO_CONSUMER_KEY, DEMO_CONSUMER_SECRET)
        if "read-only" in auth_text:
            auth = (DEMO_READONLY_KEY, DEMO_READONLY_SECRET)
        elif "cs_WRONG" in auth_text:
            auth = (DEMO_CONSUMER_KEY, "cs_WRONG")
        elif "ck_UNKNOWN" in auth_text:
            auth = ("ck_UNKNOWN", "cs_UNKNOWN")
        elif auth_text.startswith("none"):
            auth = None
        if auth_text.startswith("OAuth"):
            path = oauth_path(request["method"], base, path)
            auth = None
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url=base) as client:
            response = await client.request(
                request["method"], API + path, content=content, headers=headers
            )
        try:
            answer = response.json()
        except ValueError:
            answer = response.text
        if 200 <= response.status_code < 300 or isinstance(answer, dict):
            self.ids.learn(data["response"]["body"], answer, space)
        return Exchange(response.status_code, response.headers, answer)

    def _path(self, golden_path: str, space: str) -> str:
        path, _, query = golden_path.partition("?")
        path = self.ids.translate_text(path)
        if not query:
            return path
        pairs = []
        for key, value in parse_qsl(query, keep_blank_values=True):
            if key == "include":
                value = ",".join(str(self.ids.get(space, int(v))) for v in value.split(","))
            pairs.append((key, value))
        return f"{path}?{urlencode(pairs, safe=',:')}"

    def expected(self, number: int) -> Any:
        """The golden body of a capture, in sandbox ids."""
        data = load(number)
        return self.ids.translate(data["response"]["body"], top_space(data["request"]["path"]))


def _is_get(capture: dict[str, Any]) -> bool:
    request = capture.get("request")
    return isinstance(request, dict) and request.get("method") == "GET"


def oauth_path(method: str, base: str, path: str) -> str:
    """Sign a path with OAuth 1.0a HMAC-SHA256 parameters in the query string."""
    plain, _, query = path.partition("?")
    params = parse_qsl(query, keep_blank_values=True)
    params = [(k, v) for k, v in params if not k.startswith("oauth_")]
    params += [
        ("oauth_consumer_key", DEMO_CONSUMER_KEY),
        ("oauth_nonce", secrets.token_hex(16)),
        ("oauth_signature_method", "HMAC-SHA256"),
        ("oauth_timestamp", str(int(time.time()))),
    ]

    def enc(text: str) -> str:
        return quote(text, safe="~")

    pairs = sorted(params, key=lambda kv: kv[0].encode())
    normalized = "%26".join(enc(f"{enc(k)}={enc(v)}") for k, v in pairs)
    base_string = f"{method}&{enc(base + API + plain)}&{normalized}"
    key = f"{DEMO_CONSUMER_SECRET}&".encode()
    signature = base64.b64encode(hmac.new(key, base_string.encode(), sha256).digest()).decode()
    params.append(("oauth_signature", signature))
    return f"{plain}?{urlencode(params)}"


def differences(expected: Any, actual: Any, path: str = "", *, ordered: bool = True) -> list[str]:
    """Every place where two JSON values differ (dict key order included when `ordered`)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        problems = []
        if (list(expected) if ordered else sorted(expected)) != (
            list(actual) if ordered else sorted(actual)
        ):
            problems.append(f"{path or '<root>'}: keys {list(expected)} != {list(actual)}")
        for key in expected:
            if key in actual:
                problems.extend(
                    differences(expected[key], actual[key], f"{path}.{key}", ordered=ordered)
                )
        return problems
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: {len(expected)} items != {len(actual)} items"]
        problems = []
        for index, (e, a) in enumerate(zip(expected, actual, strict=True)):
            problems.extend(differences(e, a, f"{path}[{index}]", ordered=ordered))
        return problems
    if expected != actual or type(expected) is not type(actual):
        return [f"{path}: {expected!r} != {actual!r}"]
    return []
