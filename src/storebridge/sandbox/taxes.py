"""Tax settings and standard tax rates: `/settings/<group>/<id>` and `/taxes`.

Only the settings StoreBridge reads are emulated: enabling taxes, the
currency and its number of decimals (general), whether prices are entered
with tax (tax), and stock management (products; `storebridge doctor` reads
the last four). A select's options (the currency list) are not emulated:
any string is stored. A checkbox takes
"yes"/"no", a radio one of its option keys; anything else is the real
store's 400 `rest_setting_value_invalid` (goldens 165, 177). Rates are stored
as WooCommerce shows them: `rate` a 4-decimal string, class "standard",
priority 1, compound false and shipping true unless given (golden 166).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from storebridge.sandbox.db import Database, dumps, loads
from storebridge.sandbox.errors import WooError
from storebridge.sandbox.formatting import to_decimal
from storebridge.sandbox.urls import links

Doc = dict[str, Any]

# The shop's base address (README of the goldens: base country US:CA).
BASE_COUNTRY = "US"
BASE_STATE = "CA"


@dataclass(frozen=True)
class Setting:
    """One emulated WooCommerce option, as /settings describes it."""

    id: str
    group_id: str
    label: str
    description: str
    type: str
    default: str
    tip: str
    options: dict[str, str] | None = None

    def accepts(self, value: Any) -> bool:
        """Whether PUT may store this value."""
        if not isinstance(value, str):
            return False
        if self.type == "checkbox":
            return value in ("yes", "no")
        return self.options is None or value in self.options


_CURRENCY_TEXT = (
    "This controls what currency prices are listed at in the catalog and which currency "
    "gateways will take payments in."
)
_DECIMALS_TEXT = "This sets the number of decimal points shown in displayed prices."

SETTINGS = {
    setting.id: setting
    for setting in (
        Setting(
            id="woocommerce_calc_taxes",
            group_id="general",
            label="Enable taxes",
            description="Enable tax rates and calculations",
            type="checkbox",
            default="no",
            tip="Rates will be configurable and taxes will be calculated during checkout.",
        ),
        Setting(
            id="woocommerce_currency",
            group_id="general",
            label="Currency",
            description=_CURRENCY_TEXT,
            type="select",
            default="USD",
            tip=_CURRENCY_TEXT,
        ),
        Setting(
            id="woocommerce_price_num_decimals",
            group_id="general",
            label="Number of decimals",
            description=_DECIMALS_TEXT,
            type="number",
            default="2",
            tip=_DECIMALS_TEXT,
        ),
        Setting(
            id="woocommerce_manage_stock",
            group_id="products",
            label="Manage stock",
            description="Enable stock management",
            type="checkbox",
            default="yes",
            tip="",
        ),
        Setting(
            id="woocommerce_prices_include_tax",
            group_id="tax",
            label="Prices entered with tax",
            description="",
            type="radio",
            default="no",
            tip="This option is important as it will affect how you input prices. "
            "Changing it will not update existing products.",
            options={
                "yes": "Yes, I will enter prices inclusive of tax",
                "no": "No, I will enter prices exclusive of tax",
            },
        ),
    )
}
SETTING_METHODS = ("GET", "POST", "PUT", "PATCH")


def invalid_setting_value() -> WooError:
    """400 rest_setting_value_invalid (goldens 165, 177)."""
    return WooError("rest_setting_value_invalid", "An invalid setting value was passed.", 400)


class SettingStore:
    """The emulated options, stored in the `options` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def lookup(self, group_id: str, setting_id: str) -> Setting:
        """A known setting of a group, or the real store's 404s."""
        if group_id not in {s.group_id for s in SETTINGS.values()}:
            raise WooError("rest_setting_setting_group_invalid", "Invalid setting group.", 404)
        setting = SETTINGS.get(setting_id)
        if setting is None or setting.group_id != group_id:
            raise WooError("rest_setting_setting_invalid", "Invalid setting.", 404)
        return setting

    def group(self, group_id: str) -> list[Setting]:
        """The emulated settings of a group (a real group holds more), or 404."""
        found = [s for s in SETTINGS.values() if s.group_id == group_id]
        if not found:
            raise WooError("rest_setting_setting_group_invalid", "Invalid setting group.", 404)
        return found

    def value(self, setting_id: str) -> str:
        """The current value of an option (its default until written)."""
        row = self._db.one("SELECT value FROM options WHERE name = ?", (setting_id,))
        return str(row["value"]) if row is not None else SETTINGS[setting_id].default

    def write(self, setting: Setting, value: Any) -> None:
        """PUT a new value after the setting's own validation."""
        if not setting.accepts(value):
            raise invalid_setting_value()
        self._db.execute(
            "INSERT INTO options(name, value) VALUES (?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            (setting.id, value),
        )

    def taxes_enabled(self) -> bool:
        """wc_tax_enabled()."""
        return self.value("woocommerce_calc_taxes") == "yes"

    def prices_include_tax(self) -> bool:
        """wc_prices_include_tax(): only meaningful when taxes are enabled."""
        return self.taxes_enabled() and self.value("woocommerce_prices_include_tax") == "yes"

    def render(self, setting: Setting, base_url: str) -> dict[str, Any]:
        """One setting as GET/PUT /settings/<group>/<id> answers."""
        body: dict[str, Any] = {
            "id": setting.id,
            "label": setting.label,
            "description": setting.description,
            "type": setting.type,
            "default": setting.default,
        }
        if setting.options is not None:
            body["options"] = dict(setting.options)
        if setting.tip:  # WooCommerce leaves the key out of a setting without a tip
            body["tip"] = setting.tip
        body["value"] = self.value(setting.id)
        body["group_id"] = setting.group_id
        body["_links"] = links(
            base_url,
            f"/settings/{setting.group_id}/{setting.id}",
            f"/settings/{setting.group_id}",
            allow=SETTING_METHODS,
        )
        return body


