"""Tryton's sale arithmetic, and the unit price that makes it reproduce WooCommerce's figures.

Tryton computes a sale line's amount as ``round(quantity * unit_price)`` and,
with the company's tax rounding set to *per line*, its tax as
``round(quantity * unit_price * rate)``, both rounded half-even to the cent
(`currency.round`), while the unit price itself keeps 4 decimals.
WooCommerce rounds each line's tax half up from the exact line total. The
two agree on most lines with ``unit = net / quantity`` at 4 decimals, and
on the rest (a half-cent tax, a quantity the 4 decimals cannot divide) a
unit price a few ten-thousandths away gives Tryton the same net *and* the
same tax. `unit_price_for` searches for it. Below 50 units such a price
always exists (a step of the 4th decimal moves the amount by less than the
half-cent the rounding leaves open); above, it may not, and the writer's
read-back of Tryton's own totals, which stays the authority, shows the cent.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

__all__ = ["PRICE_DIGITS", "line_amount", "line_tax", "unit_price_for"]

PRICE_DIGITS = Decimal("0.0001")  # Tryton's sale line unit prices keep 4 decimals
_CENT = Decimal("0.01")
#: How many ten-thousandths either side of net / quantity are tried: far more than
#: a cent's rounding ever needs, small enough to stay within the line's cent.
_SEARCH = 50


def _round(amount: Decimal) -> Decimal:
    return amount.quantize(_CENT, rounding=ROUND_HALF_EVEN)


def line_amount(quantity: int, unit_price: Decimal) -> Decimal:
    """The line's untaxed amount as Tryton computes it."""
    return _round(Decimal(quantity) * unit_price)


def line_tax(quantity: int, unit_price: Decimal, rate: Decimal) -> Decimal:
    """The line's tax as Tryton computes it per line; `rate` is a fraction (0.10 for 10 %)."""
    return _round(Decimal(quantity) * unit_price * rate)


def unit_price_for(net: Decimal, tax: Decimal, quantity: int, rate: Decimal | None) -> Decimal:
    """A 4-decimal unit price whose Tryton amount is `net` and Tryton tax is `tax`.

    `quantity` may be negative (a return line) with `net` and `tax` negative
    too. Without a rate (an untaxed line) only the amount must match. When
    no price in reach gives both, the plain quotient is answered and the
    writer's read-back of Tryton's totals shows the difference.
    """
    if quantity == 0:
        raise ValueError("a sale line needs a quantity other than 0")
    plain = (net / quantity).quantize(PRICE_DIGITS)
    for step in range(_SEARCH + 1):
        for candidate in (plain + step * PRICE_DIGITS, plain - step * PRICE_DIGITS):
            if line_amount(quantity, candidate) != net:
                continue
            if rate is None or line_tax(quantity, candidate, rate) == tax:
                return candidate
    return plain
