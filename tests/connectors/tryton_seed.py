"""The catalogue of the Tryton test database, and the script that seeds it through proteus.

Run as a script (``python tryton_seed.py CONFIG DATABASE``) by the test fixture,
once per lock-file hash, on a database `trytond-admin` has just created: it
opens the database in-process (proteus' trytond mode, so on_change methods run
as the Tryton client would run them) and adds a company with a chart of
accounts, two warehouses with stock, a web shop with a price list, service
products for shipping and fees, and a few goods (one matrix style).

The constants are imported by the tests, which compare what the connector
reads and writes against them.
"""

from __future__ import annotations

import sys
from decimal import Decimal

ADMIN_PASSWORD = "storebridge-admin-pw"
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


def seed(config_file: str, database: str) -> None:  # pragma: no cover - runs in a subprocess
    from proteus import Model, config
    from trytond.modules.account.tests.tools import create_chart, create_fiscalyear, get_accounts
    from trytond.modules.account_invoice.tests.tools import set_fiscalyear_invoice_sequences
    from trytond.modules.company.tests.tools import create_company
    from trytond.modules.currency.tests.tools import get_currency

    config.set_trytond(database=database, config_file=config_file)

    currency = get_currency(CURRENCY)
    Party = Model.get("party.party")
    company_party = Party(name=COMPANY)
    company_party.save()
    create_company(company_party, currency)
    Company = Model.get("company.company")
    (company,) = Company.find()
    create_chart(company)
    accounts = get_accounts(company)
    seed_taxes(accounts)

    Category = Model.get("product.category")
    category = Category(name="Sales", accounting=True)
    category.account_revenue = accounts["revenue"]
    category.account_expense = accounts["expense"]
    category.save()

    Uom = Model.get("product.uom")
    (unit,) = Uom.find([("name", "=", "Unit")])

    Attribute = Model.get("product.attribute")
    AttributeSet = Model.get("product.attribute.set")
    attribute_set = AttributeSet(name="Apparel")
    for name, string, values in (
        ("size", "Size", "S\nM\nL"),
        ("colour", "Colour", "red:Red\nblue:Blue"),
    ):
        attribute = Attribute(name=name, string=string, type_="selection")
        attribute.selection = "\n".join(v if ":" in v else f"{v}:{v}" for v in values.splitlines())
        attribute_set.attributes.append(attribute)
    attribute_set.save()

    Template = Model.get("product.template")
    Product = Model.get("product.product")

    def template(name: str, code: str, price: str, kind: str, salable: bool = True):  # type: ignore[no-untyped-def]
        tpl = Template(name=name, code=code, type=kind, default_uom=unit)
        tpl.list_price = Decimal(price)
        tpl.salable = salable
        if salable:
            tpl.sale_uom = unit
        tpl.account_category = category
        tpl.save()
        return tpl

    products: dict[str, object] = {}
    style = None
    for code, (name, price, _stock, _web, attributes) in GOODS.items():
        if attributes:
            if style is None:
                style = template(STYLE_NAME, STYLE_CODE + "-", price, "goods")
                style.attribute_set = attribute_set
                style.save()
                variant = style.products[0]
            else:
                variant = Product(template=style)
            variant.suffix_code = code.removeprefix(STYLE_CODE + "-")
            variant.attributes = dict(attributes)
            variant.save()
            products[code] = variant
        else:
            products[code] = template(name, code, price, "goods").products[0]
    template("Old Stock", NOT_SALABLE, "5.00", "goods", salable=False)
    for code, name in (
        (SHIPPING_CODE, "Shipping"),
        (FEE_CODE, "Web fee"),
        (UNKNOWN_CODE, "Web item not in Tryton"),
    ):
        template(name, code, "0", "service")

    Location = Model.get("stock.location")
    (warehouse,) = Location.find([("code", "=", WAREHOUSE)])
    (lost_found,) = Location.find([("type", "=", "lost_found")], limit=1)
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
    storage = {
        WAREHOUSE: warehouse.storage_location,
        SHOP_WAREHOUSE: shop_warehouse.storage_location,
    }

    Move = Model.get("stock.move")
    moves = []
    for code, (_name, _price, stock, _web, _attrs) in GOODS.items():
        for warehouse_code, quantity in stock.items():
            if quantity:
                moves.append(
                    Move(
                        product=products[code],
                        quantity=quantity,
                        unit=unit,
                        from_location=lost_found,
                        to_location=storage[warehouse_code],
                        company=company,
                    )
                )
    Move.save(moves)
    Move.click(moves, "do")

    PriceList = Model.get("product.price_list")
    price_list = PriceList(name=PRICE_LIST, price="list_price")
    for code in SALE_PRICES:
        price_list.lines.new(product=products[code], formula="unit_price * 0.9")
    price_list.lines.new(formula="unit_price")
    price_list.save()

    Shop = Model.get("web.shop")
    shop = Shop(name=WEB_SHOP)
    shop.warehouses.append(Location(warehouse.id))
    for code, (_name, _price, _stock, web, _attrs) in GOODS.items():
        if web:
            shop.products.append(Product(products[code].id))
    shop.save()
    Shop(name=OTHER_SHOP).save()

    # The till: posting a till sale writes an account move, so the year needs its periods.
    fiscal_year = set_fiscalyear_invoice_sequences(create_fiscalyear(company))
    fiscal_year.click("create_period")
    Journal = Model.get("account.journal")
    (revenue_journal,) = Journal.find([("type", "=", "revenue")], limit=1)
    (customers,) = Location.find([("type", "=", "customer")], limit=1)
    SequenceStrict = Model.get("ir.sequence.strict")
    SequenceType = Model.get("ir.sequence.type")
    till = Model.get("sale.point")(name=TILL)
    till.journal = revenue_journal
    till.sequence = SequenceStrict(name=TILL, company=company)
    (till.sequence.sequence_type,) = SequenceType.find([("name", "=", "POS")], limit=1)
    till.sequence.save()
    till.storage_location = shop_warehouse.storage_location
    till.customer_location = customers
    till.save()
    method = Model.get("sale.point.payment.method")(name=TILL_PAYMENT)
    method.account = accounts["cash"]
    method.save()


def seed_taxes(accounts: dict[str, object]) -> None:  # pragma: no cover - runs in a subprocess
    """A 10 % sales tax, and taxes rounded per line as WooCommerce rounds them.

    Self-contained (needs only the chart's accounts) so it can move with the
    rest of the seed. Tryton's default rounds tax once per document, which
    differs from WooCommerce's per-line rounding by a cent on some orders.
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


if __name__ == "__main__":  # pragma: no cover - the fixture runs it
    seed(sys.argv[1], sys.argv[2])
