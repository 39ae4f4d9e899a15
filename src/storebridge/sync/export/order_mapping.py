"""The order mapper: a WooCommerce order (or refund) -> the document the POS/ERP receives.

Pure functions, no I/O.  `map_order` turns a wc/v3 order into a balanced
`OrderDocument` (design.md §5): product lines (SKU, name, quantity, unit
price after line discounts, subtotal, total, tax), shipping and fee lines,
coupon codes, order-level discount and tax totals, payment method and
transaction id, customer note, number and dates, and the customer with both
addresses.  Credits for an exported order (a refund, or a cancellation) are
built here too (`credit_for_refund`, `credit_for_cancel`).

How WooCommerce's numbers add up (goldens 059/065, 170-179): a line's
``total`` is net, after coupons, whether the store enters prices with or
without tax, and ``total_tax`` is its tax rounded per line; so each line,
shipping and fee carries net, tax, gross (= net + tax) and the rate (from
the order's ``tax_lines``), and ``total = Σ gross`` and ``total_tax = Σ tax``.
`map_order` checks both equations to the cent and raises `TotalsMismatch`
naming the difference rather than send the POS a document that does not
balance (a store that rounds tax at subtotal level can produce one). Credits
carry the same breakdown and must add up to the refunded amount.

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
    TaxSummary,
    document_sum,
    money,
    sku_key,
)
from storebridge.errors import ExportError, TotalsMismatch
from storebridge.woocommerce import Address as WooAddress
from storebridge.woocommerce import FeeLine, LineItem, LineTax, Order, ShippingLine
from storebridge.woocommerce.payloads import GmtDateTime, HasMeta, Money, WooModel

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
    shipping_lines: list[ShippingLine] = Field(default_factory=list)
    fee_lines: list[FeeLine] = Field(default_factory=list)


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


Rates = dict[int, Decimal]


def _rates(order: Order) -> Rates:
    """rate id -> percent, from the order's tax lines."""
    return {
        tax.rate_id: Decimal(tax.rate_percent)
        for tax in order.tax_lines
        if tax.rate_id and tax.rate_percent is not None
    }


def _rate_of(taxes: list[LineTax], tax: Decimal, net: Decimal, rates: Rates) -> Decimal:
    """A line's tax rate in percent: the sum of the rates that taxed it.

    A line taxed by a rate the order does not describe gets its effective
    rate (tax / net), to 4 decimals, so the POS still sees a figure.
    """
    used = [t.id for t in taxes if t.total is not None and t.total != 0]
    if used and all(rate_id in rates for rate_id in used):
        return sum((rates[rate_id] for rate_id in used), Decimal(0))
    if tax == 0 or net == 0:
        return Decimal(0)
    return (tax / net * 100).quantize(Decimal("0.0001"))


def _doc_line(line: LineItem, known: Collection[str], rates: Rates) -> tuple[DocLine, str | None]:
    sku = line.sku.strip() if line.sku and line.sku.strip() else None
    total = _amount(line.total)
    subtotal = _amount(line.subtotal) if line.subtotal is not None else total
    is_known = sku is not None and sku_key(sku) in known
    flag = None
    if sku is None:
        flag = f"no_sku:{line.id}"
    elif not is_known:
        flag = f"unknown_sku:{sku}"
    tax = _amount(line.total_tax)
    doc = DocLine(
        sku=sku,
        name=line.name,
        quantity=line.quantity,
        unit_price=_unit_price(total, line.quantity),
        subtotal=subtotal,
        total=total,
        tax=tax,
        woo_line_id=line.id,
        known_to_pos=is_known,
        tax_rate=_rate_of(line.taxes, tax, total, rates),
        subtotal_tax=_amount(line.subtotal_tax),
    )
    return doc, flag


def _shipping(line: ShippingLine, rates: Rates, sign: int = 1) -> ChargeLine:
    total, tax = sign * _amount(line.total), sign * _amount(line.total_tax)
    return ChargeLine(
        "shipping",
        line.method_title or line.method_id or "Shipping",
        total,
        tax,
        method_id=line.method_id,
        tax_rate=_rate_of(line.taxes, tax, total, rates),
    )


def _fee(line: FeeLine, rates: Rates, sign: int = 1) -> ChargeLine:
    total, tax = sign * _amount(line.total), sign * _amount(line.total_tax)
    return ChargeLine(
        "fee", line.name or "Fee", total, tax, tax_rate=_rate_of(line.taxes, tax, total, rates)
    )