@dataclass(frozen=True)
class TaxRate:
    """One tax rate as the arithmetic needs it."""

    id: int
    country: str
    state: str
    rate: Decimal
    name: str
    priority: int
    compound: bool
    shipping: bool
    tax_class: str

    @property
    def code(self) -> str:
        """WC_Tax::get_rate_code(): COUNTRY-STATE-NAME-PRIORITY, empty parts dropped."""
        parts = [self.country, self.state, self.name or "TAX", str(self.priority)]
        return "-".join(p for p in parts if p and p != "0").upper()

    @property
    def label(self) -> str:
        """The tax line's label."""
        return self.name or "Tax"

    def matches(self, country: str, state: str, tax_class: str) -> bool:
        """A rate applies to a location when its country/state are empty or equal."""
        return (
            self.tax_class == (tax_class or "standard")
            and self.country in ("", country.upper())
            and self.state in ("", state.upper())
        )


class TaxRateStore:
    """Rates of /taxes, in the `tax_rates` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, payload: dict[str, Any]) -> Doc:
        """POST /taxes."""
        doc: Doc = {
            "id": self._db.next_id("tax_rate"),
            "country": str(payload.get("country") or "").upper(),
            "state": str(payload.get("state") or "").upper(),
            "postcode": "",
            "city": "",
            "rate": f"{to_decimal(payload.get('rate')):.4f}",
            "name": str(payload.get("name") or ""),
            "priority": int(payload.get("priority") or 1),
            "compound": bool(payload.get("compound", False)),
            "shipping": bool(payload.get("shipping", True)),
            "order": int(payload.get("order") or 0),
            "class": str(payload.get("class") or "standard"),
            "postcodes": [],
            "cities": [],
        }
        self._db.execute("INSERT INTO tax_rates(id, doc) VALUES (?, ?)", (doc["id"], dumps(doc)))
        return doc

    def get(self, rate_id: int) -> Doc:
        """One rate, or 404 woocommerce_rest_invalid_id."""
        row = self._db.one("SELECT doc FROM tax_rates WHERE id = ?", (rate_id,))
        if row is None:
            raise WooError("woocommerce_rest_invalid_id", "Invalid resource ID.", 404)
        doc: Doc = loads(row["doc"])
        return doc

    def all(self) -> list[Doc]:
        """Every rate, in WooCommerce's order (tax_rate_order, then id)."""
        rows = self._db.all("SELECT doc FROM tax_rates ORDER BY id")
        docs = [loads(row["doc"]) for row in rows]
        return sorted(docs, key=lambda d: (d["order"], d["id"]))

    def delete(self, rate_id: int) -> Doc:
        """DELETE /taxes/<id> (needs force=true, checked by the route)."""
        doc = self.get(rate_id)
        self._db.execute("DELETE FROM tax_rates WHERE id = ?", (rate_id,))
        return doc

    def find_rates(self, country: str, state: str, tax_class: str) -> list[TaxRate]:
        """WC_Tax::find_rates(): the first matching rate of each priority."""
        found: dict[int, TaxRate] = {}
        for doc in self.all():
            rate = _rate(doc)
            if rate.priority not in found and rate.matches(country, state, tax_class):
                found[rate.priority] = rate
        return [found[priority] for priority in sorted(found)]

    @staticmethod
    def render(doc: Doc, base_url: str) -> dict[str, Any]:
        """One rate as the API shows it."""
        return {**doc, "_links": links(base_url, f"/taxes/{doc['id']}", "/taxes")}


def _rate(doc: Doc) -> TaxRate:
    return TaxRate(
        id=int(doc["id"]),
        country=str(doc["country"]),
        state=str(doc["state"]),
        rate=to_decimal(doc["rate"]),
        name=str(doc["name"]),
        priority=int(doc["priority"]),
        compound=bool(doc["compound"]),
        shipping=bool(doc["shipping"]),
        tax_class=str(doc["class"]),
    )
