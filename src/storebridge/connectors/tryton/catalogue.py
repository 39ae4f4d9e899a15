"""A demo catalogue loaded into Tryton over JSON-RPC, as an import script would load it.

`load_catalogue` writes `CatalogueItem`s (connectors/demo/catalogue.py, the
demo POS's own generator) into a Tryton database seeded by `seed.py`:

- a simple item is a `product.template` (code = SKU) with its one variant;
- a matrix style is one template (code = style code + "-", the attribute set
  of `seed.ATTRIBUTE_SET`) whose variants carry the suffix of their SKU and
  their attribute values; a variant priced apart from its style (an XL at +2)
  gets its own list price;
- attribute values the attributes do not offer yet are added to them;
- on-hand: one done `stock.move` from lost-and-found into the storage of each
  warehouse (the item's stock keys are warehouse codes);
- items for the web join the web shop's products;
- a promotion running on `today` becomes a line of the price list (Tryton
  price lists have no dates, so a later or ended one is left out).

`load_customers` adds the shop's returning customers as parties with their
e-mail, which the writer matches web orders to (it adds their addresses).

Every create or write carries at most `BATCH` records: on SQLite, trytond
fails a larger write of a model with a uniqueness rule (tryton.md §6).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from typing import Any, TypeVar

from storebridge.connectors.demo.catalogue import CatalogueItem
from storebridge.connectors.tryton.reader import attribute_rows
from storebridge.connectors.tryton.rpc import TrytonRpc
from storebridge.connectors.tryton.seed import ATTRIBUTE_SET
from storebridge.errors import ConfigError

__all__ = ["BATCH", "Customer", "Loaded", "current_offer", "load_catalogue", "load_customers"]

#: Records per create or write call (tryton.md §6: ~85 break SQLite).
BATCH = 50
_T = TypeVar("_T")
#: A customer as the demo's shoppers are listed: first name, last name, e-mail.
Customer = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class Loaded:
    """What `load_catalogue` created."""

    products: int
    styles: int
    moves: int
    offers: int
    calls: int  # create/write calls made, each of at most BATCH records


def current_offer(item: CatalogueItem, today: date) -> bool:
    """Whether `item`'s promotion runs on `today` (what a date-less price list can carry)."""
    if item.sale_price is None:
        return False
    started = item.sale_from is None or item.sale_from.date() <= today
    running = item.sale_to is None or today < item.sale_to.date()
    return started and running


