"""A synthetic POS catalogue of matrix styles, for the variable-products scenario.

The demo POS draws two or three colours per style; the benchmark needs an
exact shape (1,000 styles x 12 variants), so `StylesPos` generates it: style
``BST-00001`` has variants ``BST-00001-BLK-S`` ... in 3 colours x 4 sizes,
each with its own price and on-hand, deterministically from the style
number.  Only the read side is real: the benchmark never exports orders to
it, and a write says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal

from storebridge.domain.model import CreditDocument, CustomerDoc, OrderDocument, RawItem, SourceRef
from storebridge.errors import PosRejected
from storebridge.ports import WriteReceipt

__all__ = ["COLOURS", "SIZES", "StylesPos", "style_code"]

COLOURS = ("Black", "Navy", "Olive", "Sand", "Rust", "Grey")
SIZES = ("S", "M", "L", "XL", "XXL", "3XL")


def style_code(number: int) -> str:
    """The SKU of style `number` (its variable parent)."""
    return f"BST-{number:05d}"


def _shape(variants: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The colours and sizes whose product is `variants` (3 x 4 for 12)."""
    for sizes in (4, 3, 6, 5, 2, 1):  # a shop's usual size run first
        colours, rest = divmod(variants, sizes)
        if rest == 0 and 1 <= colours <= len(COLOURS):
            return COLOURS[:colours], SIZES[:sizes]
    raise ValueError(f"cannot lay out {variants} variants as colours x sizes")


class StylesPos:
    """A read-only POS holding `styles` matrix styles of `variants` variants each."""

    name = "bench-styles"
    updates_customers = False

    def __init__(self, styles: int, variants: int = 12) -> None:
        self.styles = styles
        self.colours, self.sizes = _shape(variants)

    def read_items(self) -> Iterator[RawItem]:
        """Every variant, style by style."""
        line = 0
        for number in range(1, self.styles + 1):
            parent = style_code(number)
            base = Decimal(20 + number % 60) + Decimal("0.99")
            for colour in self.colours:
                for size in self.sizes:
                    line += 1
                    sku = f"{parent}-{colour[:3].upper()}-{size}"
                    yield RawItem(
                        ref=SourceRef("bench:styles", line, sku),
                        sku=sku,
                        name=f"Bench Tee {number} - {colour} / {size}",
                        regular_price=str(base + (2 if size in ("XXL", "3XL") else 0)),
                        on_hand={"shop": (number + line) % 9},
                        web_flag=True,
                        categories=("Apparel",),
                        parent_code=parent,
                        parent_name=f"Bench Tee {number}",
                        attributes={"Colour": colour, "Size": size},
                    )

    # -- write side: never used by the benchmark ---------------------------------------

    def find_document(self, idempotency_key: str) -> str | None:
        return None

    def known_skus(self, skus: Iterable[str]) -> set[str]:
        return set()

    def upsert_customer(self, customer: CustomerDoc) -> str:
        raise PosRejected("the benchmark styles catalogue takes no customers")

    def write_order(self, document: OrderDocument) -> WriteReceipt:
        raise PosRejected("the benchmark styles catalogue takes no orders")

    def write_credit(self, document: CreditDocument) -> str:
        raise PosRejected("the benchmark styles catalogue takes no credits")

    def close(self) -> None:
        """Nothing to release."""
