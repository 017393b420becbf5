"""QR codes and counter posters for an office's open link.

Citizens find the survey on a poster at the service counter: the office's
name, a QR code of its open link, the link written short enough to type,
one line on anonymity and how to check that the survey is genuine (/cek).
QR codes are drawn with segno (PNG and SVG); the poster is an A4 page,
printed from the browser or as a PDF made by WeasyPrint from the same
template.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import segno
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.config import ROOT
from survey.models import Campaign, OpenLink, Unit

POSTER_CSS = ROOT / "static" / "css" / "poster.css"
#: Error correction M (15 %): readable through a scratched or creased print.
ERROR_CORRECTION = "m"


@dataclass(frozen=True)
class Poster:
    """What a counter poster shows."""

    office: str
    institution: str
    inspectorate: str
    url: str  # what the QR code holds
    short_url: str  # the same, to type: host and path, no scheme
    check_url: str  # short form of the /cek page
    report_url: str  # short form of the /lapor page
    closes_on: date


def open_link_of(session: Session, campaign: Campaign, unit: Unit) -> OpenLink | None:
    """The office's active open link in the campaign, if there is one."""
    return session.scalar(select(OpenLink).where(
        OpenLink.campaign_id == campaign.id, OpenLink.unit_id == unit.id,
        OpenLink.active.is_(True)))


def open_links(session: Session, campaign: Campaign) -> list[OpenLink]:
    """The campaign's active open links, by office name."""
    return list(session.scalars(
        select(OpenLink).join(OpenLink.unit)
        .where(OpenLink.campaign_id == campaign.id, OpenLink.active.is_(True))
        .order_by(Unit.name)))


def _short(url: str) -> str:
    return url.split("://", 1)[-1]


def poster(link: OpenLink, *, base_url: str, inspectorate: str = "") -> Poster:
    """The poster of an open link; ``base_url`` is the platform's official
    address (``PUBLIC_BASE_URL``)."""
    base = base_url.rstrip("/")
    url = f"{base}/o/{link.code}"
    return Poster(office=link.unit.name, institution=link.campaign.institution.name,
                  inspectorate=inspectorate or link.campaign.institution.name, url=url,
                  short_url=_short(url), check_url=_short(f"{base}/cek"),
                  report_url=_short(f"{base}/lapor"), closes_on=link.campaign.closes_on)


def qr_png(url: str, *, scale: int = 10) -> bytes:
    """The QR code of ``url`` as a PNG (``scale`` pixels a module)."""
    out = io.BytesIO()
    segno.make(url, error=ERROR_CORRECTION, micro=False).save(out, kind="png", scale=scale,
                                                               border=4)
    return out.getvalue()


def qr_svg(url: str, *, title: str = "") -> bytes:
    """The QR code of ``url`` as SVG, sized by its container."""
    out = io.BytesIO()
    segno.make(url, error=ERROR_CORRECTION, micro=False).save(
        out, kind="svg", scale=1, border=4, omitsize=True, title=title or None,
        svgclass="qr", lineclass=None)
    return out.getvalue()


def qr_data_uri(url: str) -> str:
    """The QR code as an SVG ``data:`` URI, for an ``<img>`` in the poster."""
    return segno.make(url, error=ERROR_CORRECTION, micro=False).svg_data_uri(
        scale=1, border=4, omitsize=True)


def poster_pdf(html: str) -> bytes:
    """The poster page (HTML rendered without its stylesheet link) as an A4
    PDF. Nothing is fetched from the network or the disk except the poster
    stylesheet: images must be ``data:`` URIs."""
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, url_fetcher=fetcher).write_pdf(
        stylesheets=[CSS(filename=str(POSTER_CSS), url_fetcher=fetcher)])
