"""Greeter: the example participant of docs/writing-participants.md.

Try it: ``skynet run etc/examples/greeter.py`` (config from ``etc/participants/greeter.yaml``; override
with ``BOSS_GREETER_GREETING=hi``), then launch a process whose step is ``participant: greeter`` with
``params: {who: world}``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from skynet import Participant, Workitem


class Greeter(Participant):
    """Greets someone, politely and idempotently."""

    name = "greeter"
    version = "1"
    config_keys = ("greeting",)

    class Params(BaseModel):
        """What a process step gives the greeter."""

        who: str

    def setup(self, config: dict[str, Any]) -> None:
        self.greeting = str(config.get("greeting", "hello"))

    def handle(self, wi: Workitem) -> dict[str, Any]:
        wi.progress("greeting", who=wi.params.who)
        wi.fields["greeted"] = wi.params.who
        return {"text": f"{self.greeting} {wi.params.who}"}
