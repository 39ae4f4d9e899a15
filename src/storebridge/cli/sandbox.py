"""`storebridge sandbox`: serve the local WooCommerce emulator, and act on it.

`storebridge sandbox --port 8081` serves the wc/v3 emulator with uvicorn
(in-memory unless `--db` names a SQLite file). The sub-commands play the two
humans the REST API never sees, through the sandbox's control plane: a
shopper placing an order (`order`), and a merchant changing an order status
(`order-status`) or editing a product (`edit-product`).
"""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import typer
import uvicorn

from storebridge.sandbox import FaultConfig, Sandbox, SandboxConfig, create_sandbox_app
from storebridge.sandbox.server import quiet_simulated_faults

app = typer.Typer(
    help="Serve the local WooCommerce sandbox, or place orders and edit products on it.",
    invoke_without_command=True,
)

UrlOption = Annotated[
    str, typer.Option("--url", help="Base URL of a running sandbox.", envvar="SANDBOX_URL")
]


def build_config(
    *,
    db: str = ":memory:",
    latency_ms: float = 0.0,
    assume_https: bool = False,
    batch_limit: int = 100,
    webhook_delay: float = 0.2,
    fault_seed: int = 0,
    fault_rates: dict[str, float] | None = None,
) -> SandboxConfig:
    """The SandboxConfig the command-line options describe."""
    faults = FaultConfig(seed=fault_seed, **(fault_rates or {}))
    return SandboxConfig(
        db_path=db,
        latency_seconds=latency_ms / 1000.0,
        assume_https=assume_https,
        batch_limit=batch_limit,
        webhook_delay_seconds=webhook_delay,
        faults=faults,
    )


@app.callback()
def serve(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8081,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    db: Annotated[str, typer.Option(help="SQLite file, or :memory:.")] = ":memory:",
    latency: Annotated[float, typer.Option(help="Added latency per request, in ms.")] = 0.0,
    assume_https: Annotated[
        bool, typer.Option(help="Behind a TLS proxy: treat requests as https.")
    ] = False,
    seed_products: Annotated[int, typer.Option(help="Simple products to create first.")] = 0,
    batch_limit: Annotated[int, typer.Option(help="Items allowed per batch request.")] = 100,
    webhook_delay: Annotated[float, typer.Option(help="Seconds before a delivery.")] = 0.2,
    fault_seed: Annotated[int, typer.Option(help="Seed of the fault generator.")] = 0,
    fault_429_rate: Annotated[float, typer.Option(help="Share of 429 answers.")] = 0.0,
    fault_500_rate: Annotated[float, typer.Option(help="Share of 500 answers.")] = 0.0,
    fault_502_rate: Annotated[float, typer.Option(help="Share of 502 answers.")] = 0.0,
    fault_503_rate: Annotated[float, typer.Option(help="Share of 503 answers.")] = 0.0,
    fault_drop_rate: Annotated[float, typer.Option(help="Share of dropped connections.")] = 0.0,
    fault_timeout_rate: Annotated[float, typer.Option(help="Share of stalled requests.")] = 0.0,
) -> None:
    """Serve the sandbox (when no sub-command is given)."""
    if ctx.invoked_subcommand is not None:
        return
    config = build_config(
        db=db,
        latency_ms=latency,
        assume_https=assume_https,
        batch_limit=batch_limit,
        webhook_delay=webhook_delay,
        fault_seed=fault_seed,
        fault_rates={
            "rate_429": fault_429_rate,
            "rate_500": fault_500_rate,
            "rate_502": fault_502_rate,
            "rate_503": fault_503_rate,
            "rate_drop": fault_drop_rate,
            "rate_timeout": fault_timeout_rate,
        },
    )
    sandbox = Sandbox(config)
    if seed_products > 0:
        result = sandbox.seed_products(seed_products)
        typer.echo(f"seeded {result.created} products ({result.first_sku} .. {result.last_sku})")
    typer.echo(f"WooCommerce sandbox on http://{host}:{port}/wp-json/wc/v3 (control: /_sandbox)")
    quiet_simulated_faults()
    # The sandbox sends its own Date header, from its clock (`gate`).
    uvicorn.run(
        create_sandbox_app(sandbox=sandbox),
        host=host,
        port=port,
        log_level="warning",
        date_header=False,
    )


@app.command()
def order(
    url: UrlOption,
    sku: Annotated[str, typer.Option(help="SKU of the product to buy.")],
    qty: Annotated[int, typer.Option(min=1, help="Quantity.")] = 1,
    status: Annotated[str, typer.Option(help="Status the checkout ends in.")] = "processing",
    email: Annotated[str, typer.Option(help="Billing e-mail of the shopper.")] = "",
) -> None:
    """Place an order as a shopper would (fires order.created)."""
    payload: dict[str, Any] = {"sku": sku, "quantity": qty, "status": status}
    if email:
        payload["billing"] = {"email": email}
    body = _control(url, "POST", "/orders", payload)
    typer.echo(f"order {body['id']} {body['status']} total {body['total']}")


@app.command("order-status")
def order_status(
    url: UrlOption,
    order_id: Annotated[int, typer.Argument(help="The order to change.")],
    status: Annotated[str, typer.Argument(help="The new status, e.g. completed.")],
) -> None:
    """Change an order's status as the merchant would in the admin."""
    body = _control(url, "POST", f"/orders/{order_id}/status", {"status": status})
    typer.echo(f"order {body['id']} {body['status']}")


@app.command("edit-product")
def edit_product(
    url: UrlOption,
    sku: Annotated[str | None, typer.Option(help="Find the product by SKU.")] = None,
    product_id: Annotated[int | None, typer.Option("--id", help="Find it by id.")] = None,
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    regular_price: Annotated[str | None, typer.Option("--price", help="New price.")] = None,
    sale_price: Annotated[str | None, typer.Option(help="New sale price.")] = None,
    stock: Annotated[int | None, typer.Option(help="New stock quantity.")] = None,
    status: Annotated[str | None, typer.Option(help="New status (draft, publish...).")] = None,
    new_sku: Annotated[str | None, typer.Option(help="Change the SKU itself.")] = None,
) -> None:
    """Edit a product as the merchant would in the admin (fires product.updated)."""
    if sku is None and product_id is None:
        raise typer.BadParameter("give --sku or --id")
    changes: dict[str, Any] = {
        key: value
        for key, value in (
            ("name", name),
            ("regular_price", regular_price),
            ("sale_price", sale_price),
            ("status", status),
            ("sku", new_sku),
        )
        if value is not None
    }
    if stock is not None:
        changes.update(manage_stock=True, stock_quantity=stock)
    body = _control(
        url, "POST", "/products/edit", {"id": product_id, "sku": sku, "changes": changes}
    )
    typer.echo(
        f"product {body['id']} {body['sku']} price {body['price']} "
        f"stock {body['stock_quantity']} {body['status']}"
    )


def _control(url: str, method: str, path: str, payload: dict[str, Any]) -> Any:
    """Call the control plane; a failure becomes a clean CLI error."""
    try:
        response = httpx.request(
            method, f"{url.rstrip('/')}/_sandbox{path}", json=payload, timeout=30.0
        )
    except httpx.HTTPError as error:
        raise typer.BadParameter(f"cannot reach the sandbox at {url}: {error}") from error
    if response.status_code >= 400:
        typer.echo(f"sandbox refused ({response.status_code}): {response.text}", err=True)
        raise typer.Exit(code=1)
    return response.json()
