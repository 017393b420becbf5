"""The respondent's use cases: open a link, save and resume, submit once.

Nothing here runs on a GET except :func:`resolve_invitation`,
:func:`resolve_open_link` and :func:`load_progress`, which only read.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

import analysis
from survey import clock
from survey.database import Direct, in_autocommit
from survey.models import (
    Campaign,
    CampaignStatus,
    Channel,
    Institution,
    InstrumentVersion,
    Invitation,
    OpenLink,
    PartialAnswer,
    PendingResponse,
    Response,
    Unit,
    UsedStart,
)
from survey.models.base import random_id
from survey.models.instrument import parsed_instrument
from survey.questionnaire import Page, build_pages, prune_hidden, validate_response

from . import results
from .tokens import PendingSeal, SealedKey, token_hash

OPEN_LINK_GROUP = "external"


def _pending_seal(secret_key: str | None) -> PendingSeal:
    """The seal of the mixing pool: under ``secret_key``, by default the
    application's ``SECRET_KEY``."""
    if secret_key is None:
        from flask import current_app

        secret_key = current_app.config["SECRET_KEY"]
    return PendingSeal(secret_key)


class LinkProblem(Exception):
    """A link that cannot be answered; ``reason`` selects the page shown."""

    STATUS = {"unknown": 404, "used": 410, "replaced": 410, "expired": 410, "closed": 410,
              "not_open": 403}

    def __init__(self, reason: str, campaign: LinkCampaign | None = None):
        super().__init__(reason)
        self.reason = reason
        self.campaign = campaign

    @property
    def status(self) -> int:
        return self.STATUS[self.reason]


class InvalidResponse(Exception):
    """The response does not satisfy the pinned instrument."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Named:
    """An office or an institution as a respondent's page shows it."""

    id: int
    code: str
    name: str


@dataclass(frozen=True)
class LinkCampaign:
    """What a respondent's pages need of a campaign, read with the link as
    plain values (no ORM object: a page request builds none, see
    :data:`_INVITATION_BY_HASH`)."""

    id: int
    name: str
    status: CampaignStatus
    opens_on: date
    closes_on: date
    institution: Named


@dataclass
class RespondentLink:
    """Who is answering what: resolved from a personal or an open link."""

    channel: Channel
    campaign: LinkCampaign
    unit: Named
    group: str
    version_id: int
    instrument: analysis.Instrument
    invitation_hash: str | None = None
    #: The answers saved under the secret the link was resolved with, read
    #: in the same query as the link (None: nothing saved, or no secret).
    progress: Progress | None = None
    #: The key derived from that secret (None: resolved without one). Saving
    #: and sending under the same secret take it instead of deriving it again.
    sealed: SealedKey | None = None

    @property
    def pages(self) -> tuple[Page, ...]:
        return build_pages(self.instrument, self.group)


@dataclass
class Progress:
    """Answers saved so far, the pages completed, and when answering began
    (seconds since the epoch, from the first page view). ``stored`` tells
    whether this progress was read from (or written to) the database."""

    answers: dict[str, str] = field(default_factory=dict)
    done: set[int] = field(default_factory=set)
    started: float | None = None
    stored: bool = False

    def to_payload(self) -> dict:
        return {"answers": self.answers, "done": sorted(self.done), "started": self.started}

    @classmethod
    def from_payload(cls, payload: dict) -> Progress:
        return cls(dict(payload.get("answers", {})), set(payload.get("done", [])),
                   payload.get("started"), stored=True)


# Every page request resolves its link first: that is the platform's hot
# path (benchmarks/load.py). These statements are built once (SQLAlchemy
# then reuses their compiled form without computing a cache key per
# request) and fetch, in one query, the link, what the page shows of its
# campaign, office and institution, the instrument version's checksum
# (parsed instruments are cached by checksum, so its 60 KB text is not
# read) and the answers saved so far under the link's secret. They select
# columns, not mapped objects: building ORM objects and their loader state
# cost a third of a page's CPU, and a page changes none of them. A page
# never needs an invitee's phone or e-mail address, so they are not read.
_invitation, _campaign, _unit, _institution, _version, _partial = (
    Invitation.__table__, Campaign.__table__, Unit.__table__, Institution.__table__,
    InstrumentVersion.__table__, PartialAnswer.__table__)
