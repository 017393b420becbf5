""""Is this message genuine?": the check behind the public page /cek and
``survey check``.

Anyone may paste a whole WhatsApp message or a bare link (with or without
``https://``). The check finds the links in it and tells whether they lead
to this platform (the host of ``PUBLIC_BASE_URL``) and, if so, to which
campaign and office; it warns about addresses that imitate the platform's
(a mistyped or look-alike host). It only reads: it changes no row, and it
never says whether a personal link was already used (a used and an unused
genuine link get the same answer), so it cannot be used to watch who has
answered.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import unquote, urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Campaign, CampaignStatus, Invitation, OpenLink, Unit

from .tokens import token_hash

MAX_TEXT = 5000
MAX_LINKS = 5

# A URL with a scheme, or a bare host name followed by a path.
_URL = re.compile(
    r"(?:(?:https?|hxxps?)://|www\.)[^\s<>\"']+"
    r"|\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}(?::\d+)?/[^\s<>\"']*",
    re.IGNORECASE)
_PATH = re.compile(r"/([ro])/([A-Za-z0-9_-]{4,64})")


class Verdict(enum.StrEnum):
    GENUINE = "genuine"  # our link, of an open campaign (exit 0)
    GENUINE_NOT_OPEN = "genuine_not_open"  # our link, campaign not open (draft, closed, ended)
    REPLACED = "replaced"  # our personal link, replaced by a newer one
    OURS_UNKNOWN = "ours_unknown"  # our address, but a link we never issued (cut off, mistyped)
    OURS_OTHER = "ours_other"  # our address, not a survey link (home page, /cek)
    LOOKALIKE = "lookalike"  # an address that imitates ours: do not open
    FOREIGN = "foreign"  # another site altogether
    NO_LINK = "no_link"  # nothing that looks like a link


@dataclass(frozen=True)
class LinkFinding:
    text: str  # the link as found (a personal token masked)
    host: str
    verdict: Verdict
    campaign: str | None = None
    institution: str | None = None
    office: str | None = None
    closes_on: date | None = None
    kind: str | None = None  # "personal" or "open"


@dataclass
class CheckResult:
    """The outcome: one finding per link (at most :data:`MAX_LINKS`), and
    the overall verdict (the worst finding first: a message with a genuine
    link and a look-alike one is not to be trusted)."""

    official_host: str
    findings: list[LinkFinding] = field(default_factory=list)

    @property
    def verdict(self) -> Verdict:
        if not self.findings:
            return Verdict.NO_LINK
        # Our own pages (the /cek link every message carries) say least.
        order = [Verdict.LOOKALIKE, Verdict.FOREIGN, Verdict.OURS_UNKNOWN, Verdict.REPLACED,
                 Verdict.GENUINE_NOT_OPEN, Verdict.GENUINE, Verdict.OURS_OTHER]
        return min((f.verdict for f in self.findings), key=order.index)

    @property
    def genuine(self) -> bool:
        """A link of this platform to an open campaign, and nothing suspicious."""
        return self.verdict == Verdict.GENUINE


def host_of(base_url: str) -> str:
    return (urlsplit(base_url).hostname or "").lower()


def check(session: Session, text: str, *, official_host: str, today: date) -> CheckResult:
    """Check a pasted message or link. Reads only.

    Raises
    ------
    ValueError
        When ``text`` is empty or longer than :data:`MAX_TEXT` characters.
    """
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not text:
        raise ValueError(_l("nothing to check: paste the message or the link"))
    if len(text) > MAX_TEXT:
        raise ValueError(_l("the text is too long to check (at most %(limit)s characters)",
                            limit=MAX_TEXT))
    official = official_host.lower()
    result = CheckResult(official)
    seen = set()
    for match in _URL.finditer(text):
        raw = match.group(0).rstrip(".,;:!?)]}'\"")
        if raw in seen:
            continue
        seen.add(raw)
        result.findings.append(_judge(session, raw, official, today))
        if len(result.findings) >= MAX_LINKS:
            break
    return result


def _judge(session: Session, raw: str, official: str, today: date) -> LinkFinding:
    url = raw if "://" in raw else "https://" + raw
    url = re.sub(r"^hxxp", "http", url, flags=re.IGNORECASE)
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:
        return LinkFinding(raw[:80], "", Verdict.FOREIGN)
    path = unquote(parts.path)
    found = _PATH.match(path)
    shown = _mask(raw)
    if host != official:
        verdict = Verdict.LOOKALIKE if _imitates(host, official) else Verdict.FOREIGN
        return LinkFinding(shown, host, verdict)
    if not found:
        return LinkFinding(shown, host, Verdict.OURS_OTHER)
    kind, code = found.groups()
    if kind == "r":
        invitation = session.scalar(select(Invitation).where(
            Invitation.token_hash == token_hash(code)))
        if invitation is None:
            return LinkFinding(shown, host, Verdict.OURS_UNKNOWN)
        campaign, unit = invitation.campaign, invitation.unit
        if invitation.revoked:
            return _finding(shown, host, Verdict.REPLACED, campaign, unit, "personal")
        # Used or not, the answer is the same: the check must not reveal it.
        return _finding(shown, host, _campaign_verdict(campaign, today), campaign, unit,
                        "personal")
    link = session.scalar(select(OpenLink).where(OpenLink.code == code))
    if link is None or not link.active:
        return LinkFinding(shown, host, Verdict.OURS_UNKNOWN)
    return _finding(shown, host, _campaign_verdict(link.campaign, today), link.campaign,
                    link.unit, "open")


def _campaign_verdict(campaign: Campaign, today: date) -> Verdict:
    if (campaign.status == CampaignStatus.OPEN and campaign.opens_on <= today
            <= campaign.closes_on):
        return Verdict.GENUINE
    return Verdict.GENUINE_NOT_OPEN


def _finding(shown, host, verdict, campaign: Campaign, unit: Unit, kind) -> LinkFinding:
    return LinkFinding(shown, host, verdict, campaign.name, campaign.institution.name,
                       unit.name, campaign.closes_on, kind)


def _mask(raw: str) -> str:
    """The link with a personal token shortened: the page and the command
    echo it, and a token is a key to someone's questionnaire."""
    return re.sub(r"(/r/)([A-Za-z0-9_-]{4})[A-Za-z0-9_-]+", r"\1\2…", raw)[:120]


def _imitates(host: str, official: str) -> bool:
    """Whether ``host`` looks made to pass for ``official``: the official
    name inside another domain (spi.go.id.example.com), a near miss
    (one or two letters changed, added or removed), the same name with
    letters that look alike (0/o, 1/l, rn/m), or the same first label on
    another domain."""
    if not host or not official:
        return False
    if official in host or host in official:
        return True
    if _distance(host, official) <= 2:
        return True
    if _skeleton(host) == _skeleton(official):
        return True
    first, _, rest = official.partition(".")
    other_first, _, other_rest = host.partition(".")
    return len(first) >= 4 and _distance(first, other_first) <= 1 and rest != other_rest


def _skeleton(host: str) -> str:
    text = host.encode("ascii", "ignore").decode() if host.startswith("xn--") else host
    for a, b in (("rn", "m"), ("vv", "w"), ("0", "o"), ("1", "l"), ("i", "l"), ("5", "s"),
                 ("-", ""), (".", "")):
        text = text.replace(a, b)
    return text


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (short strings: host names)."""
    if abs(len(a) - len(b)) > 2:
        return 3
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]
