"""The Charts page: each store's requests, writes, errors and stock pushes over 24 h or 7 days.

Drawn on the server as inline SVG (`web.charts`) from the run log and the
stock history (`views.charts`); a SKU's stock chart is on its product page.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from storebridge.persistence.types import utcnow
from storebridge.web.deps import ServicesDep, UserDep, render
from storebridge.web.views.charts import WINDOWS, activity_charts

router = APIRouter()


@router.get("/charts", response_class=HTMLResponse)
async def charts(
    request: Request,
    services: ServicesDep,
    _user: UserDep,
    store: str | None = None,
    window: str = "24h",
) -> HTMLResponse:
    """Activity charts per store over `window` (``24h`` or ``7d``)."""
    if window not in WINDOWS:
        raise HTTPException(404, f"no chart window {window!r}: use 24h or 7d")
    if store and store not in services.stores:
        raise HTTPException(404, f"no store named {store!r}")
    names = [store] if store else services.store_names()
    now = utcnow()
    with services.sessions() as session:
        drawn = {
            name: activity_charts(session, store=name, window=WINDOWS[window], now=now)
            for name in names
        }
    return render(
        request,
        "charts.html",
        charts=drawn,
        store=store,
        window=window,
        windows=list(WINDOWS),
        stores=services.store_names(),
        at=now,
    )