_PROGRESS_BY_KEY = select(_partial.c.payload).where(_partial.c.key == bindparam("key"))
_SAVED = _PROGRESS_BY_KEY.scalar_subquery()
_LINK_COLUMNS = (
    _campaign.c.id.label("campaign_id"), _campaign.c.name.label("campaign_name"),
    _campaign.c.status, _campaign.c.opens_on, _campaign.c.closes_on,
    _institution.c.id.label("institution_id"), _institution.c.code.label("institution_code"),
    _institution.c.name.label("institution_name"),
    _unit.c.id.label("unit_id"), _unit.c.code.label("unit_code"),
    _unit.c.name.label("unit_name"),
    _version.c.id.label("version_id"), _version.c.checksum, _version.c.format,
    _SAVED.label("saved"),
)


def _with_campaign(link_table, *columns):
    """``columns`` of ``link_table`` and :data:`_LINK_COLUMNS`, joined."""
    return (select(*columns, *_LINK_COLUMNS)
            .select_from(link_table
                         .join(_campaign, _campaign.c.id == link_table.c.campaign_id)
                         .join(_institution, _institution.c.id == _campaign.c.institution_id)
                         .join(_version, _version.c.id == _campaign.c.instrument_version_id)
                         .join(_unit, _unit.c.id == link_table.c.unit_id)))


_INVITATION_BY_HASH = Direct(_with_campaign(
    _invitation, _invitation.c.respondent_group, _invitation.c.expires_on, _invitation.c.used,
    _invitation.c.revoked,
).where(_invitation.c.token_hash == bindparam("digest")))
_OPEN_LINK_BY_CODE = Direct(_with_campaign(
    OpenLink.__table__, OpenLink.__table__.c.active,
).where(OpenLink.__table__.c.code == bindparam("code")))
_VERSION_TEXT = select(_version.c.content).where(_version.c.id == bindparam("version"))
# On the tables, not the mapped classes: plain statements, without the
# ORM's bookkeeping for objects in the session (a respondent's request
# holds none; working out which ones a statement touches was a sizeable
# part of sending, benchmarks/load.py).
_SAVE_PROGRESS = Direct(
    update(_partial)
    .where(_partial.c.key == bindparam("b_key"))
    .values(payload=bindparam("b_payload"), expires_on=bindparam("b_expires_on"))
)
_DROP_PROGRESS = delete(_partial).where(_partial.c.key == bindparam("b_key"))
_CLAIM_INVITATION = (
    update(_invitation)
    .where(_invitation.c.token_hash == bindparam("b_hash"), _invitation.c.used.is_(False))
    .values(used=True)
)


def _check_campaign(campaign: LinkCampaign, today: date) -> None:
    if campaign.status == CampaignStatus.CLOSED or today > campaign.closes_on:
        raise LinkProblem("closed", campaign)
    if campaign.status == CampaignStatus.DRAFT or today < campaign.opens_on:
        raise LinkProblem("not_open", campaign)


def _campaign_of(row) -> LinkCampaign:
    return LinkCampaign(row.campaign_id, row.campaign_name, row.status, row.opens_on,
                        row.closes_on,
                        Named(row.institution_id, row.institution_code, row.institution_name))


def _link_of(session: Session, row, campaign: LinkCampaign, channel: Channel, group: str, *,
             sealed: SealedKey | None, invitation_hash: str | None = None) -> RespondentLink:
    instrument = parsed_instrument(
        row.checksum, row.format,
        lambda: session.execute(_VERSION_TEXT, {"version": row.version_id}).scalar_one())
    return RespondentLink(channel, campaign, Named(row.unit_id, row.unit_code, row.unit_name),
                          group, row.version_id, instrument, invitation_hash,
                          _opened(sealed, row.saved), sealed)


