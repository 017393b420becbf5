"""Instrument versions: registering an instrument file, the default set."""

from __future__ import annotations

from importlib import resources

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import analysis
from survey.models import Campaign, InstrumentVersion, StaffUser
from survey.questionnaire import layout_problems

from . import audit, done

DEFAULT_INSTRUMENT = "spi-standard.yaml"


def default_instrument_text() -> str:
    """The text of the default SPI-style instrument set shipped with the package."""
    return resources.files("survey.instruments").joinpath(DEFAULT_INSTRUMENT).read_text("utf-8")


def register_instrument(
    session: Session, content: str, *, fmt: str = "yaml", source: str = "instrument",
    commit: bool = True, actor: StaffUser | None = None,
) -> InstrumentVersion:
    """Validate an instrument file and store it as a version; the same text
    registered twice gives the same version.

    Raises
    ------
    analysis.InstrumentError
        When the file is invalid or cannot be laid out as pages.
    """
    instrument = analysis.parse_instrument(content, source=source, format=fmt)
    problems = layout_problems(instrument)
    if problems:
        raise analysis.InstrumentError(source, [analysis.Problem("questions", p) for p in problems])
    existing = session.scalar(
        select(InstrumentVersion).where(InstrumentVersion.checksum == instrument.checksum)
    )
    if existing is not None:
        return existing
    version = InstrumentVersion(
        instrument_key=instrument.id,
        version=instrument.version,
        content=content,
        format=fmt,
        checksum=instrument.checksum,
    )
    session.add(version)
    session.flush()
    if actor is not None:
        audit.record(session, "instrument.upload", actor=actor, target=version.label,
                     detail={"version": version.id, "checksum": version.checksum[:12]})
    done(session, commit)
    return version


def visible_versions(session: Session, user: StaffUser) -> list[tuple[InstrumentVersion, int]]:
    """Instrument versions ``user`` may see, newest first, each with the
    number of their institution's campaigns that pin it: every version for a
    platform administrator; else those pinned by their institution's
    campaigns, and those no campaign pins yet (newly uploaded)."""
    pinned = select(Campaign.instrument_version_id, func.count().label("n")).group_by(
        Campaign.instrument_version_id)
    own = pinned
    if user.institution_id is not None:
        own = pinned.where(Campaign.institution_id == user.institution_id)
    own_counts = dict(session.execute(own).all())
    any_counts = dict(session.execute(pinned).all())
    found = []
    for version in session.scalars(select(InstrumentVersion).order_by(
            InstrumentVersion.created_at.desc(), InstrumentVersion.id.desc())):
        if user.institution_id is None or version.id in own_counts \
                or version.id not in any_counts:
            found.append((version, own_counts.get(version.id, 0)))
    return found
