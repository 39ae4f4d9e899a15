"""Whether the POS's prices and WooCommerce's price entry agree about tax.

StoreBridge sends POS prices to WooCommerce unchanged. A POS that keeps
gross prices (tax included) feeding a store that enters prices without tax
makes shoppers pay the tax on top of a price that already holds it; the
reverse under-charges. Each store therefore declares its POS's basis
(`pos_prices`), and `storebridge plan` compares it with the store's
``woocommerce_prices_include_tax`` setting.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["PriceBasis", "price_basis_warning", "price_entry_mismatch"]

PriceBasis = Literal["gross", "net"]

_ENTERED = {True: "with tax (gross)", False: "without tax (net)"}


def price_basis_warning(pos_prices: PriceBasis | None, store_includes_tax: bool) -> str | None:
    """A sentence for the operator when the two disagree or the POS basis is undeclared."""
    store_basis: PriceBasis = "gross" if store_includes_tax else "net"
    entered = _ENTERED[store_includes_tax]
    if pos_prices is None:
        return (
            f"pos_prices is not set; WooCommerce enters prices {entered}. Set "
            f'pos_prices = "{store_basis}" in the store\'s table if the POS prices are '
            f"{store_basis} too, or change WooCommerce → Settings → Tax → Prices entered with tax"
        )
    if pos_prices != store_basis:
        return (
            f"the POS prices are {pos_prices} (pos_prices) but WooCommerce enters prices "
            f"{entered} (woocommerce_prices_include_tax = "
            f"{'yes' if store_includes_tax else 'no'}): shoppers would be "
            f"{'charged the tax twice' if pos_prices == 'gross' else 'charged no tax on it'}. "
            "Change WooCommerce → Settings → Tax → Prices entered with tax, or pos_prices"
        )
    return None


def price_entry_mismatch(pos_prices: PriceBasis | None, tax_settings: object) -> str | None:
    """The warning for a store, from its declared basis and WooCommerce's tax settings.

    `tax_settings` is the body of ``GET /settings/tax`` as WooCommerce answers
    it (a list of ``{"id": ..., "value": ...}``), so `storebridge plan` and
    `storebridge doctor` judge the same answer the same way; a body that does
    not say whether prices are entered with tax is a warning too.
    """
    entries = tax_settings if isinstance(tax_settings, list) else []
    value = next(
        (
            entry.get("value")
            for entry in entries
            if isinstance(entry, dict) and entry.get("id") == "woocommerce_prices_include_tax"
        ),
        None,
    )
    if value not in ("yes", "no"):
        return (
            "WooCommerce's tax settings (GET /settings/tax) do not say whether prices are "
            "entered with tax (woocommerce_prices_include_tax)"
        )
    return price_basis_warning(pos_prices, value == "yes")
