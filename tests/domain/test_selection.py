"""Selection modes flag | webstore | all (design.md §3)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storebridge.domain.model import RawItem, SourceRef
from storebridge.domain.selection import Selection, is_flag_set, select


def raw(**fields: object) -> RawItem:
    return RawItem(ref=SourceRef("t"), sku="A", regular_price="10", **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value", ["1", "true", "TRUE", "yes", "Y", "x", "X", " web ", "Web", True, 1, 1.0]
)
def test_truthy_flag_spellings_select_the_item(value: object) -> None:
    assert is_flag_set(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [None, "", "0", "no", "false", "n", "-", False, 0, 2])
def test_other_flag_values_do_not_select_the_item(value: object) -> None:
    assert not is_flag_set(value)  # type: ignore[arg-type]


def test_flag_mode_uses_the_regular_price() -> None:
    chosen = select(raw(web_flag="y"), Selection("flag"))
    assert (chosen.selected, chosen.price) == (True, "10")


def test_webstore_mode_selects_items_in_the_store_and_uses_its_price() -> None:
    item = raw(webstore_prices={"Online": Decimal("8.5"), "Outlet": "5"})
    chosen = select(item, Selection("webstore", "Online"))
    assert (chosen.selected, chosen.price) == (True, Decimal("8.5"))
    assert not select(item, Selection("webstore", "Marketplace")).selected


def test_all_mode_selects_everything_whatever_the_flag() -> None:
    assert select(raw(web_flag="no"), Selection("all")).selected


def test_misconfigured_selections_are_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="needs the web store's name"):
        Selection("webstore")
    with pytest.raises(ValueError, match="only used by selection mode 'webstore'"):
        Selection("flag", "Online")
    with pytest.raises(ValueError, match="unknown selection mode"):
        Selection("some")  # type: ignore[arg-type]
