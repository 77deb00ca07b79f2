"""What release notes are made of: changes (merged pull requests or commits) per repository range.

Both sources (the local git CLI and the GitHub API) produce these, so classifying and rendering never
know where a change came from. How a commit message names its pull request lives here too, because
both sources read the same messages: GitHub's merge commits (``Merge pull request #12 from alice/x``,
the pull request's title on the first line of the body) and squash merges (``feat: add x (#12)``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MERGE_PR = re.compile(r"^Merge pull request #(?P<number>\d+) from (?P<branch>\S+)")
SQUASHED_PR = re.compile(r"^(?P<title>.*\S)\s+\(#(?P<number>\d+)\)$")


@dataclass(frozen=True)
class Change:
    """One entry candidate: a merged pull request or a commit.

    Attributes:
        repo: The repository's name in the notes.
        sha: The commit (the merge commit of a pull request).
        title: What is classified and shown: the pull request's title or the commit's subject.
        body: The rest of the message (read for ``BREAKING CHANGE:`` footers).
        author: A display name (a GitHub login when known).
        number: The pull request's number, when the change is one.
        url: The pull request's page, else the commit's, when the repository's web address is known.
        author_url: The author's profile page, when known.
        labels: The pull request's labels (only GitHub knows them).
    """

    repo: str
    sha: str
    title: str
    body: str = ""
    author: str = ""
    number: int | None = None
    url: str | None = None
    author_url: str | None = None
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Message:
    """A commit message read for its pull request: the title to show and the number, if any."""

    title: str
    body: str
    number: int | None


def read_message(subject: str, body: str) -> Message:
    """Tell the pull request (if any) and the title from a commit's subject and body."""
    subject, body = subject.strip(), body.strip()
    merge = MERGE_PR.match(subject)
    if merge:
        lines = body.splitlines()
        title = lines[0].strip() if lines and lines[0].strip() else merge["branch"]
        return Message(title=title, body="\n".join(lines[1:]).strip(), number=int(merge["number"]))
    squashed = SQUASHED_PR.match(subject)
    if squashed:
        return Message(title=squashed["title"], body=body, number=int(squashed["number"]))
    return Message(title=subject, body=body, number=None)


@dataclass(frozen=True)
class RepoRange:
    """What changed in one repository between two refs.

    Attributes:
        name: The repository's name in the notes.
        from_ref: The ref the range starts after (None: the repository's first commit).
        to_ref: The ref the range ends at.
        from_sha: The commit ``from_ref`` names (None with it).
        to_sha: The commit ``to_ref`` names.
        commits: How many commits the range holds (all of them, not only those followed).
        url: The repository's web page, when known.
        compare_url: A page showing the range, when known.
        changes: The changes, newest first.
    """

    name: str
    from_ref: str | None
    to_ref: str
    from_sha: str | None
    to_sha: str
    commits: int
    url: str | None = None
    compare_url: str | None = None
    changes: list[Change] = field(default_factory=list)
