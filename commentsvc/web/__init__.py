"""The HTTP side: app factory, routes, handlers, middlewares, static files."""
