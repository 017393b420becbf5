"""Instrument versions: registering an instrument file, the default set."""

from __future__ import annotations

from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

import analysis
from survey.models import InstrumentVersion
from survey.questionnaire import layout_problems

from . import done

DEFAULT_INSTRUMENT = "spi-standard.yaml"


def default_instrument_text() -> str:
    """The text of the default SPI-style instrument set shipped with the package."""
    return resources.files("survey.instruments").joinpath(DEFAULT_INSTRUMENT).read_text("utf-8")


def register_instrument(
    session: Session, content: str, *, fmt: str = "yaml", source: str = "instrument",
    commit: bool = True,
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
    done(session, commit)
    return version
