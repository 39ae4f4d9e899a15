"""The order mapper: a WooCommerce order (or refund) -> the document the POS/ERP receives.

Pure functions, no I/O.  `map_order` turns a wc/v3 order into a balanced
`OrderDocument` (design.md §5): product lines (SKU, name, quantity, unit
price after line discounts, subtotal, total, tax), shipping and fee lines,
coupon codes, order-level discount and tax totals, payment method and
transaction id, customer note, number and dates, and the customer with both
addresses.  Credits for an exported order (a refund, or a cancellation) are
built here too (`credit_for_refund`, `credit_for_cancel`).

How WooCommerce's numbers add up (golden 059/065): line ``total`` is after
coupons and before tax, so coupon discounts are already inside the lines, and
``total = Σ line totals + Σ shipping totals + Σ fee totals + total_tax``.
`map_order` checks that equation to the cent and raises `TotalsMismatch`
naming the difference rather than send the POS a document that does not
balance.

A line whose SKU the POS does not know (or a line without a SKU, left by a
deleted product) is exported as a non-inventory line: ``known_to_pos`` is
False and the document carries the flag ``unknown_sku:<sku>`` (or
``no_sku:<line id>``), so the dashboard can show it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from decimal import Decimal

from pydantic import Field

from storebridge.domain.model import (
    Address,
    ChargeLine,
    CreditDocument,
    CustomerDoc,
    DocLine,
    OrderDocument,
    money,
    sku_key,
)
from storebridge.errors import ExportError, TotalsMismatch
from storebridge.woocommerce import Address as WooAddress
from storebridge.woocommerce import LineItem, Order
from storebridge.woocommerce.payloads import GmtDateTime, Money, WooModel

__all__ = [
    "Refund",
    "credit_for_cancel",
    "credit_for_refund",
    "credit_key",
    "customer_of",
    "map_order",
    "normalise_email",
    "order_key",
    "order_skus",
]

_ZERO = Decimal("0.00")


class Refund(WooModel):
    """A refund as `GET /orders/<id>/refunds` renders it (lines carry negative quantities)."""

    id: int
    reason: str | None = None
    amount: Money = None
    date_created_gmt: GmtDateTime = None
    line_items: list[LineItem] = Field(default_factory=list)


def order_key(store: str, order_id: int) -> str:
    """The idempotency key of an order's POS document: ``"<store>:<order id>"``."""
    return f"{store}:{order_id}"


def credit_key(store: str, order_id: int, refund_id: int | None) -> str:
    """The key of a credit: ``"<store>:<order>:credit:<refund id>"``, or ``...:credit:cancel``."""
    suffix = "cancel" if refund_id is None else str(refund_id)
    return f"{order_key(store, order_id)}:credit:{suffix}"


def normalise_email(raw: str | None) -> str:
    """An e-mail as customers are matched by: trimmed and lower-cased ("" when absent)."""
    return (raw or "").strip().lower()


def _address(source: WooAddress) -> Address:
    return Address(
        first_name=source.first_name.strip(),
        last_name=source.last_name.strip(),
        company=source.company.strip(),
        address_1=source.address_1.strip(),
        address_2=source.address_2.strip(),
        city=source.city.strip(),
        state=source.state.strip(),
        postcode=source.postcode.strip(),
        country=source.country.strip(),
        email=normalise_email(source.email),
        phone=source.phone.strip(),
    )


def customer_of(order: Order) -> CustomerDoc:
    """The order's customer; a guest checkout has ``woo_customer_id == 0``.

    The name comes from the billing address, else from the shipping one (an
    order created for a registered customer may carry no billing name).
    """
    billing, shipping = _address(order.billing), _address(order.shipping)
    first = billing.first_name or shipping.first_name
    last = billing.last_name or shipping.last_name
    return CustomerDoc(
        email=billing.email,
        first_name=first,
        last_name=last,
        billing=billing,
        shipping=shipping,
        woo_customer_id=order.customer_id,
        phone=billing.phone or shipping.phone,
    )


def _amount(value: Decimal | None) -> Decimal:
    return _ZERO if value is None else money(value)


