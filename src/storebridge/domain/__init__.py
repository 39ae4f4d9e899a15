"""The pure core: value types and rules. Imports nothing else from storebridge, does no I/O.

Modules, in the order a product sync uses them:

* `model`: frozen value types shared with connectors and engines;
* `parsing`, `selection`, `validation` (+ `rules`, `feed_rules`): POS rows in,
  `PosItem` or `Quarantined` out;
* `allocation`: on-hand - allocated - safety = the quantity to publish;
* `ownership`: the only builder of WooCommerce product payloads;
* `links`, `operations`, `plan`: items + link table -> a plan of writes;
* `export_state`: the order export record's transitions;
* `cursor`: gap-free incremental reads by modification time.

`tests/domain/test_purity.py` enforces the import rule.
"""
