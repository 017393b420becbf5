"""QR codes and counter posters of a campaign's open links, per office:
PNG and SVG codes, an A4 print page and the same poster as a PDF."""

from __future__ import annotations

from flask import abort, current_app, make_response, render_template, request, url_for

from survey.extensions import db
from survey.services import posters

from . import bp
from .access import Capability, allow, campaign_or_404, unit_or_404


def _base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"] or request.host_url.rstrip("/")


def _link_or_404(campaign_id: int, unit_id: int):
    campaign = campaign_or_404(campaign_id)
    unit = unit_or_404(unit_id)
    link = posters.open_link_of(db.session, campaign, unit)
    if link is None:
        abort(404)
    return link


def _poster(link):
    return posters.poster(link, base_url=_base_url(),
                          inspectorate=current_app.config["INSPECTORATE_NAME"])


def _file(data: bytes, media_type: str, filename: str, *, download: bool = False):
    response = make_response(data)
    response.headers["Content-Type"] = media_type
    response.headers["Content-Disposition"] = (
        f'{"attachment" if download else "inline"}; filename="{filename}"')
    return response


@bp.get("/campaigns/<int:campaign_id>/posters")
@allow(Capability.VIEW_CAMPAIGNS)
def campaign_posters(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    links = posters.open_links(db.session, campaign)
    return render_template("admin/posters.html", campaign=campaign, links=links,
                           base_url=_base_url())


@bp.get("/campaigns/<int:campaign_id>/units/<int:unit_id>/qr.png")
@allow(Capability.VIEW_CAMPAIGNS)
def poster_qr_png(campaign_id: int, unit_id: int):
    link = _link_or_404(campaign_id, unit_id)
    return _file(posters.qr_png(_poster(link).url), "image/png", f"qr-{link.unit.code}.png")


@bp.get("/campaigns/<int:campaign_id>/units/<int:unit_id>/qr.svg")
@allow(Capability.VIEW_CAMPAIGNS)
def poster_qr_svg(campaign_id: int, unit_id: int):
    link = _link_or_404(campaign_id, unit_id)
    poster = _poster(link)
    return _file(posters.qr_svg(poster.url, title=poster.office), "image/svg+xml",
                 f"qr-{link.unit.code}.svg")


def _poster_html(link, *, pdf: bool) -> str:
    poster = _poster(link)
    return render_template(
        "admin/poster.html", poster=poster, qr=posters.qr_data_uri(poster.url), pdf=pdf,
        back=url_for("admin.campaign_posters", campaign_id=link.campaign_id),
        pdf_url=url_for("admin.poster_pdf", campaign_id=link.campaign_id,
                        unit_id=link.unit_id))


@bp.get("/campaigns/<int:campaign_id>/units/<int:unit_id>/poster")
@allow(Capability.VIEW_CAMPAIGNS)
def poster_page(campaign_id: int, unit_id: int):
    return _poster_html(_link_or_404(campaign_id, unit_id), pdf=False)


@bp.get("/campaigns/<int:campaign_id>/units/<int:unit_id>/poster.pdf")
@allow(Capability.VIEW_CAMPAIGNS)
def poster_pdf(campaign_id: int, unit_id: int):
    link = _link_or_404(campaign_id, unit_id)
    pdf = posters.poster_pdf(_poster_html(link, pdf=True))
    return _file(pdf, "application/pdf", f"poster-{link.unit.code}.pdf", download=True)
