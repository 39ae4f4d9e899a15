"""Variable products: a style (matrix item) is a variable parent plus its variations.

* **New style** (`CreateVariableStyle`): the draft parent is created like any
  product (`create_products_safely`: its SKU is the style code, so a lost
  answer is found again by SKU), then its variations through one
  ``/products/<parent>/variations/batch`` per parent.
* **New variant of a known style** (`AddVariation`): the parent is read, the
  new option values are merged into its attributes (`ownership.merge_parent_attributes`:
  only ``attributes`` is written back, every other merchant edit stays), and
  the variation is created.
* Later, variations are synced like simple products (prices and stock only);
  that is the executor's update path.

A variation create whose answer was lost is looked up by SKU before anything
is retried, so a variation is never created twice either.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from storebridge.domain.model import sku_key
from storebridge.domain.operations import AddVariation, CreateVariableStyle, NewVariation
from storebridge.domain.ownership import merge_parent_attributes
from storebridge.sync.catalogue.mapping import owned_from_item, owned_from_model
from storebridge.sync.catalogue.recorder import Confirmed, Failure, Lost
from storebridge.sync.messages import create_failure, item_error
from storebridge.woocommerce import (
    BatchOutcome,
    CreateStatus,
    WooAuthError,
    WooClient,
    WooError,
    WooNotFound,
)

if TYPE_CHECKING:
    from storebridge.sync.catalogue.executor import Executor

__all__ = ["StyleWriter"]

_PARENT_FIELDS = "id,sku,type,status,attributes"


class StyleWriter:
    """Creates variable parents and variations for one executor."""

    def __init__(self, woo: WooClient, executor: Executor) -> None:
        self.woo = woo
        self.executor = executor

    async def apply(self, ops: Sequence[CreateVariableStyle | AddVariation]) -> None:
        """Create new styles first, then add new variants to existing parents."""
        creates = [op for op in ops if isinstance(op, CreateVariableStyle)]
        adds = [op for op in ops if isinstance(op, AddVariation)]
        await self.executor.in_slices("styles", creates, self._create_styles)
        by_parent: dict[int, list[AddVariation]] = {}
        for op in adds:
            by_parent.setdefault(op.parent_id, []).append(op)
        parents = list(by_parent.items())

        async def add(chunk: Sequence[tuple[int, list[AddVariation]]]) -> None:
            await asyncio.gather(*(self._add_to_parent(pid, group) for pid, group in chunk))

        await self.executor.in_slices("variations", parents, add)

    # -- new styles ----------------------------------------------------------------------

    async def _create_styles(self, ops: Sequence[CreateVariableStyle]) -> None:
        results = await self.woo.create_products_safely([op.payload for op in ops])
        confirmed: list[Confirmed] = []
        failures: list[Failure] = []
        children: list[tuple[int, Sequence[NewVariation]]] = []
        for op, result in zip(ops, results, strict=True):
            product = result.product
            ok = result.status in (CreateStatus.CREATED, CreateStatus.ADOPTED)
            if ok and product is not None and product.type == "variable":
                confirmed.append(
                    Confirmed(op.style_key, op.style_code, product.id, "variable", origin="created")
                )
                children.append((product.id, op.variations))
                continue
            detail = create_failure(result)
            if ok and product is not None:
                detail = (
                    f"style code {op.style_code!r} belongs to WooCommerce {product.type} "
                    f"{product.id}; change the SKU on one side"
                )
            failures.append(Failure(op.style_key, op.style_code, "variable", None, detail))
        self.executor.confirm(confirmed)
        self.executor.report.counts["created_style"] += len(confirmed)
        self.executor.fail(failures)
        await self._create_variations(children, "created_variation")

    # -- new variants of known styles ------------------------------------------------------

    async def _add_to_parent(self, parent_id: int, ops: Sequence[AddVariation]) -> None:
        style_key = ops[0].style_key
        variations = [op.variation for op in ops]
        try:
            parent = await self.woo.request_json(
                "GET", f"/products/{parent_id}", params={"_fields": _PARENT_FIELDS}
            )
        except WooNotFound:
            self.executor.lose(
                [
                    Lost(
                        style_key,
                        self.executor.sku_of(style_key),
                        "deleted",
                        _gone(parent_id),
                        parent_id,
                    )
                ]
            )
            return
        except WooAuthError:
            raise
        except WooError as error:
            self._fail_all(variations, f"cannot read the variable product {parent_id}: {error}")
            return
        body: Mapping[str, Any] = parent if isinstance(parent, dict) else {}
        problem = _parent_problem(body, style_key, parent_id)
        if problem is not None:
            state, detail = problem
            self.executor.lose(
                [Lost(style_key, self.executor.sku_of(style_key), state, detail, parent_id)]
            )
            return
        wanted: dict[str, list[str]] = {}
        for op in ops:
            for name, values in op.new_options.items():
                options = wanted.setdefault(name, [])
                options.extend(v for v in values if v not in options)
        attributes = body.get("attributes")
        current = (
            [a for a in attributes if isinstance(a, dict)] if isinstance(attributes, list) else []
        )
        change = merge_parent_attributes(current, wanted)
        if change is not None:
            try:
                await self.woo.update_product(parent_id, change)
            except WooAuthError:
                raise
            except WooError as error:
                self._fail_all(
                    variations,
                    f"cannot add the new options to variable product {parent_id}: {error}",
                )
                return
        await self._create_variations([(parent_id, variations)], "added_variation")

    def _fail_all(self, variations: Sequence[NewVariation], detail: str) -> None:
        self.executor.fail(
            [Failure(v.sku_key, v.sku, "variation", None, detail, True) for v in variations]
        )

    # -- variations --------------------------------------------------------------------------

    async def _create_variations(
        self, groups: Sequence[tuple[int, Sequence[NewVariation]]], counter: str
    ) -> None:
        groups = [(pid, list(vs)) for pid, vs in groups if vs]
        outcomes = await asyncio.gather(
            *(self.woo.batch_variations(pid, create=[v.payload for v in vs]) for pid, vs in groups)
        )
        for (parent_id, variations), outcome in zip(groups, outcomes, strict=True):
            await self._created(parent_id, variations, outcome, counter)

    async def _created(
        self,
        parent_id: int,
        variations: Sequence[NewVariation],
        outcome: BatchOutcome,
        counter: str,
    ) -> None:
        confirmed: list[Confirmed] = []
        failures: list[Failure] = []
        for success in outcome.created:
            v = variations[success.index]
            confirmed.append(
                Confirmed(
                    v.sku_key,
                    v.sku,
                    success.id,
                    "variation",
                    parent_id,
                    owned_from_item(success.item),
                    "created",
                    stock_sent=True,
                )
            )
        for error in outcome.errors:
            v = variations[error.index]
            failures.append(Failure(v.sku_key, v.sku, "variation", None, item_error(error), True))
        unknown = [variations[u.index] for u in outcome.unknown]
        if unknown:
            # The answer was lost: the variations may exist.  Look them up before any retry.
            found = await self.woo.find_products_by_skus([v.sku for v in unknown])
            for v in unknown:
                product = found.get(sku_key(v.sku))
                if product is not None and product.parent_id == parent_id:
                    confirmed.append(
                        Confirmed(
                            v.sku_key,
                            v.sku,
                            product.id,
                            "variation",
                            parent_id,
                            owned_from_model(product),
                            "created",
                            stock_sent=True,
                        )
                    )
                else:
                    failures.append(
                        Failure(
                            v.sku_key,
                            v.sku,
                            "variation",
                            None,
                            "WooCommerce did not confirm the variation; it is looked up "
                            "and tried again on the next run",
                            True,
                        )
                    )
        self.executor.confirm(confirmed)
        self.executor.report.counts[counter] += len(confirmed)
        self.executor.fail(failures)


def _gone(parent_id: int) -> str:
    return (
        f"variable product {parent_id} was deleted in WooCommerce; StoreBridge will not "
        "re-create it: restore it in WooCommerce, then `storebridge reconcile` relinks it"
    )


def _parent_problem(
    body: Mapping[str, Any], style_key: str, parent_id: int
) -> tuple[Any, str] | None:
    if body.get("status") == "trash":
        return "deleted", (
            f"variable product {parent_id} is in the trash; restore it, then `storebridge "
            "reconcile` relinks it and new variants are added"
        )
    if body.get("type") != "variable":
        return "broken", (
            f"WooCommerce product {parent_id} is no longer a variable product "
            f"({body.get('type')}); new variants of this style wait until it is variable again"
        )
    if sku_key(str(body.get("sku") or "")) != style_key:
        return "broken", (
            f"variable product {parent_id} now has SKU {body.get('sku')!r} instead of the style "
            "code; put the style code back in WooCommerce, then run `storebridge reconcile`"
        )
    return None
