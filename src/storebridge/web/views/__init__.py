"""The database queries behind the dashboard pages, one module per page group.

- `overview`: each store's figures and health; `catalog`: products, one SKU's
  story, quarantine; `orders`: export records and the run log; `metrics`: the
  Prometheus text.
"""
