"""Catalogue flow: POS items in, WooCommerce drafts, prices and stock out (see `storebridge.sync`)."""