def resolve_invitation(session: Session, token: str, *, today: date) -> RespondentLink:
    """The personal link's campaign, unit and group.

    Raises
    ------
    LinkProblem
        unknown, used, replaced (revoked for a new one), expired, closed or not_open.
    """
    digest = token_hash(token)
    sealed = SealedKey(token)   # a personal link's answers are kept under its token
    row = _INVITATION_BY_HASH.first(session, {"digest": digest, "key": sealed.key_id})
    if row is None:
        raise LinkProblem("unknown")
    campaign = _campaign_of(row)
    if row.used:
        raise LinkProblem("used", campaign)
    if row.revoked:
        raise LinkProblem("replaced", campaign)
    _check_campaign(campaign, today)  # "the survey is closed" says more than "expired"
    if row.expires_on < today:
        raise LinkProblem("expired", campaign)
    return _link_of(session, row, campaign, Channel.INVITED, row.respondent_group,
                    sealed=sealed, invitation_hash=digest)


def answered(session: Session, link: RespondentLink) -> bool:
    """Whether the personal link has been answered by now (a request that
    resolved it a moment ago may have been overtaken by another tap)."""
    if link.channel != Channel.INVITED:
        return False
    return bool(session.scalar(select(Invitation.used)
                               .where(Invitation.token_hash == link.invitation_hash)))


def resolve_open_link(session: Session, code: str, *, today: date,
                      secret: str | None = None) -> RespondentLink:
    """The open link's campaign and unit; citizens answer as the external
    group. With ``secret`` (this browser's, for this link), the answers saved
    under it come with the link."""
    sealed = SealedKey(secret) if secret else None
    row = _OPEN_LINK_BY_CODE.first(session,
                                   {"code": code, "key": sealed.key_id if sealed else None})
    if row is None or not row.active:
        raise LinkProblem("unknown")
    campaign = _campaign_of(row)
    _check_campaign(campaign, today)
    link = _link_of(session, row, campaign, Channel.OPEN, OPEN_LINK_GROUP, sealed=sealed)
    if OPEN_LINK_GROUP not in link.instrument.groups:
        raise LinkProblem("unknown")
    return link


def load_progress(session: Session, secret: str) -> Progress | None:
    """The saved answers for this link secret, or None if nothing is saved."""
    sealed = SealedKey(secret)
    return _opened(sealed, session.execute(_PROGRESS_BY_KEY, {"key": sealed.key_id}).scalar())


def _opened(sealed: SealedKey | None, stored: bytes | None) -> Progress | None:
    """The saved answers ``stored`` opened with ``sealed`` (nothing is
    stored where there was no key to look under)."""
    if stored is None or sealed is None:
        return None
    payload = sealed.open(stored)
    return Progress.from_payload(payload) if payload is not None else None


def _key(secret: str | SealedKey) -> SealedKey:
    """The key of a link secret; one derived already is taken as it is."""
    return secret if isinstance(secret, SealedKey) else SealedKey(secret)


def discard_progress(session: Session, secret: str | SealedKey) -> None:
    """Delete the saved answers of this link secret, if any. Commits."""
    session.execute(_DROP_PROGRESS, {"b_key": _key(secret).key_id})
    session.commit()


def save_progress(session: Session, link: RespondentLink, secret: str | SealedKey,
                  progress: Progress, *, today: date, keep_days: int) -> bool:
    """Store the answers so far, dropping answers that no longer apply.

    Returns False when saved answers that existed a moment ago are gone: the
    same link was just submitted from another tap or tab. Nothing is written
    then, so a submitted response can never be followed by stale answers.
    """
    progress.answers = prune_hidden(link.instrument, link.group, progress.answers)
    sealed = _key(secret)
    values = {"payload": sealed.seal(progress.to_payload()),
              "expires_on": today + timedelta(days=keep_days)}
    if progress.stored:
        updated = _SAVE_PROGRESS.rowcount(session, {
            "b_key": sealed.key_id, "b_payload": values["payload"],
            "b_expires_on": values["expires_on"]})
        if updated != 1:
            session.rollback()
            return False
    else:
        try:
            session.execute(insert(PartialAnswer).values(key=sealed.key_id, **values))
        except IntegrityError:
            # Start was tapped twice at once; the first one's row stands.
            session.rollback()
            return True
    session.commit()
    progress.stored = True
    return True


@dataclass(frozen=True)
class SubmitOutcome:
    stored: bool  # False: this link had already been answered


