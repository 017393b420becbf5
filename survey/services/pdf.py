"""PDF from HTML with WeasyPrint: the reports print the same template a
browser shows as the print view, so the PDF and the page say the same.

Nothing is fetched while rendering (no network, no disk): charts are inline
SVG made on the server (:mod:`survey.svgcharts`), and the one stylesheet is
handed over by path. WeasyPrint needs Pango from the system (Debian:
``libpango-1.0-0 libpangoft2-1.0-0``, installed by ``.ci/run``).
"""

from __future__ import annotations

from pathlib import Path

REPORT_CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "report.css"


def html_to_pdf(html: str, *, stylesheet: Path = REPORT_CSS) -> bytes:
    """The page ``html`` (rendered without its stylesheet link) as an A4 PDF."""
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, url_fetcher=fetcher).write_pdf(
        stylesheets=[CSS(filename=str(stylesheet), url_fetcher=fetcher)])
