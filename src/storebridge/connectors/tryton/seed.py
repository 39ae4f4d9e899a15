"""The shop a fresh Tryton database gets: company, warehouses, web shop, till, services.

Run in a subprocess by `server.built_database`, once per build, on a database
`trytond-admin` has just created::

    python -m storebridge.connectors.tryton.seed CONFIG DATABASE PROFILE

It opens the database in-process through proteus (Tryton's own client library,
in its trytond mode), so the on_change methods and wizards run as the Tryton
client runs them: the chart of accounts and the fiscal year the till's postings
need are made by Tryton's wizards, which JSON-RPC alone cannot drive.  One
function per concern, so a new concern (taxes, say) is one more function called
from `seed`.

`PROFILES`: ``sample`` is the connector tests' database (the goods of `GOODS`
with stock, one matrix style, a price-list offer); ``demo`` is the same shop
without goods, which `catalogue.load_catalogue` then fills over JSON-RPC with the
demo POS's catalogue.  The constants are the names the connector settings and
the tests use.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import Any

__all__ = [
    "ADMIN_PASSWORD",
    "ATTRIBUTE_SET",
    "FEE_CODE",
    "GOODS",
    "PRICE_LIST",
    "PROFILES",
    "SHIPPING_CODE",
    "SHOP_WAREHOUSE",
    "TILL",
    "TILL_PAYMENT",
    "UNKNOWN_CODE",
    "WAREHOUSE",
    "WEB_SHOP",
    "seed",
]

PROFILES = ("sample", "demo")
ADMIN_PASSWORD = "storebridge-admin-pw"  # noqa: S105 - the loopback demo and test databases' admin
COMPANY = "Dunder Paper Ltd"
CURRENCY = "GBP"
WEB_SHOP = "Web"
OTHER_SHOP = "Outlet"
PRICE_LIST = "Web offers"
WAREHOUSE = "WH"  # the default warehouse trytond creates; the web shop ships from it
SHOP_WAREHOUSE = "SHOP"  # a second warehouse (a shop floor) with its own stock
SHIPPING_CODE = "SVC-SHIP"
FEE_CODE = "SVC-FEE"
UNKNOWN_CODE = "SVC-WEB-ITEM"
ATTRIBUTE_SET = "Apparel"  # the attribute set of matrix styles (size x colour)
#: Sequence of the price list's catch-all line: offers added later sort before it.
CATCH_ALL_SEQUENCE = 1_000_000

# code -> (name, list price, {warehouse code: on-hand}, in the web shop, attributes)
GOODS: dict[str, tuple[str, str, dict[str, int], bool, dict[str, str]]] = {
    "MUG-01": ("Stoneware Mug", "12.50", {"WH": 25, "SHOP": 40}, True, {}),
    "BAG-7": ("Canvas Tote", "24.00", {"WH": 2, "SHOP": 0}, True, {}),
    "BOWL-1": ("Stoneware Bowl", "16.00", {"WH": 5, "SHOP": 3}, False, {}),
    "TEE-RED-M": (
        "Classic Tee",
        "19.99",
        {"WH": 4, "SHOP": 10},
        True,
        {"size": "M", "colour": "red"},
    ),
    "TEE-RED-L": (
        "Classic Tee",
        "19.99",
        {"WH": 0, "SHOP": 3},
        True,
        {"size": "L", "colour": "red"},
    ),
    "TEE-BLUE-M": (
        "Classic Tee",
        "19.99",
        {"WH": 6, "SHOP": 1},
        True,
        {"size": "M", "colour": "blue"},
    ),
}
STYLE_CODE = "TEE"  # the template code the tee variants share
STYLE_NAME = "Classic Tee"
NOT_SALABLE = "OLD-9"  # a goods product that is not salable: never read
SALE_PRICES = {"BAG-7": Decimal("21.60")}  # the price list takes 10 % off the tote
TILL = "Till"  # a sale.point selling from the shop floor (SHOP_WAREHOUSE)
TILL_PAYMENT = "Card"  # its non-cash payment method (a cash one would need an open session)
TAX_NAME = "VAT 10%"  # the sales tax WooCommerce's 10 % rate maps onto (connector `taxes`)
TAX_RATE = Decimal("0.10")  # Tryton stores a percentage tax as a fraction


# Every function below runs inside the seeding subprocess, on proteus records (typed Any:
# proteus has no type hints).


def seed_company() -> tuple[Any, dict[str, Any]]:
    """The company with a chart of accounts; returns it and its main accounts."""
    from proteus import Model
    from trytond.modules.account.tests.tools import create_chart, get_accounts
    from trytond.modules.company.tests.tools import create_company
    from trytond.modules.currency.tests.tools import get_currency

    company_party = Model.get("party.party")(name=COMPANY)
    company_party.save()
    create_company(company_party, get_currency(CURRENCY))
    (company,) = Model.get("company.company").find()
    create_chart(company)
    return company, get_accounts(company)


def seed_taxes(accounts: dict[str, Any]) -> None:
    """A 10 % sales tax, and taxes rounded per line as WooCommerce rounds them.

    Tryton's default rounds tax once per document, which differs from
    WooCommerce's per-line rounding by a cent on some orders.
    """
    from proteus import Model

    tax = Model.get("account.tax")(
        name=TAX_NAME, description=TAX_NAME, type="percentage", rate=TAX_RATE
    )
    tax.invoice_account = accounts["tax"]
    tax.credit_note_account = accounts["tax"]
    tax.save()
    configuration = Model.get("account.configuration")(1)
    configuration.tax_rounding = "line"
    configuration.save()


def seed_fiscal_year(company: Any) -> None:
    """This year with its periods and invoice sequences: a posted till sale writes a move."""
    from trytond.modules.account.tests.tools import create_fiscalyear
    from trytond.modules.account_invoice.tests.tools import set_fiscalyear_invoice_sequences

    fiscal_year = set_fiscalyear_invoice_sequences(create_fiscalyear(company))
    fiscal_year.click("create_period")


def seed_product_category(accounts: dict[str, Any]) -> Any:
    """The accounting category every product books its revenue and expense on."""
    from proteus import Model

    category = Model.get("product.category")(name="Sales", accounting=True)
    category.account_revenue = accounts["revenue"]
    category.account_expense = accounts["expense"]
    category.save()
    return category


def seed_attribute_set() -> Any:
    """Size and colour, the attributes of matrix styles (the catalogue adds its values)."""
    from proteus import Model

    Attribute = Model.get("product.attribute")
    attribute_set = Model.get("product.attribute.set")(name=ATTRIBUTE_SET)
    for name, string, values in (
        ("size", "Size", "S\nM\nL"),
        ("colour", "Colour", "red:Red\nblue:Blue"),
    ):
        attribute = Attribute(name=name, string=string, type_="selection")
        attribute.selection = "\n".join(v if ":" in v else f"{v}:{v}" for v in values.splitlines())
        attribute_set.attributes.append(attribute)
    attribute_set.save()
    return attribute_set


def _template(category: Any, name: str, code: str, price: str, kind: str, salable: bool) -> Any:
    from proteus import Model

    (unit,) = Model.get("product.uom").find([("name", "=", "Unit")])
    template = Model.get("product.template")(name=name, code=code, type=kind, default_uom=unit)
    template.list_price = Decimal(price)
    template.salable = salable
    if salable:
        template.sale_uom = unit
    template.account_category = category
    template.save()
    return template


def seed_service_products(category: Any) -> None:
    """The service products web orders book shipping, fees and unknown SKUs on."""
    for code, name in (
        (SHIPPING_CODE, "Shipping"),
        (FEE_CODE, "Web fee"),
        (UNKNOWN_CODE, "Web item not in Tryton"),
    ):
        _template(category, name, code, "0", "service", salable=True)


def seed_shop_warehouse() -> dict[str, Any]:
    """A second warehouse, the shop floor; returns the storage location of each warehouse."""
    from proteus import Model

    Location = Model.get("stock.location")
    (warehouse,) = Location.find([("code", "=", WAREHOUSE)])
    shop_locations = {
        kind: Location(name=f"Shop {kind}", type="storage")
        for kind in ("input", "output", "storage")
    }
    for location in shop_locations.values():
        location.save()
    shop_warehouse = Location(name="Shop floor", code=SHOP_WAREHOUSE, type="warehouse")
    shop_warehouse.input_location = shop_locations["input"]
    shop_warehouse.output_location = shop_locations["output"]
    shop_warehouse.storage_location = shop_locations["storage"]
    shop_warehouse.save()
    for location in shop_locations.values():
        # quantities with a `locations` context count the warehouse's children
        location.parent = shop_warehouse
        location.save()
    return {
        WAREHOUSE: warehouse.storage_location,
        SHOP_WAREHOUSE: shop_warehouse.storage_location,
    }


def seed_price_list(offers: dict[Any, str]) -> None:
    """The web price list: `offers` (product -> formula) before a catch-all list price."""
    from proteus import Model

    price_list = Model.get("product.price_list")(name=PRICE_LIST, price="list_price")
    for product, formula in offers.items():
        price_list.lines.new(product=product, formula=formula, sequence=10)
    price_list.lines.new(formula="unit_price", sequence=CATCH_ALL_SEQUENCE)
    price_list.save()


def seed_web_shops(products: list[Any]) -> None:
    """The web shop StoreBridge writes to (selling `products`), and a second, unrelated one."""
    from proteus import Model

    Location = Model.get("stock.location")
    Product = Model.get("product.product")
    (warehouse,) = Location.find([("code", "=", WAREHOUSE)])
    shop = Model.get("web.shop")(name=WEB_SHOP)
    shop.warehouses.append(Location(warehouse.id))
    for product in products:
        shop.products.append(Product(product.id))
    shop.save()
    Model.get("web.shop")(name=OTHER_SHOP).save()


def seed_till(company: Any, accounts: dict[str, Any]) -> None:
    """The shop floor's till (`sale.point`) with a card payment method."""
    from proteus import Model

    Location = Model.get("stock.location")
    (shop_warehouse,) = Location.find([("code", "=", SHOP_WAREHOUSE)])
    (revenue_journal,) = Model.get("account.journal").find([("type", "=", "revenue")], limit=1)
    (customers,) = Location.find([("type", "=", "customer")], limit=1)
    till = Model.get("sale.point")(name=TILL)
    till.journal = revenue_journal
    till.sequence = Model.get("ir.sequence.strict")(name=TILL, company=company)
    (till.sequence.sequence_type,) = Model.get("ir.sequence.type").find(
        [("name", "=", "POS")], limit=1
    )
    till.sequence.save()
    till.storage_location = shop_warehouse.storage_location
    till.customer_location = customers
    till.save()
    method = Model.get("sale.point.payment.method")(name=TILL_PAYMENT)
    method.account = accounts["cash"]
    method.save()