def order_skus(order: Order) -> list[str]:
    """The SKUs the order's product lines name, in line order, without blanks."""
    return [line.sku for line in order.line_items if line.sku and line.sku.strip()]


def _unit_price(total: Decimal, quantity: int) -> Decimal:
    return money(total / quantity) if quantity > 0 else total


def _doc_line(line: LineItem, known: Collection[str]) -> tuple[DocLine, str | None]:
    sku = line.sku.strip() if line.sku and line.sku.strip() else None
    total = _amount(line.total)
    subtotal = _amount(line.subtotal) if line.subtotal is not None else total
    is_known = sku is not None and sku_key(sku) in known
    flag = None
    if sku is None:
        flag = f"no_sku:{line.id}"
    elif not is_known:
        flag = f"unknown_sku:{sku}"
    doc = DocLine(
        sku=sku,
        name=line.name,
        quantity=line.quantity,
        unit_price=_unit_price(total, line.quantity),
        subtotal=subtotal,
        total=total,
        tax=_amount(line.total_tax),
        woo_line_id=line.id,
        known_to_pos=is_known,
    )
    return doc, flag


def _charges(order: Order) -> tuple[ChargeLine, ...]:
    shipping = (
        ChargeLine(
            "shipping",
            line.method_title or line.method_id or "Shipping",
            _amount(line.total),
            _amount(line.total_tax),
            method_id=line.method_id,
        )
        for line in order.shipping_lines
    )
    fees = (
        ChargeLine("fee", line.name or "Fee", _amount(line.total), _amount(line.total_tax))
        for line in order.fee_lines
    )
    return (*shipping, *fees)


def _required_total(order: Order) -> Decimal:
    if order.total is None:
        raise ExportError(
            f"order {order.id} has no total; read it again from WooCommerce, then retry or skip"
        )
    return money(order.total)


def map_order(order: Order, *, store: str, known_skus: Collection[str]) -> OrderDocument:
    """The POS document of `order`, balanced to the cent.

    Args:
        order: the order as WooCommerce renders it (or as the ledger stored it).
        store: the store name (first part of the idempotency key).
        known_skus: SKU keys (`domain.model.sku_key`) the POS knows.

    Raises:
        TotalsMismatch: lines + shipping + fees + taxes differ from the order total.
        ExportError: the order lacks its total or creation date.
    """
    known = {sku_key(sku) for sku in known_skus}
    lines: list[DocLine] = []
    flags: list[str] = []
    for item in order.line_items:
        line, flag = _doc_line(item, known)
        lines.append(line)
        if flag is not None and flag not in flags:
            flags.append(flag)
    charges = _charges(order)
    line_taxes = sum((line.tax for line in lines), _ZERO) + sum((c.tax for c in charges), _ZERO)
    # WooCommerce may round tax per order rather than per line: its own total_tax is the
    # figure that adds up to the order total.
    tax_total = line_taxes if order.total_tax is None else money(order.total_tax)
    total = _required_total(order)
    computed = (
        sum((line.total for line in lines), _ZERO)
        + sum((charge.total for charge in charges), _ZERO)
        + tax_total
    )
    if computed != total:
        raise TotalsMismatch(order.id, total, computed)
    created = order.date_created_gmt or order.date_modified_gmt
    if created is None:
        raise ExportError(
            f"order {order.id} has no creation date; read it again from WooCommerce, then "
            "retry or skip"
        )
    return OrderDocument(
        idempotency_key=order_key(store, order.id),
        store=store,
        woo_order_id=order.id,
        number=order.number or str(order.id),
        status=order.status,
        created_at=created,
        completed_at=order.date_completed_gmt,
        currency=order.currency,
        customer=customer_of(order),
        lines=tuple(lines),
        charges=charges,
        coupons=tuple(coupon.code for coupon in order.coupon_lines if coupon.code),
        discount_total=_amount(order.discount_total),
        discount_tax=_amount(order.discount_tax),
        tax_total=tax_total,
        total=total,
        prices_include_tax=order.prices_include_tax,
        payment_method=order.payment_method,
        payment_method_title=order.payment_method_title,
        transaction_id=order.transaction_id,
        customer_note=order.customer_note,
        flags=tuple(flags),
    )


