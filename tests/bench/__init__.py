"""The benchmark: P processes x K sequential echo steps over the real broker, figures printed, nothing asserted.

``python -m tests.bench`` (``./dev bench``, ``make bench``) starts ``boss engine`` and N ``skynet run``
echo participants as subprocesses on a fresh RabbitMQ vhost and an empty store (SQLite in a temporary
directory, or a fresh schema of the PostgreSQL database given with ``--store-url``), then prints:

* a broker baseline: raw pika round trips/s on the same vhost, so that the engine's steps/s can be read
  as a fraction of what the wire alone does on this machine today;
* the launch rate: P launch requests published at once, until all P processes are in the store;
* steps/s and processes/s while the participants drain the work, from the engine's own records;
* per-step latency p50/p90/p99 (``step.dispatched`` -> ``step.done``);
* the engine's peak RSS and CPU time, and the participants' CPU time.

The modules: :mod:`~tests.bench.services` (vhost, store, daemons, /proc), :mod:`~tests.bench.baseline`,
:mod:`~tests.bench.phases` (launching, stepping), :mod:`~tests.bench.figures` (history -> figures -> text)
and :mod:`~tests.bench.runner` (options, order, cleanup). It does not use pytest, and pytest does not
collect it (no ``test_*`` modules).
"""