def _chunks(values: Sequence[_T], size: int = BATCH) -> Iterator[Sequence[_T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _key(label: str) -> str:
    """A selection key for an attribute value: "Forest Green" -> "forest_green"."""
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


class _Loader:
    def __init__(self, rpc: TrytonRpc) -> None:
        self.rpc = rpc
        self.writes = 0

    def _one(self, model: str, domain: list[Any], what: str) -> int:
        ids = self.rpc.call(model, "search", domain, 0, 2, None)
        if len(ids) != 1:
            raise ConfigError(f"the Tryton database has {len(ids)} {what}, expected one")
        return int(ids[0])

    def create(self, model: str, rows: Sequence[dict[str, Any]]) -> list[int]:
        ids: list[int] = []
        for chunk in _chunks(rows):
            ids.extend(self.rpc.call(model, "create", list(chunk)))
            self.writes += 1
        return ids

    # -- attributes ------------------------------------------------------------

    def attributes(self, items: Sequence[CatalogueItem]) -> dict[str, str]:
        """Make every attribute value of `items` selectable; returns label -> attribute name."""
        wanted: dict[str, dict[str, str]] = {}
        for item in items:
            for label, value in item.attributes.items():
                wanted.setdefault(label, {})[_key(value)] = value
        if not wanted:
            return {}
        set_id = self._one(
            "product.attribute.set", [("name", "=", ATTRIBUTE_SET)], "attribute sets"
        )
        by_label = {
            str(row["string"] or row["name"]).lower(): row for row in attribute_rows(self.rpc)
        }
        names: dict[str, str] = {}
        for label, values in wanted.items():
            row = by_label.get(label.lower())
            if row is None:
                name = _key(label)
                selection = "\n".join(f"{key}:{text}" for key, text in values.items())
                self.rpc.call(
                    "product.attribute",
                    "create",
                    [
                        {
                            "name": name,
                            "string": label,
                            "type_": "selection",
                            "selection": selection,
                            "sets": [["add", [set_id]]],
                        }
                    ],
                )
                self.writes += 1
                names[label] = name
                continue
            known = {line.partition(":")[0] for line in str(row["selection"] or "").splitlines()}
            missing = [f"{key}:{text}" for key, text in values.items() if key not in known]
            if missing:
                selection = "\n".join([str(row["selection"] or "").strip(), *missing]).strip()
                self.rpc.call("product.attribute", "write", [row["id"]], {"selection": selection})
                self.writes += 1
            names[label] = str(row["name"])
        return names

    # -- templates and variants ------------------------------------------------

    def products(self, items: Sequence[CatalogueItem], attributes: Mapping[str, str]) -> int:
        """Create the templates and variants of `items`; returns how many styles."""
        unit = self._one("product.uom", [("name", "=", "Unit")], "units named Unit")
        category = self.rpc.call(
            "product.category", "search", [("accounting", "=", True)], 0, 1, None
        )
        if not category:
            raise ConfigError("the Tryton database has no accounting product category")
        set_id = (
            self._one("product.attribute.set", [("name", "=", ATTRIBUTE_SET)], "attribute sets")
            if attributes
            else None
        )
        base = {
            "type": "goods",
            "default_uom": unit,
            "sale_uom": unit,
            "salable": True,
            "account_category": category[0],
        }
        templates: list[tuple[dict[str, Any], int]] = []  # (values, how many variants)
        styles = 0
        for parent, group in groupby(items, key=lambda item: item.parent_code):
            members = list(group)
            if parent is None:
                templates.extend(
                    (
                        {
                            **base,
                            "name": item.name,
                            "code": item.sku,
                            "list_price": item.price,
                            "products": [["create", [{"description": item.description}]]],
                        },
                        1,
                    )
                    for item in members
                )
                continue
            styles += 1
            style_price = min(item.price for item in members)
            variants = [
                {
                    "suffix_code": item.sku.removeprefix(f"{parent}-"),
                    "description": item.description,
                    "attributes": {
                        attributes[label]: _key(value) for label, value in item.attributes.items()
                    },
                    **({"list_price": item.price} if item.price != style_price else {}),
                }
                for item in members
            ]
            templates.append(
                (
                    {
                        **base,
                        "name": members[0].parent_name or parent,
                        "code": f"{parent}-",
                        "list_price": style_price,
                        "attribute_set": set_id,
                        "products": [["create", variants]],
                    },
                    len(variants),
                )
            )
        batch: list[dict[str, Any]] = []
        size = 0
        for values, count in templates:
            if batch and size + count > BATCH:  # count the variants: they carry the unique code
                self.create("product.template", batch)
                batch, size = [], 0
            batch.append(values)
            size += count
        if batch:
            self.create("product.template", batch)
        return styles

    def product_ids(self, skus: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for chunk in _chunks(skus, 500):
            rows = self.rpc.call(
                "product.product",
                "search_read",
                [("code", "in", list(chunk))],
                0,
                None,
                None,
                ["code"],
            )
            found.update({str(row["code"]): int(row["id"]) for row in rows})
        return found

    # -- stock, web shop, offers -----------------------------------------------

    def stock(self, items: Sequence[CatalogueItem], products: Mapping[str, int]) -> int:
        rows = self.rpc.call(
            "stock.location",
            "search_read",
            [("type", "=", "warehouse")],
            0,
            None,
            None,
            ["code", "name", "storage_location"],
        )
        storage = {
            str(row[key]): int(row["storage_location"])
            for row in rows
            for key in ("name", "code")
            if row[key]
        }
        lost_found = self._one(
            "stock.location", [("type", "=", "lost_found")], "lost-and-found locations"
        )
        unit = self._one("product.uom", [("name", "=", "Unit")], "units named Unit")
        company = self.rpc.context["company"]
        moves = []
        for item in items:
            for location, quantity in item.stock.items():
                if location not in storage:
                    raise ConfigError(
                        f"catalogue location {location!r} of {item.sku} is no Tryton warehouse "
                        f"(known: {', '.join(sorted(storage))})"
                    )
                if quantity > 0:
                    moves.append(
                        {
                            "product": products[item.sku],
                            "quantity": float(quantity),
                            "unit": unit,
                            "from_location": lost_found,
                            "to_location": storage[location],
                            "company": company,
                        }
                    )
        for chunk in _chunks(moves):
            ids = self.create("stock.move", chunk)
            self.rpc.call("stock.move", "do", ids)
        return len(moves)

    def web_shop(self, name: str, product_ids: Sequence[int]) -> None:
        shop = self._one("web.shop", [("name", "=", name)], f"web shops named {name!r}")
        for chunk in _chunks(product_ids):
            self.rpc.call("web.shop", "write", [shop], {"products": [["add", list(chunk)]]})
            self.writes += 1

    def offers(self, price_list: str, offers: Mapping[int, Any]) -> None:
        list_id = self._one(
            "product.price_list", [("name", "=", price_list)], f"price lists named {price_list!r}"
        )
        self.create(
            "product.price_list.line",
            [
                # sequence 10 sorts before the list's catch-all line (seed.CATCH_ALL_SEQUENCE)
                {"price_list": list_id, "product": product, "formula": str(price), "sequence": 10}
                for product, price in offers.items()
            ],
        )


def load_catalogue(
    rpc: TrytonRpc,
    items: Iterable[CatalogueItem],
    *,
    web_shop: str,
    price_list: str | None,
    today: date,
) -> Loaded:
    """Write `items` into the database behind `rpc` (see the module docstring).

    Variants of one style must come one after the other, as `catalogue()` yields them.
    """
    catalogue = list(items)
    loader = _Loader(rpc)
    attributes = loader.attributes(catalogue)
    styles = loader.products(catalogue, attributes)
    ids = loader.product_ids([item.sku for item in catalogue])
    missing = [item.sku for item in catalogue if item.sku not in ids]
    if missing:
        raise ConfigError(f"Tryton did not keep the products {', '.join(missing[:5])}")
    moves = loader.stock(catalogue, ids)
    loader.web_shop(web_shop, [ids[item.sku] for item in catalogue if item.web])
    offers = {ids[item.sku]: item.sale_price for item in catalogue if current_offer(item, today)}
    if price_list is not None and offers:
        loader.offers(price_list, offers)
    return Loaded(
        products=len(ids),
        styles=styles,
        moves=moves,
        offers=len(offers) if price_list is not None else 0,
        calls=loader.writes,
    )


def load_customers(rpc: TrytonRpc, customers: Iterable[Customer]) -> int:
    """Parties for `customers` whose e-mail Tryton does not know yet; returns how many."""
    wanted = {email.strip().lower(): (first, last) for first, last, email in customers}
    if not wanted:
        return 0
    known = rpc.call(
        "party.contact_mechanism",
        "search_read",
        [("type", "=", "email"), ("value", "in", list(wanted))],
        0,
        None,
        None,
        ["value"],
    )
    for row in known:
        wanted.pop(str(row["value"]).strip().lower(), None)
    loader = _Loader(rpc)
    loader.create(
        "party.party",
        [
            {
                "name": f"{first} {last}".strip(),
                "contact_mechanisms": [["create", [{"type": "email", "value": email}]]],
            }
            for email, (first, last) in wanted.items()
        ],
    )
    return len(wanted)
