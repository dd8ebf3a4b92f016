"""Request handlers, grouped by who may call them."""
