"""Campaigns: create, edit while in draft, open, close, and their texts and
sample plan. Every change goes to the audit log with who and when.

Rules people expect:

- a campaign opens only with someone to answer it: invitations or open links;
- the pinned instrument version cannot change once a response exists;
- only a draft is edited freely; an open campaign may be renamed and its
  closing date moved (not before today); a closed one changes no more;
- closing stores the responses still held back for mixing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.models import (
    Campaign,
    CampaignStatus,
    Institution,
    InstrumentVersion,
    Invitation,
    OpenLink,
    PendingResponse,
    Response,
    StaffUser,
    Unit,
)

from . import audit, done, messages, responding
from .tokens import new_code

EDITABLE_WHEN_OPEN = frozenset({"name", "closes_on"})


class CampaignError(ValueError):
    """A campaign change that cannot be made (one-line message)."""


def _check_fields(name: str, period: str, opens_on: date, closes_on: date,
                  target: float) -> None:
    if not name.strip():
        raise CampaignError(_l("the name is empty"))
    if len(name) > 200 or len(period) > 40:
        raise CampaignError(_l("the name (200) or the period (40 characters) is too long"))
    if closes_on < opens_on:
        raise CampaignError(_l("the closing date is before the opening date"))
    if not 0 <= target <= 100:
        raise CampaignError(_l("the target must be between 0 and 100"))


def create(session: Session, institution: Institution, *, name: str, period: str,
           opens_on: date, closes_on: date, target: float, version: InstrumentVersion,
           actor: StaffUser | None = None, commit: bool = True) -> Campaign:
    """A new campaign, in draft."""
    _check_fields(name, period, opens_on, closes_on, target)
    campaign = Campaign(institution=institution, name=name.strip(), period=period.strip(),
                        opens_on=opens_on, closes_on=closes_on, target=target,
                        instrument_version=version, status=CampaignStatus.DRAFT)
    session.add(campaign)
    session.flush()
    audit.record(session, "campaign.create", actor=actor, target=f"campaign {campaign.id}",
                 detail={"name": campaign.name, "instrument": version.label},
                 institution_id=institution.id)
    done(session, commit)
    return campaign


def has_responses(session: Session, campaign: Campaign) -> bool:
    return any(session.scalar(select(func.count()).select_from(model)
                              .where(model.campaign_id == campaign.id))
               for model in (Response, PendingResponse))


def update(session: Session, campaign: Campaign, *, actor: StaffUser | None = None,
           commit: bool = True, **changes) -> Campaign:
    """Change ``name``, ``period``, ``opens_on``, ``closes_on``, ``target``
    or ``version`` (see the rules in the module docstring).

    Raises
    ------
    CampaignError
        A rule is broken or a value is invalid.
    """
    current = {"name": campaign.name, "period": campaign.period, "opens_on": campaign.opens_on,
               "closes_on": campaign.closes_on, "target": campaign.target,
               "version": campaign.instrument_version}
    changed = {k: v for k, v in changes.items() if k in current and v != current[k]}
    unknown = set(changes) - set(current)
    if unknown:
        raise CampaignError(_l("unknown field %(name)s", name=sorted(unknown)[0]))
    if not changed:
        return campaign
    if campaign.status == CampaignStatus.CLOSED:
        raise CampaignError(_l("a closed campaign cannot change"))
    if campaign.status == CampaignStatus.OPEN and set(changed) - EDITABLE_WHEN_OPEN:
        raise CampaignError(_l("an open campaign can only be renamed or get another closing "
                            "date; the rest is fixed once it opened"))
    if "version" in changed and has_responses(session, campaign):
        raise CampaignError(_l("the instrument cannot change: responses exist for this campaign"))
    merged = {**current, **changed}
    _check_fields(merged["name"], merged["period"], merged["opens_on"], merged["closes_on"],
                  merged["target"])
    campaign.name = merged["name"].strip()
    campaign.period = merged["period"].strip()
    campaign.opens_on, campaign.closes_on = merged["opens_on"], merged["closes_on"]
    campaign.target = merged["target"]
    campaign.instrument_version = merged["version"]
    if "closes_on" in changed:
        # Invitations follow the campaign's closing date.
        for invitation in session.scalars(select(Invitation).where(
                Invitation.campaign_id == campaign.id, Invitation.used.is_(False))):
            invitation.expires_on = campaign.closes_on
    session.flush()
    audit.record(session, "campaign.update", actor=actor, target=f"campaign {campaign.id}",
                 detail={k: (v.label if isinstance(v, InstrumentVersion) else str(v))
                         for k, v in changed.items()},
                 institution_id=campaign.institution_id)
    done(session, commit)
    return campaign


def open_campaign(session: Session, campaign: Campaign, *, today: date,
                  actor: StaffUser | None = None, commit: bool = True) -> Campaign:
    """Open a draft for answers (from its opening date on).

    Raises
    ------
    CampaignError
        Not a draft, closing date already past, or nobody can answer it
        (no invitation and no open link).
    """
    if campaign.status != CampaignStatus.DRAFT:
        raise CampaignError(_l("the campaign is %(status)s, not a draft",
                                 status=campaign.status.value))
    if campaign.closes_on < today:
        raise CampaignError(_l("the closing date has passed; move it first"))
    invitations = session.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.campaign_id == campaign.id, Invitation.revoked.is_(False)))
    links = session.scalar(select(func.count()).select_from(OpenLink).where(
        OpenLink.campaign_id == campaign.id, OpenLink.active.is_(True)))
    if not invitations and not links:
        raise CampaignError(_l("nobody can answer yet: create invitations or open links first"))
    campaign.status = CampaignStatus.OPEN
    session.flush()
    audit.record(session, "campaign.open", actor=actor, target=f"campaign {campaign.id}",
                 detail={"invitations": invitations, "open_links": links},
                 institution_id=campaign.institution_id)
    done(session, commit)
    return campaign


def close_campaign(session: Session, campaign: Campaign, *,
                   actor: StaffUser | None = None) -> int:
    """Close an open campaign, then store the responses still held back for
    mixing (however few: the campaign is over). Returns how many were
    stored. Always commits (mixing is a transaction of its own)."""
    if campaign.status != CampaignStatus.OPEN:
        raise CampaignError(_l("the campaign is %(status)s, not open",
                                 status=campaign.status.value))
    campaign.status = CampaignStatus.CLOSED
    session.flush()
    audit.record(session, "campaign.close", actor=actor, target=f"campaign {campaign.id}",
                 institution_id=campaign.institution_id)
    session.commit()
    return responding.mix_pending(session, campaign.id, minimum=1)


def ensure_open_links(session: Session, campaign: Campaign, *,
                      actor: StaffUser | None = None, commit: bool = True) -> int:
    """Give every active office of the institution an open link (for
    citizens) in this campaign, if it has none. Returns how many were made."""
    if campaign.status == CampaignStatus.CLOSED:
        raise CampaignError(_l("the campaign is closed"))
    if responding.OPEN_LINK_GROUP not in campaign.instrument_version.instrument.groups:
        raise CampaignError(_l("the instrument has no external group: open links have nobody "
                            "to ask"))
    have = set(session.scalars(select(OpenLink.unit_id).where(
        OpenLink.campaign_id == campaign.id)))
    made = 0
    for unit in session.scalars(select(Unit).where(Unit.institution_id == campaign.institution_id,
                                                   Unit.active.is_(True))):
        if unit.id not in have:
            session.add(OpenLink(campaign_id=campaign.id, unit_id=unit.id, code=new_code()))
            made += 1
    session.flush()
    if made:
        audit.record(session, "campaign.open_links", actor=actor,
                     target=f"campaign {campaign.id}", detail={"created": made},
                     institution_id=campaign.institution_id)
    done(session, commit)
    return made


def set_messages(session: Session, campaign: Campaign, *, language: str,
                 texts: dict[str, dict[str, str | None]], actor: StaffUser | None = None,
                 commit: bool = True) -> Campaign:
    """Set the campaign's message language and texts (``texts[language][kind]``;
    an empty or default text means the default).

    Raises
    ------
    messages.TemplateError
        For the first text that cannot be used (its ``code`` says why).
    """
    if language not in messages.LANGUAGES:
        raise CampaignError(_l("unknown language %(language)s", language=language))
    stored: dict = {"language": language}
    for lang in messages.LANGUAGES:
        for kind in messages.KINDS:
            text = ((texts.get(lang) or {}).get(kind) or "").replace("\r\n", "\n").strip()
            if not text or text == messages.DEFAULTS[lang][kind]:
                continue
            messages.check_template(text, kind=kind)
            stored.setdefault(lang, {})[kind] = text
    campaign.messages = stored
    session.flush()
    audit.record(session, "campaign.messages", actor=actor, target=f"campaign {campaign.id}",
                 detail={"language": language,
                         "own_texts": sorted(f"{lang}.{kind}" for lang in messages.LANGUAGES
                                             for kind in stored.get(lang, {}))},
                 institution_id=campaign.institution_id)
    done(session, commit)
    return campaign


def set_plan(session: Session, campaign: Campaign, *, margin: float, sd: float,
             response_rate: float, actor: StaffUser | None = None,
             commit: bool = True) -> Campaign:
    """The sample plan: wanted margin of error, expected standard deviation
    and response rate."""
    if not 0 < margin <= 50:
        raise CampaignError(_l("the margin of error must be above 0 and at most 50 points"))
    if not 0 < sd <= 50:
        raise CampaignError(_l("the standard deviation must be above 0 and at most 50 points"))
    if not 0 < response_rate <= 1:
        raise CampaignError(_l("the response rate must be above 0% and at most 100%"))
    campaign.plan_margin, campaign.plan_sd = margin, sd
    campaign.plan_response_rate = response_rate
    session.flush()
    audit.record(session, "campaign.plan", actor=actor, target=f"campaign {campaign.id}",
                 detail={"margin": margin, "sd": sd, "response_rate": response_rate},
                 institution_id=campaign.institution_id)
    done(session, commit)
    return campaign


def by_id(session: Session, campaign_id: int) -> Campaign | None:
    return session.get(Campaign, campaign_id)


def of_institution(session: Session, institution_id: int | None) -> list[Campaign]:
    """Campaigns, newest first (of one institution, or all)."""
    query = select(Campaign).order_by(Campaign.opens_on.desc(), Campaign.id.desc())
    if institution_id is not None:
        query = query.where(Campaign.institution_id == institution_id)
    return list(session.scalars(query))


def instrument_versions(session: Session) -> list[InstrumentVersion]:
    """Registered instrument versions, newest first (the default set is
    registered if none is)."""
    from .instruments import default_instrument_text, register_instrument

    versions = list(session.scalars(select(InstrumentVersion)
                                    .order_by(InstrumentVersion.id.desc())))
    if not versions:
        versions = [register_instrument(session, default_instrument_text(),
                                        source="spi-standard.yaml")]
    return versions


@dataclass(frozen=True)
class Overview:
    """What a campaign's page shows besides the campaign itself."""

    listed: int
    in_sample: int
    uninvited: int  # listed, in the sample, without an invitation yet
    invitations: int  # not revoked
    not_sent: int
    open_links: int
    has_responses: bool


def overview(session: Session, campaign: Campaign) -> Overview:
    from survey.models import ListEntry

    def count(model, *where):
        return session.scalar(select(func.count()).select_from(model).where(*where))

    return Overview(
        listed=count(ListEntry, ListEntry.campaign_id == campaign.id),
        in_sample=count(ListEntry, ListEntry.campaign_id == campaign.id,
                        ListEntry.in_sample.is_(True)),
        uninvited=count(ListEntry, ListEntry.campaign_id == campaign.id,
                        ListEntry.in_sample.is_(True), ListEntry.invitation_id.is_(None)),
        invitations=count(Invitation, Invitation.campaign_id == campaign.id,
                          Invitation.revoked.is_(False)),
        not_sent=count(Invitation, Invitation.campaign_id == campaign.id,
                       Invitation.revoked.is_(False), Invitation.sent.is_(False),
                       Invitation.used.is_(False)),
        open_links=count(OpenLink, OpenLink.campaign_id == campaign.id,
                         OpenLink.active.is_(True)),
        has_responses=has_responses(session, campaign))
