"""The WooCommerce wc/v3 adapter: an async, typed, batch-aware, retrying REST client.

Modules, each with one job:

- `connection`: `WooConnection`, the store URL, keys and limits (settings embed it);
- `auth`: Basic over HTTPS, query-string keys, OAuth 1.0a over plain HTTP;
- `errors`: the typed exception tree and the HTTP-to-exception mapping;
- `payloads`, `order_payloads`: pydantic views of products, variations, orders,
  customers, webhooks, errors and batch items, tolerant of real-store quirks;
- `session`: one httpx client with retries, concurrency limits, counters and logs;
- `concurrency`, `throttle`: the adaptive (AIMD) batch concurrency and the gate
  that makes requests wait by it;
- `pagination`, `batch`, `safe_create`: list walks, chunked batches, and
  product creation that never duplicates after a timeout;
- `client_base`, `client`: `WooClient`, the facade the engines use;
- `stats`: request counters; `webhooks`: delivery signature and ping handling.

Example::

    async with WooClient(WooConnection(url=..., consumer_key=..., consumer_secret=...)) as woo:
        products = await woo.find_products_by_skus(["A-1", "B-2"])
"""

from storebridge.woocommerce.auth import WooBasicAuth, WooOAuth1Auth, WooQueryAuth, build_auth
from storebridge.woocommerce.batch import (
    BatchChunk,
    BatchItemError,
    BatchItemSuccess,
    BatchOutcome,
    BatchUnknown,
    plan_chunks,
)
from storebridge.woocommerce.client import WooClient
from storebridge.woocommerce.concurrency import AimdPolicy, ConcurrencyController, ConcurrencyLevel
from storebridge.woocommerce.connection import AuthMode, WooConnection
from storebridge.woocommerce.errors import (
    WooAuthError,
    WooBadRequest,
    WooBatchTooLarge,
    WooDuplicateSku,
    WooError,
    WooInvalidResponse,
    WooNotFound,
    WooRateLimited,
    WooServerError,
    WooTransportError,
    error_from_response,
)
from storebridge.woocommerce.order_payloads import (
    CouponLine,
    FeeLine,
    LineItem,
    LineTax,
    Order,
    OrderRefundSummary,
    ShippingLine,
    TaxLine,
)
from storebridge.woocommerce.params import format_gmt
from storebridge.woocommerce.payloads import (
    Address,
    BatchItemFailure,
    Customer,
    ErrorBody,
    MetaData,
    Product,
    ProductAttribute,
    TermRef,
    Variation,
    Webhook,
    parse_gmt,
    parse_money,
)
from storebridge.woocommerce.safe_create import CreateResult, CreateStatus, sku_key
from storebridge.woocommerce.stats import (
    RequestHook,
    RequestStats,
    StatsSnapshot,
    endpoint_template,
)
from storebridge.woocommerce.webhooks import (
    WebhookHeaders,
    parse_ping,
    parse_webhook_headers,
    verify_signature,
)

__all__ = [
    "Address",
    "AimdPolicy",
    "AuthMode",
    "BatchChunk",
    "BatchItemError",
    "BatchItemFailure",
    "BatchItemSuccess",
    "BatchOutcome",
    "BatchUnknown",
    "ConcurrencyController",
    "ConcurrencyLevel",
    "CouponLine",
    "CreateResult",
    "CreateStatus",
    "Customer",
    "ErrorBody",
    "FeeLine",
    "LineItem",
    "LineTax",
    "MetaData",
    "Order",
    "OrderRefundSummary",
    "Product",
    "ProductAttribute",
    "RequestHook",
    "RequestStats",
    "ShippingLine",
    "StatsSnapshot",
    "TaxLine",
    "TermRef",
    "Variation",
    "Webhook",
    "WebhookHeaders",
    "WooAuthError",
    "WooBadRequest",
    "WooBasicAuth",
    "WooBatchTooLarge",
    "WooClient",
    "WooConnection",
    "WooDuplicateSku",
    "WooError",
    "WooInvalidResponse",
    "WooNotFound",
    "WooOAuth1Auth",
    "WooQueryAuth",
    "WooRateLimited",
    "WooServerError",
    "WooTransportError",
    "build_auth",
    "endpoint_template",
    "error_from_response",
    "format_gmt",
    "parse_gmt",
    "parse_money",
    "parse_ping",
    "parse_webhook_headers",
    "plan_chunks",
    "sku_key",
    "verify_signature",
]
