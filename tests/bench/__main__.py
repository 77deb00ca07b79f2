"""``python -m tests.bench`` (what ``./dev bench`` and ``make bench`` run)."""

from tests.bench.runner import main

raise SystemExit(main())
