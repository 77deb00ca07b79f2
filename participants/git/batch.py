"""One action over many repositories: progress per repository, and what a failure part-way means.

Repositories are worked in the order the step lists them. The first error stops the step: its message
starts with the repository, and its ``detail`` says which repositories were ``done`` and which are
``pending``. Every action is idempotent, so retrying the step redoes nothing that was done and finishes the
rest. Merge conflicts are the exception: the other repositories are still merged, and one
:class:`MergeConflict` at the end lists the files of every conflicting repository, so that one round of
fixes resolves them all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from participants.git.errors import MergeConflict
from skynet import ParticipantError, Workitem
from skynet.errors import Cancelled

Result = dict[str, Any]


def each_repo(wi: Workitem, action: str, repos: list[str], work: Callable[[str], Result]) -> Result:
    """Run ``work`` for each repository; the step's result maps each repository to its result.

    Raises:
        ParticipantError: the first failure (of the same class, so its retryability is kept), with the
            repository in its message; or one MergeConflict naming every conflicting repository.
    """
    done: dict[str, Result] = {}
    conflicts: dict[str, MergeConflict] = {}
    for index, repo in enumerate(repos):
        wi.check_cancelled()
        wi.progress(f"{action} {repo}", repo=repo, done=index, total=len(repos))
        try:
            done[repo] = work(repo)
        except MergeConflict as exc:
            conflicts[repo] = exc
        except Cancelled:
            raise
        except ParticipantError as exc:
            raise _in_context(exc, repo, done, repos[index + 1:]) from exc
    if conflicts:
        raise _conflicts(conflicts, done, len(repos))
    wi.progress(f"{action} done", done=len(repos), total=len(repos))
    return {"action": action, "repos": done}


def _in_context(exc: ParticipantError, repo: str, done: dict[str, Result], pending: list[str]) -> ParticipantError:
    suffix = f" (done: {', '.join(done)}; a retry finishes the rest)" if done else ""
    detail: dict[str, Any] = {"repo": repo, "done": done, "pending": pending}
    if exc.detail is not None:
        detail["cause"] = exc.detail
    return type(exc)(f"{repo}: {exc.message}{suffix}", detail=detail)


def _conflicts(conflicts: dict[str, MergeConflict], done: dict[str, Result], total: int) -> MergeConflict:
    files = {repo: list((exc.detail or {}).get("files", [])) for repo, exc in conflicts.items()}
    listed = "; ".join(f"{repo}: {exc.message}" for repo, exc in conflicts.items())
    return MergeConflict(f"merge conflict in {len(conflicts)} of {total} repositories: {listed}",
                         detail={"conflicts": files, "done": done})
