"""Reports for printing: an office's and the institution's results as a
print view (HTML) and as a PDF made from the same template on the server
(WeasyPrint, :mod:`survey.services.pdf`), with charts drawn as SVG.

The numbers come from the dashboard's views, so a report shows what the
page shows to the same person (small cells hidden from heads of office).
``survey report`` on the command line renders the same templates.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from survey import charts, svgcharts
from survey.extensions import db
from survey.models import Campaign, Role, StaffUser, Unit
from survey.services import actions, dashboard, exports, pdf, results

from . import bp
from .access import Capability, allow, campaign_or_404, unit_or_404
from .present import Labels, attachment, file_slug, index2


def _bar(label: str, estimate: dashboard.Estimate, band: str | None, bands: list[str]):
    if not estimate.shown:
        return svgcharts.Bar(label, None, note=exports.SMALL if estimate.hidden else "–")
    return svgcharts.Bar(label, estimate.value, estimate.low, estimate.high,
                         charts.band_colour(band, bands))


def office_context(campaign: Campaign, unit: Unit, user, stored: results.CampaignResults,
                   *, pdf_output: bool) -> dict:
    """What ``admin/report_office.html`` shows of ``unit`` to ``user``."""
    instrument = campaign.instrument_version.instrument
    labels = Labels(instrument)
    from .results import _localized_default

    texts = {k: _localized_default(k) for k in instrument.dimensions}
    texts.update(actions.actions_of(db.session, unit.institution_id))
    view = dashboard.office_page(db.session, stored, unit, user,
                                 results.history(db.session, campaign.institution_id),
                                 instrument, texts)
    hide = dashboard.hides_small_cells(user)
    dims = [_bar(labels.dimension(k), e, instrument.band_for(e.value) if e.shown else None,
                 labels.bands) for k, e in view.row.dimensions.items()]
    trend = [_bar(p.name, p.index, p.band, labels.bands) for p in view.trend]
    target_label = _("target %(target)s", target=index2(campaign.target))
    return {
        "campaign": campaign, "unit": unit, "view": view, "labels": labels, "pdf": pdf_output,
        "groups": list(instrument.groups),
        "counts": {"stored": dashboard.count(view.row.stored, hide),
                   "answered": dashboard.count(view.row.answered, hide)},
        "dims_chart": svgcharts.bars(
            dims, target=campaign.target, target_label=target_label, fmt=index2,
            title=_("Dimension scores across the respondent groups, with 95%% intervals")),
        "trend_chart": svgcharts.bars(
            trend, target=None, target_label="", fmt=index2,
            title=_("Integrity index per campaign, with 95%% intervals")),
    }


def institution_context(campaign: Campaign, user, stored: results.CampaignResults,
                        *, pdf_output: bool) -> dict:
    """What ``admin/report_institution.html`` shows to ``user``: every office
    they may see, sorted by index, the institution's mean, the chart."""
    labels = Labels(campaign.instrument_version.instrument)
    rows = [row for _, row in exports.office_rows(db.session, stored, user)]
    verdicts: dict[str, int] = {}
    for row in rows:
        verdicts[row.verdict] = verdicts.get(row.verdict, 0) + 1
    institution = None
    if user.role != Role.UNIT_MANAGER:
        mean = stored.institution
        institution = dashboard.estimate(mean.index, mean.ci_low, mean.ci_high, mean.n, False)
    bars = [_bar(row.name, row.index, row.band, labels.bands) for row in rows]
    return {
        "campaign": campaign, "results": stored, "rows": rows, "labels": labels,
        "verdicts": verdicts, "institution": institution, "pdf": pdf_output,
        "chart": svgcharts.bars(
            bars, target=campaign.target,
            target_label=_("target %(target)s", target=index2(campaign.target)), fmt=index2,
            title=_("The offices' integrity indices, highest first, with 95%% intervals")),
    }


def office_pdf(campaign: Campaign, unit: Unit, user, stored) -> bytes:
    html = render_template("admin/report_office.html",
                           **office_context(campaign, unit, user, stored, pdf_output=True))
    return pdf.html_to_pdf(html)


def institution_pdf(campaign: Campaign, user, stored) -> bytes:
    html = render_template("admin/report_institution.html",
                           **institution_context(campaign, user, stored, pdf_output=True))
    return pdf.html_to_pdf(html)


def full_view() -> StaffUser:
    """The viewer of a report made on the command line: an inspector's view
    (everything, nothing hidden), never stored."""
    return StaffUser(role=Role.INSPECTOR, email="cli", name="cli")


# -- routes -----------------------------------------------------------------------


def _office(campaign_id: int, unit_id: int):
    campaign = campaign_or_404(campaign_id)
    unit = unit_or_404(unit_id)
    if unit.institution_id != campaign.institution_id:
        abort(404)
    return campaign, unit


def _stored_or_back(campaign, target):
    stored = results.load(db.session, campaign.id)
    if stored is None:
        results.status(db.session, campaign.id)  # asks for a refresh
        flash(_("The results are being computed; the report will be ready in a moment."),
              "info")
        return None, redirect(target, code=303)
    return stored, None


@bp.get("/campaigns/<int:campaign_id>/units/<int:unit_id>/report")
@allow(Capability.VIEW_RESULTS)
def office_report(campaign_id: int, unit_id: int):
    campaign, unit = _office(campaign_id, unit_id)
    stored, back = _stored_or_back(campaign, url_for("admin.office", campaign_id=campaign.id,
                                                     unit_id=unit.id))
    if back:
        return back
    return render_template("admin/report_office.html",
                           **office_context(campaign, unit, current_user, stored,
                                            pdf_output=False))


@bp.get("/campaigns/<int:campaign_id>/units/<int:unit_id>/report.pdf")
@allow(Capability.EXPORT_RESULTS)
def office_report_pdf(campaign_id: int, unit_id: int):
    campaign, unit = _office(campaign_id, unit_id)
    stored, back = _stored_or_back(campaign, url_for("admin.office", campaign_id=campaign.id,
                                                     unit_id=unit.id))
    if back:
        return back
    return attachment(office_pdf(campaign, unit, current_user, stored),
                      f"{file_slug(campaign.name, 'report')}-{file_slug(unit.code, 'report')}.pdf",
                      "application/pdf")


@bp.get("/campaigns/<int:campaign_id>/results/report")
@allow(Capability.VIEW_RESULTS)
def results_report(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    stored, back = _stored_or_back(campaign, url_for("admin.results_overview",
                                                     campaign_id=campaign.id))
    if back:
        return back
    return render_template("admin/report_institution.html",
                           **institution_context(campaign, current_user, stored,
                                                 pdf_output=False))


@bp.get("/campaigns/<int:campaign_id>/results/report.pdf")
@allow(Capability.EXPORT_RESULTS)
def results_report_pdf(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    stored, back = _stored_or_back(campaign, url_for("admin.results_overview",
                                                     campaign_id=campaign.id))
    if back:
        return back
    return attachment(institution_pdf(campaign, current_user, stored),
                      f"{file_slug(campaign.name, 'report')}-results.pdf", "application/pdf")

