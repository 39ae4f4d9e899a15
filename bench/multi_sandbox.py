"""`python -m bench.multi_sandbox --ports P1,P2,...`: one sandbox store per port, in one process.

The many-stores benchmark needs one WooCommerce per store (the demo
catalogues share their SKUs, so one store would adopt another's products).
Each store is its own `Sandbox` (its own database) served on its own port of
127.0.0.1 (a path prefix per store would break OAuth 1.0a, which signs the
URL the client sees), all by one event loop.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import uvicorn

from storebridge.sandbox import Sandbox, SandboxConfig, create_sandbox_app

__all__ = ["main", "serve"]


async def serve(ports: list[int], latency_ms: float) -> None:
    """Serve one sandbox store on each of `ports` until cancelled."""
    config = SandboxConfig(latency_seconds=latency_ms / 1000.0, webhook_auto_deliver=False)
    servers = [
        uvicorn.Server(
            uvicorn.Config(
                create_sandbox_app(sandbox=Sandbox(config)),
                host="127.0.0.1",
                port=port,
                log_level="warning",
            )
        )
        for port in ports
    ]
    await asyncio.gather(*(server.serve() for server in servers))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.multi_sandbox", description=__doc__)
    parser.add_argument("--ports", required=True, help="comma-separated, one store per port")
    parser.add_argument("--latency", type=float, default=50.0, help="ms added to each request")
    options = parser.parse_args(sys.argv[1:] if argv is None else argv)
    asyncio.run(serve([int(p) for p in options.ports.split(",")], options.latency))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
