"""Orders and allocation: the order ledger, the units it holds, and the stock pushes they imply."""
