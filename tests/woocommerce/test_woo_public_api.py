"""The package's public surface: a sorted __all__ whose names all exist."""

from __future__ import annotations

import storebridge.woocommerce as woo


def test_all_is_sorted_and_every_name_is_importable() -> None:
    assert woo.__all__ == sorted(woo.__all__)
    assert len(set(woo.__all__)) == len(woo.__all__)
    for name in woo.__all__:
        assert getattr(woo, name) is not None


def test_the_client_and_its_errors_are_exported() -> None:
    assert {"WooClient", "WooConnection", "WooError", "verify_signature"} <= set(woo.__all__)
    assert issubclass(woo.WooDuplicateSku, woo.WooBadRequest)
    assert issubclass(woo.WooBadRequest, woo.WooError)
