"""Charts: figures per time bucket from the run log and stock history, drawn as inline SVG."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from tests.web.web_support import WebWorld

from storebridge.persistence.repositories import links, runs
from storebridge.persistence.tables import StockHistory
from storebridge.persistence.types import utcnow
from storebridge.web.charts import bar_chart, nice_top, stock_chart
from storebridge.web.views.charts import WINDOWS, activity_charts, buckets

_BAR = re.compile(r'<rect class="bar"[^>]*data-start="([^"]+)" data-value="(\d+)"')
_POINT = re.compile(
    r'<circle class="point[^"]*"[^>]*data-at="([^"]+)"\s+data-on-hand="(\d+)"\s+'
    r'data-allocated="(\d+)"\s+data-safety="(\d+)"\s+data-available="(\d+)"\s+data-pushed="(yes|no)"'
)


def _chart(html: str, store: str, metric: str) -> dict[datetime, int]:
    """The bars of one chart of one store: bucket start -> value."""
    section = html.split(f'<section class="store-charts" data-store="{store}">', 1)[1]
    figure = section.split(f'data-chart="{metric}"', 1)[1].split("</figure>", 1)[0]
    return {datetime.fromisoformat(start): int(value) for start, value in _BAR.findall(figure)}


def _run(world: WebWorld, store: str, at: datetime, **fields: object) -> None:
    with world.services.sessions.begin() as session:
        row = runs.start_run(session, store=store, job="products", now=at)
        runs.finish_run(session, run_id=row.id, outcome="ok", now=at, **fields)  # type: ignore[arg-type]


def _figure(at: datetime, on_hand: int, allocated: int, safety: int, pushed: bool) -> StockHistory:
    return StockHistory(
        store="main", sku_key="mug-blue", on_hand=on_hand, allocated=allocated, safety=safety,
        available=max(0, on_hand - allocated - safety), pushed=pushed, reason="test", at=at,
    )  # fmt: skip


async def test_the_24h_charts_count_requests_writes_errors_and_pushes_per_hour(
    world: WebWorld,
) -> None:
    now = utcnow()
    hours = buckets(WINDOWS["24h"], now)
    this_hour, two_ago = hours[-1], hours[-3]
    _run(
        world, "main", this_hour + timedelta(seconds=1),
        counts={"api_requests": 12, "api_errors": 2},
        requests={"GET /products": 9, "POST /products/batch": 3},
    )  # fmt: skip
    _run(
        world, "main", two_ago + timedelta(minutes=5), counts={}, requests={"PUT /products/<id>": 4}
    )
    _run(world, "main", this_hour - timedelta(days=2), counts={"api_requests": 99})  # too old
    _run(world, "outlet", this_hour, counts={"api_requests": 50})  # another store
    with world.services.sessions.begin() as session:
        session.add_all(
            [
                _figure(this_hour + timedelta(seconds=2), 10, 0, 1, pushed=True),
                _figure(this_hour + timedelta(seconds=3), 9, 0, 1, pushed=True),
                _figure(this_hour + timedelta(seconds=4), 9, 0, 1, pushed=False),  # not pushed
                _figure(two_ago + timedelta(minutes=1), 11, 0, 1, pushed=True),
            ]
        )
    await world.login()

    html = (await world.client.get("/charts?store=main&window=24h")).text

    expected = {"requests": (12, 4), "writes": (3, 4), "errors": (2, 0), "pushes": (2, 1)}
    for metric, (now_value, earlier) in expected.items():
        bars = _chart(html, "main", metric)
        assert list(bars) == hours, metric
        assert bars[this_hour] == now_value, metric
        assert bars[two_ago] == earlier, metric
        assert sum(bars.values()) == now_value + earlier, metric
    assert 'data-store="outlet"' not in html  # one store asked for
    everything = (await world.client.get("/charts")).text
    assert _chart(everything, "outlet", "requests")[hours[-1]] == 50


async def test_the_7d_charts_count_per_day(world: WebWorld) -> None:
    now = utcnow()
    days = buckets(WINDOWS["7d"], now)
    _run(world, "main", days[0] + timedelta(hours=1), counts={"api_requests": 5, "api_errors": 1})
    _run(world, "main", days[-1], counts={"api_requests": 7})
    await world.login()

    html = (await world.client.get("/charts?window=7d&store=main")).text

    bars = _chart(html, "main", "requests")
    assert list(bars) == days and len(days) == 7
    assert bars[days[0]] == 5 and bars[days[-1]] == 7 and sum(bars.values()) == 12
    assert _chart(html, "main", "errors")[days[0]] == 1
    assert (await world.client.get("/charts?window=1y")).status_code == 404
    assert (await world.client.get("/charts?store=nope")).status_code == 404


async def test_a_product_page_charts_each_recorded_figure_with_its_terms(world: WebWorld) -> None:
    now = utcnow()
    with world.services.sessions.begin() as session:
        links.upsert_link(
            session, store="main", sku="MUG-BLUE", woo_id=1, kind="simple", origin="created"
        )
        session.add_all(
            [
                _figure(now - timedelta(days=8), 50, 0, 1, pushed=True),  # older than the chart
                _figure(now - timedelta(hours=5), 10, 0, 1, pushed=True),
                _figure(now - timedelta(hours=2), 10, 3, 1, pushed=True),
                _figure(now - timedelta(minutes=1), 12, 3, 1, pushed=False),
            ]
        )  # fmt: skip
    await world.login()

    html = (await world.client.get("/products/main/MUG-BLUE")).text

    points = [
        (int(on_hand), int(held), int(safety), int(available), pushed)
        for _, on_hand, held, safety, available, pushed in _POINT.findall(html)
    ]
    assert points == [(10, 0, 1, 9, "yes"), (10, 3, 1, 6, "yes"), (12, 3, 1, 8, "no")]
    assert html.count('<polyline class="term') == 4
    assert "on-hand 10 \u2212 allocated 3 \u2212 safety 1 = 6 (pushed)</title>" in html


def test_bars_are_as_tall_as_their_share_of_the_scale() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    chart = bar_chart(
        "requests", "t", [(start, 0), (start + timedelta(hours=1), 30), (start, 60)], "%H"
    )

    assert chart.top == 100 and chart.total == 90
    heights = [bar.height for bar in chart.bars]
    assert heights[0] == 0 and heights[2] == 2 * heights[1] > 0
    assert all(bar.y + bar.height == chart.baseline for bar in chart.bars)
    assert [bar.label for bar in chart.bars] == ["00", "01", "00"]


def test_the_scale_tops_at_one_two_or_five_times_a_power_of_ten() -> None:
    assert [nice_top(v) for v in (0, 1, 2, 3, 7, 10, 11, 499, 501)] == [
        1, 1, 2, 5, 10, 10, 20, 500, 1000,
    ]  # fmt: skip


def test_a_stock_chart_holds_each_figure_until_the_next_one() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = start + timedelta(hours=2)
    chart = stock_chart(
        [(start + timedelta(hours=1), 10, 2, 1, 7, True), (start, 10, 0, 1, 9, False)],
        start=start,
        end=end,
    )

    assert [point.available for point in chart.points] == [9, 7]  # sorted by time
    first, second = chart.points
    assert first.x < second.x and second.y > first.y  # 7 is drawn lower than 9
    steps = chart.lines["available"].split()
    # Flat at 9 until the second figure, a step down to 7, flat until the end.
    assert steps[0].split(",")[1] == steps[1].split(",")[1] == str(first.y)
    assert steps[-1].split(",")[1] == str(second.y)
    assert float(steps[-1].split(",")[0]) == chart.width


def test_a_stock_chart_without_figures_draws_nothing() -> None:
    moment = datetime(2026, 1, 1, tzinfo=UTC)

    chart = stock_chart([], start=moment, end=moment)

    assert chart.points == () and set(chart.lines.values()) == {""} and chart.top == 1


def test_the_run_figures_are_summed_alike_on_sqlite_and_postgresql(migrated_db_url: str) -> None:
    engine = create_engine(migrated_db_url)
    now = utcnow()
    hour = buckets(WINDOWS["24h"], now)[-1]
    with Session(engine) as session, session.begin():
        for counts, requests in (
            ({"api_requests": 5, "api_errors": 1}, {"GET /orders": 5}),  # idle: summed in SQL
            ({"api_requests": 7}, {"GET /products": 4, "POST /products/batch": 3}),  # writes
            ({}, {"GET /products": 2, "DELETE /webhooks/<id>": 1}),  # a CLI run: no runner counts
        ):
            row = runs.start_run(session, store="main", job="products", now=hour)
            runs.finish_run(
                session, run_id=row.id, outcome="ok", counts=counts, requests=requests, now=hour
            )
    try:
        with Session(engine) as session:
            charts = activity_charts(session, store="main", window=WINDOWS["24h"], now=now)
    finally:
        engine.dispose()

    last = {metric: chart.bars[-1].value for metric, chart in charts.items()}
    assert last == {"requests": 5 + 7 + 3, "errors": 1, "writes": 3 + 1, "pushes": 0}
