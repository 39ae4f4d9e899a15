"""Small PHP/WordPress text functions the REST output depends on.

These are deliberately simple re-implementations of what the golden captures
show: `wpautop` for view-context descriptions, `sanitize_title` for slugs,
`wc_format_decimal` for money input, the `wc_price` HTML, and PHP's
`json_encode` byte format (webhook signatures are computed over it).
"""

from __future__ import annotations

import json
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

_BLOCK_START = re.compile(
    r"^\s*<(?:p|div|ul|ol|li|h[1-6]|table|thead|tbody|tr|td|th|blockquote|pre|form|hr|dl|dd|dt"
    r"|section|article|aside|header|footer|figure|address|fieldset|details|summary)[\s>/]",
    re.IGNORECASE,
)


def wpautop(text: str) -> str:
    """Wrap loose text in paragraphs the way WordPress renders post content.

    Block-level chunks stay as they are; each chunk ends with a newline, so
    `"Golden widget"` becomes `"<p>Golden widget</p>\\n"`.
    """
    if not text.strip():
        return ""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    chunks = [chunk.strip() for chunk in re.split(r"\n\s*\n", normalised) if chunk.strip()]
    rendered: list[str] = []
    for chunk in chunks:
        if _BLOCK_START.match(chunk):
            rendered.append(chunk + "\n")
        else:
            rendered.append("<p>" + chunk.replace("\n", "<br />\n") + "</p>\n")
    return "".join(rendered)


def sanitize_title(text: str) -> str:
    """WordPress' sanitize_title_with_dashes, for ASCII-ish names."""
    stripped = re.sub(r"<[^>]*>", "", text)
    ascii_text = unicodedata.normalize("NFKD", stripped).encode("ascii", "ignore").decode()
    lowered = ascii_text.lower()
    lowered = re.sub(r"[\s.]+", "-", lowered)
    lowered = re.sub(r"[^a-z0-9_\-]", "", lowered)
    lowered = re.sub(r"-+", "-", lowered)
    return lowered.strip("-")


def wc_clean(value: str) -> str:
    """wc_clean(): strip tags and surrounding whitespace."""
    return re.sub(r"<[^>]*>", "", value).strip()


def format_decimal_input(value: Any) -> str:
    """wc_format_decimal() on a price as sent: keep digits, dot, comma and minus.

    "abc" becomes "" (the product then has no price), a JSON number becomes its
    string form, and "9.99" stays "9.99".
    """
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, int | float):
        return trim_zeros(value) if isinstance(value, float) else str(value)
    return re.sub(r"[^0-9.,\-]", "", wc_clean(str(value)))


def to_decimal(value: Any) -> Decimal:
    """A lenient numeric reading (PHP's (float) cast): garbage is zero."""
    if value is None or value == "":
        return Decimal(0)
    try:
        return Decimal(str(value).replace(",", "."))
    except InvalidOperation:
        match = re.match(r"^\s*-?\d+(?:\.\d+)?", str(value))
        return Decimal(match.group(0)) if match else Decimal(0)


def money(value: Decimal | float | int, dp: int = 2) -> str:
    """Orders' money strings: fixed decimals, half-up, no thousands separator."""
    quantum = Decimal(1).scaleb(-dp)
    return str(Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def trim_zeros(value: Decimal | float | int) -> str:
    """wc_format_decimal(..., trim_zeros=true): "2.00" -> "2", "2.50" -> "2.5"."""
    text = format(Decimal(str(value)).normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def php_number(value: Decimal | float | int) -> int | float:
    """A float as PHP's json_encode prints it: 9.0 -> 9, 9.99 -> 9.99."""
    number = float(value)
    return int(number) if number.is_integer() else number


def wc_price(amount: Decimal | str, *, aria_hidden: bool = False) -> str:
    """The wc_price() HTML for a USD amount."""
    value = to_decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    hidden = ' aria-hidden="true"' if aria_hidden else ""
    return (
        f'<span class="woocommerce-Price-amount amount"{hidden}><bdi>'
        '<span class="woocommerce-Price-currencySymbol">&#36;</span>'
        f"{value:,.2f}</bdi></span>"
    )


def php_json(value: Any) -> str:
    """PHP json_encode() with default flags: compact, ASCII-only, `/` escaped."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    # "/" only ever appears inside JSON strings, so a blanket replace is exact.
    return text.replace("/", "\\/")
