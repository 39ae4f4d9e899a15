"""How big each scenario is: the full run, the `--quick` smoke run, and the tests' tiny run.

One frozen `Sizes` value carries every count the scenarios use, so the same
code path runs at 100,000 items for `make bench`, at a few thousand for
`python -m bench --quick`, and at a few hundred in tests/bench.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FULL", "QUICK", "TINY", "Sizes"]


@dataclass(frozen=True, slots=True)
class Sizes:
    """Every count a benchmark run uses."""

    name: str
    #: Catalogue sizes of the first-sync scenario; the last one is the "big" catalogue that
    #: the idle, change, order-burst and reconcile scenarios run on.
    first_sync: tuple[int, ...]
    #: Share of the big catalogue whose price changes (scenario 3).
    price_share: float = 0.01
    #: Share of the big catalogue whose on-hand changes (scenario 3).
    stock_share: float = 0.05
    #: Web orders of the order burst, and the SKUs they spread over (scenario 4).
    orders: int = 1_000
    order_skus: int = 200
    #: Items the naive baseline is measured on, for the first sync and the 1% change walk.
    baseline_sample: int = 1_000
    #: Changed items the delta-fed baseline is measured on.
    baseline_delta_sample: int = 100
    #: Variable products: styles, and variants per style (scenario 8).
    styles: int = 1_000
    variants_per_style: int = 12
    #: The busy day of the oversell simulation (scenario 7).
    oversell_web_orders: int = 2_000
    oversell_store_sales: int = 5_000
    oversell_skus: int = 500

    @property
    def big(self) -> int:
        """The catalogue the follow-up scenarios run on."""
        return self.first_sync[-1]

    def share(self, fraction: float) -> int:
        """`fraction` of the big catalogue, at least one item."""
        return max(1, round(self.big * fraction))


FULL = Sizes(name="full", first_sync=(10_000, 100_000))

QUICK = Sizes(
    name="quick",
    first_sync=(1_000, 5_000),
    orders=200,
    order_skus=40,
    baseline_sample=200,
    baseline_delta_sample=20,
    styles=50,
    oversell_web_orders=400,
    oversell_store_sales=1_000,
    oversell_skus=100,
)

TINY = Sizes(
    name="tiny",
    first_sync=(250,),
    price_share=0.04,
    stock_share=0.2,
    orders=30,
    order_skus=12,
    baseline_sample=20,
    baseline_delta_sample=5,
    styles=3,
    oversell_web_orders=60,
    oversell_store_sales=150,
    oversell_skus=20,
)
