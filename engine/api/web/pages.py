"""The dashboard's pages: processes, a process, approvals, participants, definitions, the release calendar.

Each page reads the store (and, for pools, asks the pool agents) and renders a template; nothing here
writes. The buttons on the pages call the JSON API (``/api/...``) from the page script, with the session
cookie and the CSRF header, so a page does exactly what an API client with the same token could do.
Live pages name an event stream in ``data-events``: the script re-reads the page when a process changes
and swaps the parts marked ``data-live`` in place, without a reload.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from engine.api import pools, queries
from engine.api.errors import ApiError
from engine.api.models import NAME_PATTERN, is_definition_name
from engine.api.paging import decode_cursor, encode_cursor
from engine.api.reads import participant_listing, resolve_process
from engine.api.routes.definitions import fields_schema
from engine.api.web import agenda, diagram, forms, process_view, work
from engine.api.web.context import PageRequest, PageRoute
from engine.api.web.people import may_answer
from engine.api.web.render import trusted
from engine.errors import BossError
from engine.interpreter.state import ProcessStatus
from engine.language import redact

PAGE_SIZE = 50
STATES = tuple(status.value for status in ProcessStatus)
POOL_WAIT = 1.0  # seconds the participants page listens for pool agents

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/")
def processes_page(
    page: PageRequest,
    state: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI reads the default, never mutates it
    name: str = "",
    since: date | None = None,
    until: date | None = None,
    cursor: str | None = None,
) -> Response:
    """Processes, newest first, filtered by state, definition and launch date; rows follow live states."""
    states = [s for text in state for s in text.split(",") if s]
    unknown = [s for s in states if s not in STATES]
    if unknown:
        raise ApiError(422, "invalid", f"unknown state {unknown[0]!r} (states: {', '.join(STATES)})")
    which = queries.ProcessFilter(states=states, name=name or None, since=_start_of(since),
                                  until=_start_of(until, next_day=True))
    after = _position(cursor) if cursor else None
    rows = queries.list_processes(page.api.store, which, PAGE_SIZE + 1, after)
    more = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        more = encode_cursor({"t": rows[-1]["launched_at"].isoformat(), "id": rows[-1]["id"]})
    kept = [(k, v) for k, v in page.request.query_params.multi_items() if k != "cursor"]
    events = "/api/events" + (f"?{urlencode({'name': name})}" if name else "")
    return page.render("processes.html", "processes", rows=rows, states=STATES, chosen=set(states), name=name,
                       since=since, until=until, names=page.api.library.names(), now=page.now,
                       total=queries.count_processes(page.api.store, which), events=events,
                       next=f"/?{urlencode([*kept, ('cursor', more)])}" if more else None)


@router.get("/processes/{process_id}")
def process_page(process_id: str, page: PageRequest) -> Response:
    """One process: its flow coloured by live state, the timeline of its steps, fields, error, and actions."""
    store = page.api.store
    pid = resolve_process(store, process_id)
    row = store.get_process(pid)
    if row is None:
        raise ApiError(404, "not_found", f"no process {process_id!r}")
    definition = page.dashboard.definition_of(store, row.program)
    secret = definition.secret_fields if definition is not None else frozenset(row.state.fields)
    steps = store.steps(pid)
    lines = process_view.timeline(definition, steps, page.now, page.me.name, page.groups)
    svg = None
    if definition is not None:
        svg = trusted(diagram.render(definition, process_view.statuses_by_path(definition, steps),
                                     link=lambda path: "#t-" + diagram.slug(path)))
    first = store.history(pid, limit=1)
    launched_by = first[0].data.get("by") if first else None
    return page.render("process.html", "processes", process=row, definition=definition, diagram=svg, lines=lines,
                       fields=redact(row.state.fields, secret), launched_by=launched_by,
                       actions=process_view.actions(row.status), now=page.now,
                       corrections=forms.correction_inputs(row.state.fields, secret),
                       took=(row.finished_at or page.now) - row.launched_at, events=f"/api/events?process={pid}")


@router.get("/approvals")
def approvals_page(page: PageRequest) -> Response:
    """Approvals waiting for the signed-in user (by name or group), then those waiting for someone else."""
    mine: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    for row in queries.pending_approvals(page.api.store):
        detail = row["detail"] or {}
        item = {**row, "process_status": row["status"], "prompt": detail.get("prompt"), "by": detail.get("by") or []}
        (mine if may_answer(page.me.name, item["by"], page.groups) else others).append(item)
    return page.render("approvals.html", "approvals", mine=mine, others=others, events="/api/events")


@router.get("/participants")
def participants_page(page: PageRequest) -> Response:
    """Participants and their instances on every host (heartbeats, current work); pools load by themselves."""
    listing = participant_listing(page.api.store.registrations(), page.api.store.instances(), page.now,
                                  timedelta(seconds=page.api.settings.heartbeat_timeout))
    working = work.current_work(page.api.store)
    for entry in listing:
        for instance in entry["instances"]:
            instance["current"] = working.get(instance["instance"]) or instance["current"]
    return page.render("participants.html", "participants", participants=listing, now=page.now)


@router.get("/participants/pools")
def pools_fragment(page: PageRequest) -> Response:
    """The pools as their agents describe them (an HTML fragment the participants page fetches)."""
    try:
        found: dict[str, Any] = pools.report(page.api.cluster_client, POOL_WAIT)
        problem = None
    except BossError as exc:
        found, problem = {"items": [], "unverified": 0}, str(exc).splitlines()[0]
    return page.dashboard.renderer.page("pools.html", pools=found["items"], unverified=found["unverified"],
                                        problem=problem, wait=POOL_WAIT, may_operate=page.me.may_operate)


@router.get("/definitions")
def definitions_page(page: PageRequest) -> Response:
    """The processes that can be launched, with their descriptions."""
    entries = []
    for name in page.api.library.names():
        try:
            definition = page.api.library.load(name)
            entries.append({"name": name, "ok": True, "description": definition.description,
                            "version": definition.version, "steps": len(definition.all_steps()),
                            "fields": len(definition.fields)})
        except BossError as exc:
            entries.append({"name": name, "ok": False, "error": str(exc).splitlines()[0]})
    return page.render("definitions.html", "definitions", definitions=entries)


@router.get("/definitions/{name}")
def definition_page(name: Annotated[str, Path(pattern=NAME_PATTERN)], page: PageRequest) -> Response:
    """A definition: its flow, its fields, its YAML, and the form that launches it."""
    if not is_definition_name(name):
        raise ApiError(422, "invalid", "a definition name, without .yaml")
    definition = page.api.library.load(name)
    schema = fields_schema(definition)
    return page.render("definition.html", "definitions", definition=definition,
                       diagram=trusted(diagram.render(definition)), inputs=forms.launch_inputs(schema),
                       free_fields=bool(schema["additionalProperties"]))


@router.get("/calendar")
def calendar_page(page: PageRequest) -> Response:
    """Upcoming scheduled launches and the timers of live processes, in time order."""
    plan = agenda.scheduled(page.dashboard.schedules, page.now)
    entries = sorted([*plan.launches, *agenda.pending_timers(page.api.store)], key=lambda e: e.at)
    return page.render("calendar.html", "calendar", schedules=plan, entries=entries, now=page.now,
                       events="/api/events")


def _start_of(day: date | None, *, next_day: bool = False) -> datetime | None:
    """A date of the filter form as an instant: the start of that day (of the next, for "until"), in UTC."""
    if day is None:
        return None
    start = datetime.combine(day, time(), tzinfo=UTC)
    return start + timedelta(days=1) if next_day else start


def _position(cursor: str) -> queries.Position:
    data = decode_cursor(cursor)
    try:
        return queries.Position(launched_at=datetime.fromisoformat(str(data["t"])), id=str(data["id"]))
    except (KeyError, ValueError) as exc:
        raise ApiError(422, "invalid", "this page link is broken: start again from the first page") from exc
