"""POS/ERP connectors: one module per system, each implementing ports.PosConnector."""