def submit(
    session: Session,
    link: RespondentLink,
    secret: str | SealedKey,
    progress: Progress,
    *,
    today: date,
    now: float | None = None,
    batch: int = 10,
    rng: random.Random | None = None,
    secret_key: str | None = None,
) -> SubmitOutcome:
    """Store the response exactly once.

    In one transaction: claim the link (mark the invitation used, or for an
    open link delete its saved answers; only one concurrent request can
    succeed), store the response in the mixing pool, sealed under
    ``secret_key`` (default: the application's), and drop the saved
    answers. Then, in a separate transaction, mix the pool if it is full.

    Raises
    ------
    InvalidResponse
        When the answers do not satisfy the pinned instrument; nothing is
        stored and the saved answers are kept.
    """
    if in_autocommit(session):
        raise RuntimeError("submit() needs a transaction: close the session first")
    instrument = link.instrument
    answers = prune_hidden(instrument, link.group, progress.answers)
    errors = validate_response(instrument, link.group, answers)
    if errors:
        raise InvalidResponse(errors)
    now = clock.timestamp() if now is None else now
    duration = None
    if progress.started is not None:
        duration = max(0, round(now - progress.started))

    key_id = _key(secret).key_id
    if link.channel == Channel.INVITED:
        claimed = session.execute(_CLAIM_INVITATION, {"b_hash": link.invitation_hash}).rowcount
        session.execute(_DROP_PROGRESS, {"b_key": key_id})
    else:
        claimed = session.execute(_DROP_PROGRESS, {"b_key": key_id}).rowcount
    if claimed != 1:
        session.rollback()
        return SubmitOutcome(stored=False)

    seal = _pending_seal(secret_key)
    session.add(sealed_pending(
        seal, campaign_id=link.campaign.id, unit_id=link.unit.id, group=link.group,
        instrument_version_id=link.version_id, channel=link.channel, answers=answers,
        cells=analysis.encode_answers(instrument, link.group, answers), duration_s=duration,
        submitted_on=today))
    session.commit()
    mix_pending(session, link.campaign.id, minimum=batch, stratum=(link.unit.id, link.group),
                rng=rng, seal=seal)
    return SubmitOutcome(stored=True)


def sealed_pending(seal: PendingSeal, *, campaign_id: int, unit_id: int, group: str,
                   instrument_version_id: int, channel: Channel, answers: dict, cells: bytes,
                   duration_s: int | None, submitted_on: date) -> PendingResponse:
    """A pending response whose content is sealed (not yet added)."""
    pending = PendingResponse(campaign_id=campaign_id, unit_id=unit_id, respondent_group=group,
                              instrument_version_id=instrument_version_id, channel=channel,
                              submitted_on=submitted_on if channel == Channel.OPEN else None)
    content = {"answers": answers, "duration_s": duration_s,
               "submitted_on": submitted_on.isoformat(),
               "cells": base64.b64encode(cells).decode("ascii")}
    pending.sealed = seal.seal(content, pending.seal_context)
    return pending


_STRATUM_COLUMNS = ("campaign_id", "unit_id", "respondent_group", "instrument_version_id",
                    "channel")


def _unsealed(row: PendingResponse, seal: PendingSeal) -> Response:
    """The stored response a pending row becomes, under a new random id."""
    content = seal.open(row.sealed, row.seal_context)
    return Response(id=random_id(), **{c: getattr(row, c) for c in _STRATUM_COLUMNS},
                    answers=content["answers"], cells=base64.b64decode(content["cells"]),
                    duration_s=content["duration_s"],
                    submitted_on=date.fromisoformat(content["submitted_on"]))


