"""A stand-in for GitHub's REST API v3: enough for PyGithub to branch, merge, compare, open pulls and release.

Supported (``base_url`` either ``http://HOST:PORT`` or ``http://HOST:PORT/api/v3``):

==========================================================  ==============================================
``GET /user``                                               the token's user
``GET /repos/{o}/{r}``                                      a repository
``GET /repos/{o}/{r}/git/ref/{heads|tags}/{name}``          one ref (404 when missing)
``GET /repos/{o}/{r}/git/matching-refs/{prefix}``           refs under ``refs/{prefix}`` (``[]`` if none)
``POST /repos/{o}/{r}/git/refs``                            create a branch or tag ref (422 when it exists)
``GET /repos/{o}/{r}/commits/{ref}``                        a commit by sha, branch or tag
``POST /repos/{o}/{r}/merges``                              201 merge commit, 204 nothing to merge, 409 conflict
``GET /repos/{o}/{r}/compare/{base}...{head}``              status, ahead/behind, commits (paginated), files
``GET|POST /repos/{o}/{r}/pulls``, ``GET .../pulls/{n}``    pull requests (``state``/``head``/``base`` filters)
``GET|POST /repos/{o}/{r}/releases``                        releases (drafts listed here only)
``GET /repos/{o}/{r}/releases/tags/{tag}``                  the published release of a tag
``GET|PATCH /repos/{o}/{r}/releases/{id}``                  one release; publishing a draft creates its tag
==========================================================  ==============================================

Lists paginate with ``page``/``per_page`` and a ``Link`` header. Errors are GitHub's bodies
(``{"message": "Not Found", "documentation_url": ...}``). Not modelled: forks, permissions (every
repository is private and the one token may do everything), annotated tag objects, line-level merges (a
file changed on both sides is a conflict), anonymous access.

Usage::

    state = GitHubState()
    state.add_repo("acme/api")
    with serve(create_app(state)) as url:
        Github(base_url=url, auth=Auth.Token(state.token)).get_repo("acme/api")

``python -m standins.github`` serves one with a demo repository in the foreground.
"""

from standins.github.app import create_app
from standins.github.model import Commit, Person, PullRequest, Release, Repo
from standins.github.state import Call, GitHubState

__all__ = ["Call", "Commit", "GitHubState", "Person", "PullRequest", "Release", "Repo", "create_app"]
