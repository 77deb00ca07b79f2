"""The local actions, one repository at a time: fetch, branch, merge, tag, push and log with the git CLI.

Each one checks before it acts, so running it again after a crash finds its own work and reports it
instead of repeating it: a branch or tag that exists where it should is fine, a source already merged is
fine, a ref already pushed is "up to date". What exists *elsewhere* is a :class:`RefConflict`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from participants.git import params as p
from participants.git import repos
from participants.git.command import failure
from participants.git.errors import MergeConflict, PushRejected, RefConflict, RefNotFound
from participants.git.workspace import Workspace

Result = dict[str, Any]
PUSH_STATUS = {"*": "created", " ": "updated", "+": "forced", "-": "deleted", "=": "up to date", "!": "rejected"}


def fetch(ws: Workspace, repo: str, params: p.Fetch) -> Result:
    """Make sure the clone exists (re-cloning it when ``fresh``) and is fetched."""
    with ws.locked(repo):
        cloned = ws.ensure(repo, fresh=params.fresh)
    return {"path": str(ws.path(repo)), "cloned": cloned}


def branch(ws: Workspace, repo: str, params: p.Branch) -> Result:
    """Create the branch at ``from``; fine when it exists on the same line of history (see :func:`judge_existing`)."""
    with ws.clone(repo) as path:
        commit = ws.resolve(path, params.from_)
        existing = ws.branch_tip(path, params.branch)
        created = existing is None
        if existing is None:
            ws.check_name(path, f"refs/heads/{params.branch}")
            ws.git.run(path, "update-ref", f"refs/heads/{params.branch}", commit, "")
        else:
            judge_existing(path, ws, f"branch {params.branch}", existing, params.from_, commit)
        result: Result = {"branch": params.branch, "sha": existing or commit, "created": created}
        if params.push:
            result["pushed"] = push_refs(ws, path, [f"refs/heads/{params.branch}"])
        return result


def judge_existing(path: Path, ws: Workspace, what: str, existing: str, start: str, commit: str) -> None:
    """Accept an existing branch on ``start``'s line of history (one contains the other), else RefConflict.

    After a crash, ``start`` (main) may have moved on since the branch was cut, or the branch may have
    grown: both are the branch this step made. A branch that shares neither is someone else's.
    """
    if existing == commit or repos.is_ancestor(path, existing, commit, git=ws.git) \
            or repos.is_ancestor(path, commit, existing, git=ws.git):
        return
    raise RefConflict(f"{what} exists at {existing[:12]}, which is not on the history of {start} ({commit[:12]})",
                      detail={"existing": existing, "expected": commit})


def merge(ws: Workspace, repo: str, params: p.Merge) -> Result:
    """Merge ``source`` into branch ``target`` with a merge commit; fine when ``source`` is merged already.

    A conflict aborts the merge (the clone is left clean) and raises :class:`MergeConflict` naming the files.
    """
    with ws.clone(repo) as path:
        target = ws.branch_tip(path, params.target)
        if target is None:
            raise RefNotFound(f"no branch named {params.target!r}")
        source = ws.resolve(path, params.source)
        result: Result = {"target": params.target, "source_sha": source, "target_before": target}
        if repos.is_ancestor(path, source, target, git=ws.git):
            result.update(merged=False, sha=target)
        else:
            result.update(merged=True, sha=_merge_commit(ws, path, params, source))
        if params.push:
            result["pushed"] = push_refs(ws, path, [f"refs/heads/{params.target}"])
        return result


def _merge_commit(ws: Workspace, path: Path, params: p.Merge, source: str) -> str:
    message = params.message or f"Merge {params.source} into {params.target}"
    ws.git.run(path, "checkout", "--quiet", params.target, "--")
    try:
        args = ("merge", "--no-ff", "--no-edit", "--quiet", "-m", message, "--end-of-options", source)
        outcome = ws.git.run(path, *args, check=False)
        if outcome.code != 0:
            unmerged = ws.git.run(path, "diff", "--name-only", "--diff-filter=U", "-z", check=False).stdout
            files = [name for name in unmerged.split("\0") if name]
            if (path / ".git" / "MERGE_HEAD").exists():
                ws.git.run(path, "merge", "--abort")
            if files:
                raise MergeConflict(f"merging {params.source} into {params.target} conflicts in {', '.join(files)}",
                                    detail={"files": files})
            raise failure(args, outcome)
        return ws.git.run(path, "rev-parse", "HEAD").stdout.strip()
    finally:
        ws.repair(path)


def tag(ws: Workspace, repo: str, params: p.Tag) -> Result:
    """Create an annotated tag at ``ref``; fine when it exists at that commit, RefConflict elsewhere."""
    with ws.clone(repo) as path:
        commit = ws.resolve(path, params.ref)
        existing = ws.tag_commit(path, params.tag)
        if existing is None:
            ws.check_name(path, f"refs/tags/{params.tag}")
            ws.git.run(path, "tag", "--annotate", "--message", params.message or params.tag, params.tag, commit)
        elif existing != commit:
            raise RefConflict(f"tag {params.tag} exists at {existing[:12]}, not at {params.ref} ({commit[:12]})",
                              detail={"existing": existing, "expected": commit})
        result: Result = {"tag": params.tag, "sha": commit, "created": existing is None}
        if params.push:
            result["pushed"] = push_refs(ws, path, [f"refs/tags/{params.tag}"])
        return result


def push(ws: Workspace, repo: str, params: p.Push) -> Result:
    """Push the named branches and tags, all or none (``--atomic``)."""
    with ws.clone(repo) as path:
        return {"pushed": push_refs(ws, path, [_qualified(ws, path, ref) for ref in params.refs])}


def _qualified(ws: Workspace, path: Path, ref: str) -> str:
    if ref.startswith("refs/"):
        if repos.find(path, ref, git=ws.git) is None:
            raise RefNotFound(f"no ref {ref!r} to push")
        return ref
    if ws.branch_tip(path, ref) is not None:
        return f"refs/heads/{ref}"
    if ws.tag_commit(path, ref) is not None:
        return f"refs/tags/{ref}"
    raise RefNotFound(f"no branch or tag named {ref!r} to push")


def push_refs(ws: Workspace, path: Path, refs: list[str]) -> dict[str, str]:
    """``git push --atomic origin REF:REF...``; what happened to each ref (created, up to date...).

    Raises:
        PushRejected: the remote refused a ref (the message names it and says why).
    """
    args = ("push", "--porcelain", "--atomic", "origin", *(f"{ref}:{ref}" for ref in refs))
    outcome = ws.git.run(path, *args, check=False)
    statuses: dict[str, str] = {}
    reasons = []
    for line in outcome.stdout.splitlines():
        flag, _, rest = line.partition("\t")
        spec, _, summary = rest.partition("\t")
        if len(flag) == 1 and flag in PUSH_STATUS and ":" in spec:
            ref = spec.partition(":")[2]
            statuses[ref] = PUSH_STATUS[flag]
            if flag == "!" and "atomic push failed" not in summary:
                reasons.append(f"{ref} {summary}")
    if outcome.code != 0:
        if reasons:
            raise PushRejected(f"the remote refused {'; '.join(reasons)}", detail={"refs": statuses})
        raise failure(args, outcome)
    return statuses


def log(ws: Workspace, repo: str, params: p.Log) -> Result:
    """The commits of ``to`` since ``from``, oldest first."""
    with ws.clone(repo) as path:
        head = ws.resolve(path, params.to)
        base = ws.resolve(path, params.from_) if params.from_ else None
        commits = repos.commits_between(path, base, head, limit=params.limit, git=ws.git)
        return {"from": base, "to": head, "count": len(commits), "commits": [c.to_dict() for c in commits]}
