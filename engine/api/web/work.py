"""What each participant instance is working on, from the steps table.

Instances announce their current workitem in their heartbeats, but only every so often (15 s by default);
the steps table knows at once which instance accepted which running step. The participants page shows
the fresher of the two.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from engine.api.queries import reading
from engine.store import Store
from engine.store.schema import processes, steps


def current_work(store: Store) -> dict[str, dict[str, Any]]:
    """Instance -> the running step it accepted: process id and name, step, workitem, attempt, since."""
    query = (sa.select(steps.c.instance, steps.c.process_id, processes.c.name, steps.c.step, steps.c.workitem,
                       steps.c.attempt, steps.c.started_at)
             .join(processes, processes.c.id == steps.c.process_id)
             .where(steps.c.status == "running", steps.c.instance.is_not(None))
             .order_by(steps.c.started_at))
    with reading(store) as conn:
        return {str(row["instance"]): {"process_id": row["process_id"], "process_name": row["name"],
                                       "step": row["step"], "workitem": row["workitem"], "attempt": row["attempt"],
                                       "since": row["started_at"]}
                for row in conn.execute(query).mappings()}
