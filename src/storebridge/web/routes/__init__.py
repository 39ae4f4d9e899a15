"""The dashboard's routers, one module per concern (auth, pages, actions, webhooks, health)."""