def _charges(order: Order, rates: Rates) -> tuple[ChargeLine, ...]:
    shipping = (_shipping(line, rates) for line in order.shipping_lines)
    fees = (_fee(line, rates) for line in order.fee_lines)
    return (*shipping, *fees)


def _tax_summaries(order: Order) -> tuple[TaxSummary, ...]:
    return tuple(
        TaxSummary(
            rate_id=tax.rate_id,
            label=tax.label,
            rate=Decimal(tax.rate_percent) if tax.rate_percent is not None else Decimal(0),
            tax=_amount(tax.tax_total),
            shipping_tax=_amount(tax.shipping_tax_total),
        )
        for tax in order.tax_lines
    )


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
        TotalsMismatch: the gross lines, shipping and fees differ from the order total,
            or their taxes from the order's total_tax.
        ExportError: the order lacks its total or creation date.
    """
    known = {sku_key(sku) for sku in known_skus}
    rates = _rates(order)
    lines: list[DocLine] = []
    flags: list[str] = []
    for item in order.line_items:
        line, flag = _doc_line(item, known, rates)
        lines.append(line)
        if flag is not None and flag not in flags:
            flags.append(flag)
    charges = _charges(order, rates)
    tax_total = sum((line.tax for line in lines), _ZERO) + sum((c.tax for c in charges), _ZERO)
    total = _required_total(order)
    if order.total_tax is not None and tax_total != money(order.total_tax):
        # Taxes rounded for the whole order rather than per line: the lines' taxes
        # would not add up to what WooCommerce charged.
        raise TotalsMismatch(order.id, money(order.total_tax), tax_total, what="tax")
    computed = document_sum(tuple(lines), charges)
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
        taxes=_tax_summaries(order),
    )


def _refunded_item_id(line: HasMeta) -> int | None:
    raw = line.meta_value("_refunded_item_id")
    try:
        return None if raw is None else int(str(raw))
    except ValueError:
        return None


def _credit_line(line: LineItem, original: LineItem | None, rates: Rates) -> DocLine:
    quantity = abs(line.quantity)
    total = abs(_amount(line.total))
    tax = abs(_amount(line.total_tax))
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
        tax=tax,
        woo_line_id=original.id if original is not None else line.id,
        known_to_pos=sku is not None,
        tax_rate=_rate_of(line.taxes, tax, total, rates),
        subtotal_tax=abs(_amount(line.subtotal_tax)),
    )


def _credit_subject(order_id: int, refund_id: int | None) -> str:
    return f"order {order_id} credit {'cancel' if refund_id is None else refund_id}"


def credit_for_refund(
    order: Order, refund: Refund, *, store: str, original_pos_ref: str, at: datetime
) -> CreditDocument:
    """The credit note of one WooCommerce refund of an exported order.

    Its lines are the refund's own lines (units the merchant refunded, with
    their tax), plus refunded shipping and fees; a refund of an amount only
    (goodwill) has no lines and moves no stock in the POS.

    Raises:
        TotalsMismatch: the refund has lines whose gross amounts do not add up
            to the refunded amount.
    """
    rates = _rates(order)
    by_id = {line.id: line for line in order.line_items}
    lines = tuple(
        _credit_line(line, by_id.get(_refunded_item_id(line) or -1), rates)
        for line in refund.line_items
        if line.quantity != 0 or (line.total or 0) != 0
    )
    charges = (
        *(_shipping(line, rates, -1) for line in refund.shipping_lines if line.total),
        *(_fee(line, rates, -1) for line in refund.fee_lines if line.total),
    )
    computed = document_sum(lines, charges)
    amount = computed if refund.amount is None else money(abs(refund.amount))
    if (lines or charges) and computed != amount:
        raise TotalsMismatch(
            order.id, amount, computed, subject=_credit_subject(order.id, refund.id)
        )
    return CreditDocument(
        idempotency_key=credit_key(store, order.id, refund.id),
        store=store,
        woo_order_id=order.id,
        original_pos_ref=original_pos_ref,
        reason=(refund.reason or "").strip() or "refund",
        lines=lines,
        total=money(amount),
        created_at=refund.date_created_gmt or at,
        charges=charges,
        tax_total=sum((line.tax for line in lines), _ZERO) + sum((c.tax for c in charges), _ZERO),
    )


def _refunded(refunds: Iterable[Refund]) -> dict[int, tuple[int, Decimal, Decimal]]:
    """Per original line id: (units, net, tax) that refunds already credited."""
    refunded: dict[int, tuple[int, Decimal, Decimal]] = {}
    for refund in refunds:
        items: list[LineItem | ShippingLine | FeeLine] = [
            *refund.line_items,
            *refund.shipping_lines,
            *refund.fee_lines,
        ]
        for line in items:
            original = _refunded_item_id(line)
            if original is not None:
                units, net, tax = refunded.get(original, (0, _ZERO, _ZERO))
                quantity = abs(line.quantity) if isinstance(line, LineItem) else 0
                refunded[original] = (
                    units + quantity,
                    net + abs(_amount(line.total)),
                    tax + abs(_amount(line.total_tax)),
                )
    return refunded


def _unallocated(refunds: Iterable[Refund]) -> Decimal:
    """What refunds credited beyond their lines (amount-only and goodwill refunds)."""
    left = _ZERO
    for refund in refunds:
        lines = sum(
            (abs(_amount(x.total)) + abs(_amount(x.total_tax)) for x in refund.line_items), _ZERO
        )
        others: list[ShippingLine | FeeLine] = [*refund.shipping_lines, *refund.fee_lines]
        charges = sum((abs(_amount(x.total)) + abs(_amount(x.total_tax)) for x in others), _ZERO)
        left += abs(_amount(refund.amount)) - lines - charges
    return left


def credit_for_cancel(
    order: Order,
    refunds: Iterable[Refund],
    *,
    store: str,
    original_pos_ref: str,
    at: datetime,
) -> CreditDocument:
    """The credit note of an exported order that was cancelled: what refunds left open.

    Every unit, shipping and fee amount not already credited by a refund comes
    back with its net and tax (the line's amounts less what refunds took, so
    nothing is re-rounded); what refunds credited without naming lines is
    deducted as a negative fee line, so the credit adds up to the order total
    less everything already refunded.

    Raises:
        TotalsMismatch: the open amounts do not add up to that remainder.
    """
    refund_list = list(refunds)
    rates = _rates(order)
    already = _refunded(refund_list)
    credited = sum((abs(_amount(r.amount)) for r in refund_list), _ZERO)
    lines: list[DocLine] = []
    for item in order.line_items:
        units, net_done, tax_done = already.get(item.id, (0, _ZERO, _ZERO))
        quantity = item.quantity - units
        if quantity <= 0:
            continue
        net = _amount(item.total) - net_done
        tax = _amount(item.total_tax) - tax_done
        sku = item.sku
        lines.append(
            DocLine(
                sku=sku.strip() if sku and sku.strip() else None,
                name=item.name,
                quantity=quantity,
                unit_price=_unit_price(net, quantity),
                subtotal=net,
                total=net,
                tax=tax,
                woo_line_id=item.id,
                known_to_pos=bool(sku and sku.strip()),
                tax_rate=_rate_of(item.taxes, tax, net, rates),
            )
        )
    charges: list[ChargeLine] = []
    sources: list[ShippingLine | FeeLine] = [*order.shipping_lines, *order.fee_lines]
    for charge, source in zip(_charges(order, rates), sources, strict=True):
        _, net_done, tax_done = already.get(source.id, (0, _ZERO, _ZERO))
        net, tax = charge.total - net_done, charge.tax - tax_done
        if net or tax:
            charges.append(
                ChargeLine(charge.kind, charge.name, net, tax, charge.method_id, charge.tax_rate)
            )
    unallocated = _unallocated(refund_list)
    if unallocated > 0:
        charges.append(ChargeLine("fee", "Refunded earlier without items", -unallocated, _ZERO))
    remaining = max(_required_total(order) - credited, _ZERO)
    computed = document_sum(tuple(lines), tuple(charges))
    if computed != remaining:
        raise TotalsMismatch(order.id, remaining, computed, subject=_credit_subject(order.id, None))
    return CreditDocument(
        idempotency_key=credit_key(store, order.id, None),
        store=store,
        woo_order_id=order.id,
        original_pos_ref=original_pos_ref,
        reason="order cancelled",
        lines=tuple(lines),
        total=money(remaining),
        created_at=at,
        charges=tuple(charges),
        tax_total=sum((line.tax for line in lines), _ZERO) + sum((c.tax for c in charges), _ZERO),
    )