def mix_pending(
    session: Session,
    campaign_id: int,
    *,
    minimum: int,
    stratum: tuple[int, str] | None = None,
    rng: random.Random | None = None,
    secret_key: str | None = None,
    seal: PendingSeal | None = None,
) -> int:
    """Move pending responses into the response table, stratum by stratum.

    A stratum is one (unit, respondent group) of the campaign, the finest
    level anything is reported at. Once at least ``minimum`` responses of a
    stratum wait, in one transaction of its own:

    - they are inserted into the response table in random order, under new
      random ids, and removed from the pool;
    - every used invitation of the stratum is rewritten, one by one in
      random order. On PostgreSQL this gives them all this transaction's id
      (xmin) and fresh positions in random order, erasing the order in
      which they were used. That order would otherwise match the order of
      the batches.
    - a refresh of the campaign's results is asked for (a job that names
      the campaign only, never the stratum).

    ``stratum`` limits the work to one (unit_id, group), as after a
    submission; ``minimum=1`` flushes everything (when a campaign closes).
    Pending contents are opened with ``seal``, or one under ``secret_key``
    (default: the application's ``SECRET_KEY``). Returns the number of
    responses moved.

    Raises
    ------
    ValueError
        When a pending response does not open (SECRET_KEY changed); nothing
        is moved.
    """
    rng = rng or random.SystemRandom()
    query = select(PendingResponse).where(PendingResponse.campaign_id == campaign_id)
    if stratum is not None:
        query = query.where(PendingResponse.unit_id == stratum[0],
                            PendingResponse.respondent_group == stratum[1])
    strata: dict[tuple[int, str], list[PendingResponse]] = {}
    for row in session.scalars(query.with_for_update(skip_locked=True)):
        strata.setdefault((row.unit_id, row.respondent_group), []).append(row)
    ready = {key: rows for key, rows in strata.items() if len(rows) >= max(1, minimum)}
    if not ready:
        session.rollback()
        return 0
    seal = seal or _pending_seal(secret_key)
    invitations = Invitation.__table__
    touch = (invitations.update().where(invitations.c.id == bindparam("invitation"))
             .values(used=True))
    moved = 0
    for (unit_id, group), rows in ready.items():
        rng.shuffle(rows)
        for row in rows:
            try:
                session.add(_unsealed(row, seal))
            except ValueError:
                session.rollback()
                raise
            session.delete(row)
        used = list(session.scalars(select(Invitation.id).where(
            Invitation.campaign_id == campaign_id, Invitation.unit_id == unit_id,
            Invitation.respondent_group == group, Invitation.used.is_(True))))
        rng.shuffle(used)
        if used:
            session.execute(touch, [{"invitation": i} for i in used])
        moved += len(rows)
    # New responses change the results: recompute them in the background,
    # committed with the responses themselves.
    results.request_refresh(session, campaign_id)
    session.commit()
    _forget_sqlite_history(session)
    return moved


def _forget_sqlite_history(session: Session) -> None:
    """On SQLite, fold the write-ahead log into the database and empty it:
    its frames record commit by commit which invitation page and which
    pending response changed together. Deleted rows are zeroed on disk
    (secure_delete, see survey/database.py). Best effort: a checkpoint
    cannot finish while another connection reads; `survey maintain` repeats it."""
    engine = session.get_bind()
    if engine.dialect.name == "sqlite":
        # A checkpoint runs outside any transaction.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            # Without waiting: a TRUNCATE checkpoint waits for every reader,
            # and a results refresh reads for seconds; the respondent's send
            # must not queue behind it (benchmarks/sqlite_contention.py).
            connection.exec_driver_sql("PRAGMA busy_timeout=0")
            try:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            except OperationalError:
                pass   # busy: the next send or `survey maintain` folds it in
            finally:
                connection.exec_driver_sql("PRAGMA busy_timeout=30000")  # as in database.py


def claim_start(session: Session, nonce: str, *, expires_on: date) -> bool:
    """Record that the first-view stamp with ``nonce`` has started a
    questionnaire. False if it had already: a replayed stamp. Commits."""
    digest = token_hash(nonce)
    try:
        session.execute(insert(UsedStart).values(nonce_hash=digest, expires_on=expires_on))
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def purge_expired_progress(session: Session, *, today: date) -> int:
    """Delete unfinished answers whose keeping period has ended (and the
    used first-view stamps that could no longer be replayed anyway)."""
    removed = session.execute(
        delete(PartialAnswer).where(PartialAnswer.expires_on < today)
    ).rowcount
    session.execute(delete(UsedStart).where(UsedStart.expires_on < today))
    session.commit()
    return removed
