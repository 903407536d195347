"""Feature handlers: one module and one `router` per feature; bot/app.py orders them."""