def _refunded_item_id(line: LineItem) -> int | None:
    raw = line.meta_value("_refunded_item_id")
    try:
        return None if raw is None else int(str(raw))
    except ValueError:
        return None


def _credit_line(line: LineItem, original: LineItem | None) -> DocLine:
    quantity = abs(line.quantity)
    total = abs(_amount(line.total))
    # The ledger keeps the SKU it resolved when it first saw the order; a refund line
    # renders the *current* product's SKU, which may be gone.
    source_sku = original.sku if original is not None and original.sku else line.sku
    sku = source_sku.strip() if source_sku and source_sku.strip() else None
    return DocLine(
        sku=sku,
        name=line.name or (original.name if original is not None else ""),
        quantity=quantity,
        unit_price=_unit_price(total, quantity),
        subtotal=abs(_amount(line.subtotal)) if line.subtotal is not None else total,
        total=total,
        tax=abs(_amount(line.total_tax)),
        woo_line_id=original.id if original is not None else line.id,
        known_to_pos=sku is not None,
    )


def credit_for_refund(
    order: Order, refund: Refund, *, store: str, original_pos_ref: str, at: datetime
) -> CreditDocument:
    """The credit note of one WooCommerce refund of an exported order.

    Its lines are the refund's own lines (units the merchant refunded); a
    refund of an amount only (goodwill, shipping) has no lines and moves no
    stock in the POS.
    """
    by_id = {line.id: line for line in order.line_items}
    lines = tuple(
        _credit_line(line, by_id.get(_refunded_item_id(line) or -1))
        for line in refund.line_items
        if line.quantity != 0 or (line.total or 0) != 0
    )
    amount = refund.amount
    if amount is None:
        amount = sum((abs(line.total) for line in lines), _ZERO)
    return CreditDocument(
        idempotency_key=credit_key(store, order.id, refund.id),
        store=store,
        woo_order_id=order.id,
        original_pos_ref=original_pos_ref,
        reason=(refund.reason or "").strip() or "refund",
        lines=lines,
        total=money(abs(amount)),
        created_at=refund.date_created_gmt or at,
    )


def _refunded_quantities(refunds: Iterable[Refund]) -> dict[int, int]:
    refunded: dict[int, int] = {}
    for refund in refunds:
        for line in refund.line_items:
            original = _refunded_item_id(line)
            if original is not None:
                refunded[original] = refunded.get(original, 0) + abs(line.quantity)
    return refunded


def credit_for_cancel(
    order: Order,
    refunds: Iterable[Refund],
    *,
    store: str,
    original_pos_ref: str,
    at: datetime,
) -> CreditDocument:
    """The credit note of an exported order that was cancelled: what refunds left open.

    Every unit not already credited by a refund comes back, and the amount is
    the order total less what refunds already credited.
    """
    refund_list = list(refunds)
    already = _refunded_quantities(refund_list)
    credited = sum((abs(_amount(r.amount)) for r in refund_list), _ZERO)
    lines: list[DocLine] = []
    for item in order.line_items:
        quantity = item.quantity - already.get(item.id, 0)
        if quantity <= 0:
            continue
        unit = _unit_price(_amount(item.total), item.quantity)
        total = _amount(item.total) if quantity == item.quantity else money(unit * quantity)
        sku = item.sku
        lines.append(
            DocLine(
                sku=sku.strip() if sku and sku.strip() else None,
                name=item.name,
                quantity=quantity,
                unit_price=unit,
                subtotal=total,
                total=total,
                tax=_amount(item.total_tax) if quantity == item.quantity else _ZERO,
                woo_line_id=item.id,
                known_to_pos=bool(sku and sku.strip()),
            )
        )
    remaining = max(_required_total(order) - credited, _ZERO)
    return CreditDocument(
        idempotency_key=credit_key(store, order.id, None),
        store=store,
        woo_order_id=order.id,
        original_pos_ref=original_pos_ref,
        reason="order cancelled",
        lines=tuple(lines),
        total=money(remaining),
        created_at=at,
    )
