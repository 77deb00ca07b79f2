"""The REST API's routes, one module per resource; :func:`engine.api.app.create_app` mounts them."""
