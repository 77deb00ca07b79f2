"""The REST API of ``boss serve`` (FastAPI): processes, definitions, participants, pools, events, metrics.

- :mod:`~engine.api.app`: :func:`create_app`, which wires everything below;
- :mod:`~engine.api.auth`: bearer tokens, read-only and operator;
- :mod:`~engine.api.errors`: the one JSON error shape;
- :mod:`~engine.api.routes`: one module per resource;
- :mod:`~engine.api.reads` and :mod:`~engine.api.commands`: what the ``boss`` commands and the API share;
- :mod:`~engine.api.queries`: the API's read queries; :mod:`~engine.api.paging`: cursors and pages;
- :mod:`~engine.api.events`: the live event stream; :mod:`~engine.api.metrics`: Prometheus metrics;
- :mod:`~engine.api.pools`: the pool agents of every host.

See docs/api.md. Nothing is imported here: the ``boss`` commands use :mod:`~engine.api.reads` and
:mod:`~engine.api.commands` without loading FastAPI.
"""
