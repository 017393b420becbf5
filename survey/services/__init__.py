"""Use cases. Each takes a SQLAlchemy session, does the whole job and commits
once; none touches the request, so the CLI and the tests call them too.

A use case that a larger one may call (the demo seeding builds a city from
them) takes ``commit=False`` and then only flushes: only the outermost use
case commits, so a failure midway leaves nothing half-done.
"""

from sqlalchemy.orm import Session


def done(session: Session, commit: bool) -> None:
    """The end of a use case: commit, or (called by a larger use case, which
    commits) only flush."""
    if commit:
        session.commit()
    else:
        session.flush()
