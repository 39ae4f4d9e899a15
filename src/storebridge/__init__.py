"""StoreBridge: keeps a POS/ERP and a WooCommerce store in step.

Products flow POS -> WooCommerce (created as drafts, then only prices and
stock are kept in sync); completed orders and their customers flow
WooCommerce -> POS exactly once. Nothing runs at import time.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
