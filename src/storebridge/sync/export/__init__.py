"""Export flow: completed orders, customers and credits reach the POS/ERP exactly once."""