def seed_sample_goods(category: Any, attribute_set: Any) -> dict[str, Any]:
    """The tests' goods (`GOODS`, one matrix style) and an unsalable one; returns code -> product."""
    from proteus import Model

    Product = Model.get("product.product")
    products: dict[str, Any] = {}
    style = None
    for code, (name, price, _stock, _web, attributes) in GOODS.items():
        if not attributes:
            products[code] = _template(category, name, code, price, "goods", True).products[0]
            continue
        if style is None:
            style = _template(category, STYLE_NAME, STYLE_CODE + "-", price, "goods", True)
            style.attribute_set = attribute_set
            style.save()
            variant = style.products[0]
        else:
            variant = Product(template=style)
        variant.suffix_code = code.removeprefix(STYLE_CODE + "-")
        variant.attributes = dict(attributes)
        variant.save()
        products[code] = variant
    _template(category, "Old Stock", NOT_SALABLE, "5.00", "goods", salable=False)
    return products


def seed_sample_stock(company: Any, products: dict[str, Any], storage: dict[str, Any]) -> None:
    """The on-hand of `GOODS`, as done moves from lost-and-found into each warehouse."""
    from proteus import Model

    (lost_found,) = Model.get("stock.location").find([("type", "=", "lost_found")], limit=1)
    (unit,) = Model.get("product.uom").find([("name", "=", "Unit")])
    Move = Model.get("stock.move")
    moves = [
        Move(
            product=products[code],
            quantity=quantity,
            unit=unit,
            from_location=lost_found,
            to_location=storage[warehouse_code],
            company=company,
        )
        for code, (_name, _price, stock, _web, _attrs) in GOODS.items()
        for warehouse_code, quantity in stock.items()
        if quantity
    ]
    Move.save(moves)
    Move.click(moves, "do")


def seed(config_file: str, database: str, profile: str) -> None:
    """Seed the freshly created `database` with the shop of `profile` (see the module docstring)."""
    if profile not in PROFILES:
        raise SystemExit(f"unknown profile {profile!r}; one of {', '.join(PROFILES)}")
    from proteus import config

    config.set_trytond(database=database, config_file=config_file)
    company, accounts = seed_company()
    seed_taxes(accounts)
    category = seed_product_category(accounts)
    attribute_set = seed_attribute_set()
    seed_service_products(category)
    storage = seed_shop_warehouse()
    products: dict[str, Any] = {}
    if profile == "sample":
        products = seed_sample_goods(category, attribute_set)
        seed_sample_stock(company, products, storage)
    seed_price_list(
        {products[code]: "unit_price * 0.9" for code in SALE_PRICES if code in products}
    )
    seed_web_shops([products[code] for code, spec in GOODS.items() if spec[3] and code in products])
    seed_fiscal_year(company)
    seed_till(company, accounts)


if __name__ == "__main__":  # pragma: no cover - server.built_database runs it
    seed(sys.argv[1], sys.argv[2], sys.argv[3])
