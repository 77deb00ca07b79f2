"""A stand-in for Jira's REST API (Server/Data Center and Cloud flavours), for tests and the demo.

It serves what boss's ``jira`` participant needs, the way Jira documents it, so that the ``jira`` library
(pycontribs) works against it unchanged:

========================================  =================================================================
``GET /rest/api/2/serverInfo``            public; ``deploymentType`` is ``Server`` or ``Cloud``
``GET /rest/api/2/myself``, ``/field``    the authenticated user; the system fields with JQL clause names
``GET /rest/api/2/project/{key}``         404 ``No project could be found with key 'XYZ'.``
``GET /rest/api/2/project/{key}/versions``
``POST /rest/api/2/version``              201; 400 ``{"errors": {"name": "A version with this name already
                                          exists in this project."}}`` for a duplicate (names ignore case)
``GET|PUT /rest/api/2/version/{id}``      release with ``{"released": true, "releaseDate": "2026-12-25"}``
``GET|POST /rest/api/2/search``           Server: ``startAt``/``maxResults``/``total`` paging; Cloud: 410 Gone
``GET|POST /rest/api/{2,3}/search/jql``   Cloud: ``nextPageToken``/``isLast`` paging, ids only by default,
                                          unbounded queries refused; Server: 404
``GET|POST /rest/api/2/issue[/{key}]``    create (201 ``{id, key, self}``) and read issues
``GET|POST .../issue/{key}/transitions``  the workflow below; POST answers 204
``GET|POST .../issue/{key}/comment``      paged with ``startAt``/``maxResults``/``orderBy``
========================================  =================================================================

Everything is also served under ``/rest/api/latest``. Searches and comment lists cap ``maxResults`` at
``JiraState.max_results`` (50 by default), so clients must page as they must with Jira. The JQL subset is
described in :mod:`standins.jira.jql`. The workflow is To Do -> (Start Progress) In Progress ->
(Done) Done, with Stop Progress back to To Do and Reopen from Done.

Authentication: every route but ``serverInfo`` needs credentials. Cloud takes basic auth with an email and
an API token (``JiraState.users``); Server takes a personal access token as ``Authorization: Bearer``
(``JiraState.tokens``) or basic auth. Without valid credentials Cloud answers 401 ``Client must be
authenticated to access this resource.`` and Server 401 ``{"errorMessages": ["You are not authenticated.
Authentication required to perform this operation."]}``.

Fault injection for tests: ``state.fail_next(status=503, times=2, path="/rest/api/2/version*")`` (with
``retry_after=`` for 429), and ``state.hold("POST", "/rest/api/2/version")`` to keep a response back after
the work is done (the client can then be killed before it hears of it). ``state.requests`` lists every
request; ``state.calls(method, glob)`` counts them.

Run it alone with ``python -m standins.jira [--cloud] [--port N]`` (one project ``REL`` seeded).
"""

from __future__ import annotations

from standins.jira.app import create_app
from standins.jira.state import JiraState

__all__ = ["JiraState", "create_app"]
