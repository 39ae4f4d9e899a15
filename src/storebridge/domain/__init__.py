"""The pure core: value types and rules. Imports nothing else from storebridge, does no I/O."""
