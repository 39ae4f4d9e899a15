"""The webhook receiver's per-store rate limit (the `limits` library, moving window, in memory).

Every request to ``/webhooks/woocommerce/<store>`` counts against that store's
``webhook_rate_per_minute``, before its body is read or its signature checked,
so a flood costs no HMAC and no memory.  A refused delivery is answered 429;
the store's next orders run reads the change from WooCommerce anyway, so a
refused genuine delivery delays a change, it does not lose it.
"""

from __future__ import annotations

import time

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

__all__ = ["StoreRateLimit"]


class StoreRateLimit:
    """Deliveries per store per minute, for one process."""

    def __init__(self) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, store: str, per_minute: int) -> float:
        """Count one request; 0 if it is within the limit, else seconds to wait."""
        item = RateLimitItemPerMinute(per_minute)
        if self._limiter.hit(item, "webhooks", store):
            return 0.0
        reset_at = self._limiter.get_window_stats(item, "webhooks", store).reset_time
        return max(1.0, reset_at - time.time())
