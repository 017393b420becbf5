"""Every number out of the platform: score tables as CSV and XLSX, and the
microdata package that re-scores to them.

Both read the stored results (:func:`survey.services.results.load`), the
same object the dashboard shows, so a download says what the page says.

- :func:`score_tables` cuts the results to what one person may see, with
  the dashboard's rules (:mod:`survey.services.dashboard`): a unit
  manager's offices only, and any figure resting on fewer than
  ``SMALL_CELL`` respondents written as "n < 5", never its value.
- :func:`microdata` writes the files of methodology section 2 and 5 so
  that ``python -m analysis score`` reproduces every published index,
  interval and status (inspectors and auditors only; the caller checks).
- :func:`neutralise` keeps a spreadsheet from running a cell as a formula.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.models import Campaign, Channel, OpenLinkExclusion, Response, StaffUser, Unit

from . import audit, staff
from .dashboard import (
    SMALL_CELL,
    Count,
    Estimate,
    OfficeRef,
    OfficeRow,
    count,
    estimate,
    hides_small_cells,
    interval,
    office_row,
)
from .results import CampaignResults

#: What a hidden figure reads in every download, as on the pages.
SMALL = "n < 5"
LANGUAGES = ("id", "en")
TABLES = ("offices", "groups", "dimensions")

#: A cell starting with one of these is read as a formula by spreadsheet
#: programs (OWASP "CSV injection"): it gets a leading apostrophe.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise(value: Any) -> Any:
    """``value`` made safe for a spreadsheet: a text starting with ``=``,
    ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'``
    (shown as text, never run), unless it is a plain number such as
    ``-3.5``. Other values are returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START) \
            and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


# -- score tables -----------------------------------------------------------------

#: Column key -> (Bahasa Indonesia, English) header of the XLSX.
HEADERS: dict[str, tuple[str, str]] = {
    "unit_code": ("Kode unit", "Office code"),
    "unit_name": ("Nama unit", "Office"),
    "index": ("Indeks", "Index"),
    "ci_low": ("Batas bawah interval 95%", "95% interval, low"),
    "ci_high": ("Batas atas interval 95%", "95% interval, high"),
    "band": ("Kategori", "Band"),
    "status": ("Status terhadap target", "Against the target"),
    "q_below": ("Nilai q (di bawah target)", "q-value (below target)"),
    "target": ("Target", "Target"),
    "correction": ("Koreksi (poin)", "Correction (points)"),
    "n": ("Responden dihitung", "Respondents counted"),
    "excluded": ("Jawaban disisihkan", "Responses set aside"),
    "excluded_incomplete": ("Disisihkan: tidak lengkap", "Set aside: incomplete"),
    "excluded_speeder": ("Disisihkan: terlalu cepat", "Set aside: too fast"),
    "excluded_straightline": ("Disisihkan: jawaban seragam", "Set aside: straight-lining"),
    "excluded_coordinated": ("Disisihkan: terkoordinasi", "Set aside: coordinated"),
    "stored": ("Jawaban tersimpan", "Responses stored"),
    "invited": ("Undangan", "Invitations"),
    "answered": ("Undangan dijawab", "Invitations answered"),
    "group": ("Kelompok responden", "Respondent group"),
    "population": ("Populasi", "Population"),
    "eligible": ("Memenuhi jumlah minimum", "Enough respondents"),
    "se": ("Galat baku", "Standard error"),
    "dimension": ("Dimensi", "Dimension"),
    "score": ("Skor", "Score"),
}
SHEETS: dict[str, tuple[str, str]] = {
    "offices": ("Unit", "Offices"),
    "groups": ("Unit x kelompok", "Office x group"),
    "dimensions": ("Unit x dimensi", "Office x dimension"),
}
#: The group of a dimension score taken across an office's eligible groups.
ALL_GROUPS = "all"
_WORDS = {
    "id": {"all": "semua", "true": "ya", "false": "tidak", "above": "di atas target",
           "below": "di bawah target", "uncertain": "belum dapat dipastikan",
           "insufficient": "responden terlalu sedikit", "hidden": SMALL},
    "en": {"all": "all", "true": "yes", "false": "no", "above": "above target",
           "below": "below target", "uncertain": "cannot tell yet",
           "insufficient": "too few respondents", "hidden": SMALL},
}
_NUMERIC = {"index", "ci_low", "ci_high", "q_below", "target", "correction", "population",
            "se", "score"}
_WORDED = {"status", "eligible"}


@dataclass
class ScoreTable:
    """One table of a download: ``columns`` are keys of :data:`HEADERS`;
    a cell is a number, a text, a bool, None (empty) or :data:`SMALL`."""

    key: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)


def _number(e: Estimate) -> list[Any]:
    if e.hidden:
        return [SMALL, SMALL, SMALL]
    return [e.value, e.low, e.high]


def _count(c: Count) -> Any:
    return SMALL if c.hidden else c.value


def office_rows(session: Session, results: CampaignResults, user: StaffUser | None, *,
                unit_ids: Iterable[int] | None = None) -> list[tuple[OfficeRef, OfficeRow]]:
    """Every office of ``results`` that ``user`` may see (None: all, nothing
    hidden), as the dashboard writes its row, sorted as on the overview:
    highest index first. ``unit_ids`` keeps only those offices."""
    hide = user is not None and hides_small_cells(user)
    visible = staff.visible_unit_ids(session, user) if user is not None else None
    institution_id = session.get(Campaign, results.campaign_id).institution_id
    units = [OfficeRef(*row) for row in session.execute(
        select(Unit.id, Unit.code, Unit.name, Unit.parent_id)
        .where(Unit.institution_id == institution_id).order_by(Unit.name))]
    wanted = None if unit_ids is None else set(unit_ids)
    units = [u for u in units
             if (visible is None or u.id in visible) and (wanted is None or u.id in wanted)
             and (u.code in results.units or u.code in results.stored
                  or u.code in results.invitations)]
    rows = [(u, office_row(results, u, hide)) for u in units]
    rows.sort(key=lambda item: (item[1].index.value is None, -(item[1].index.value or 0.0),
                                item[1].name))
    return rows


def score_tables(session: Session, results: CampaignResults, user: StaffUser | None, *,
                 unit_ids: Iterable[int] | None = None) -> list[ScoreTable]:
    """The three score tables of ``results`` as ``user`` may see them (None:
    the command line, everything): per office; per office and group; per
    office and dimension (across groups, then per group). ``unit_ids``
    keeps only those offices (an office page's download). Offices are
    sorted as on the overview: highest index first."""
    hide = user is not None and hides_small_cells(user)
    rows = office_rows(session, results, user, unit_ids=unit_ids)

    offices = ScoreTable("offices", [
        "unit_code", "unit_name", "index", "ci_low", "ci_high", "band", "status", "q_below",
        "target", "correction", "n", "excluded", "excluded_incomplete", "excluded_speeder",
        "excluded_straightline", "excluded_coordinated", "stored", "invited", "answered"])
    groups = ScoreTable("groups", ["unit_code", "unit_name", "group", "n", "population",
                                   "eligible", "index", "ci_low", "ci_high", "se"])
    dimensions = ScoreTable("dimensions", ["unit_code", "unit_name", "dimension", "group",
                                           "score", "ci_low", "ci_high", "n", "se"])
    for unit, row in rows:
        score = results.units.get(unit.code)
        rules = score.excluded.to_dict() if score is not None else dict.fromkeys(
            ("incomplete", "speeder", "straightline", "coordinated"), 0)
        offices.rows.append([
            unit.code, unit.name, *_number(row.index), row.band,
            SMALL if row.verdict == "hidden" else row.verdict, row.q_below,
            results.target, row.correction,
            _count(count(row.index.n, hide)), _count(row.excluded),
            *(_count(count(v, hide)) for v in rules.values()),
            _count(count(row.stored, hide)), row.invited, _count(count(row.answered, hide))])
        if score is None:
            continue
        for key, group in score.groups.items():
            low, high = interval(group.index, group.se, group.n - 1)
            shown = estimate(group.index, low, high, group.n, hide)
            groups.rows.append([unit.code, unit.name, key, _count(count(group.n, hide)),
                                group.population, group.eligible, *_number(shown),
                                SMALL if shown.hidden else group.se])
        for key, dim in score.dimensions.items():
            n = sum(g.dimensions[key].n for g in score.groups.values()
                    if g.eligible and key in g.dimensions)
            low, high = interval(dim.score, dim.se, score.df)
            shown = estimate(dim.score, low, high, n, hide)
            dimensions.rows.append([unit.code, unit.name, key, ALL_GROUPS, *_number(shown),
                                    _count(count(n, hide)), SMALL if shown.hidden else dim.se])
        for group_key, group in score.groups.items():
            for key, dim in group.dimensions.items():
                low, high = interval(dim.score, dim.se, group.n - 1)
                shown = estimate(dim.score, low, high, dim.n, hide)
                dimensions.rows.append([unit.code, unit.name, key, group_key, *_number(shown),
                                        _count(count(dim.n, hide)),
                                        SMALL if shown.hidden else dim.se])
    return [offices, groups, dimensions]


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(neutralise(value) if isinstance(value, str) else value)


def table_csv(table: ScoreTable) -> bytes:
    """One table as CSV (UTF-8, comma, header of column keys, numbers
    unrounded as the results JSON has them)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows([_csv_cell(v) for v in row] for row in table.rows)
    return buffer.getvalue().encode("utf-8")


def tables_xlsx(tables: Sequence[ScoreTable], lang: str) -> bytes:
    """The tables as one workbook: a sheet per table, readable headers in
    ``lang``, the header row frozen, numbers as numbers shown with two
    decimals (their full value kept), every text neutralised."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    position = LANGUAGES.index(lang)
    words = _WORDS[lang]
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables:
        sheet = workbook.create_sheet(SHEETS[table.key][position])
        sheet.append([HEADERS[c][position] for c in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            values = []
            for column, value in zip(table.columns, row, strict=True):
                if column in _WORDED and value is not None:
                    value = words.get(str(value).lower(), value)
                if column == "group" and value == ALL_GROUPS:
                    value = words["all"]
                values.append(neutralise(value) if isinstance(value, str) else value)
            sheet.append(values)
            for column, cell in zip(table.columns, sheet[sheet.max_row], strict=True):
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula, whatever the text
                elif column in _NUMERIC and isinstance(cell.value, float):
                    cell.number_format = "0.00"
        sheet.freeze_panes = "A2"
        for i, column in enumerate(table.columns, start=1):
            width = max([len(HEADERS[column][position])] + [
                len(str(r[i - 1])) for r in table.rows[:200] if isinstance(r[i - 1], str)])
            sheet.column_dimensions[sheet.cell(1, i).column_letter].width = min(40, width + 2)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# -- microdata --------------------------------------------------------------------


class StaleResults(Exception):
    """The stored responses changed since the results were computed: a
    package now would not reproduce them. A refresh is on its way."""


_README = """# Microdata: {campaign} ({period})

Exported from the integrity survey platform. The numbers of the dashboard
were computed at {computed_at} UTC from {responses} stored responses,
scored against the instrument `{instrument}` with target {target}.

- `{instrument_file}`: the instrument file the campaign was pinned to
  (methodology v1.1, section 1);
- `responses.csv`: one row per stored response (section 2), in random
  order, with new ids (`R000001` ...) that link to nothing in the platform;
- `populations.csv`: `unit, group, population`, the frame sizes used;
- `corrections.csv`: `unit, points, reason`, the corrections applied;
- `results.json`: the results document of section 5, as the dashboard
  shows it.

## Reproduce every number

With the platform's `analysis` package (Python 3.11, NumPy, SciPy, PyYAML):

```sh
python -m analysis score --instrument {instrument_file} --responses responses.csv \\
    --populations populations.csv --corrections corrections.csv --target {target} \\
    --out rescored.json
```

`rescored.json` then holds, for every office, the same index, interval
(`ci_low`, `ci_high`), band, status, n and exclusions as `results.json`
(equal to rounding in the last digits of floating point, far below 1e-9).
Add `--format table --lang en` (or `--lang id`) for one readable line per
office.

The dashboard writes numbers with two decimals and says "below target"
only when `q_below` is under 0.05 as well (Benjamini–Hochberg over the
offices); `results.json` keeps the engine's unrounded numbers and status.

## Free text

{free_text}
Responses of the same office and group that were identical stay
identical, so screening (the coordinated-responses rule) and every number
are unchanged.

---

Ekspor data mikro dari platform survei integritas. Jalankan perintah di
atas untuk menghitung ulang setiap indeks, interval dan status dari
berkas-berkas ini.
"""

_FREE_TEXT_LEFT_OUT = """Free-text answers are left out: each non-empty text is replaced by a
token (`[1]`, `[2]`, ... numbered per question), equal texts by equal
tokens."""
_FREE_TEXT_INCLUDED = """Free-text answers are included, as an inspector asked for them, except in
offices and groups with fewer than {small} stored responses, where they are
replaced by tokens (`[1]`, `[2]`, ...), equal texts by equal tokens. A text
that starts with =, +, -, @, a tab or a carriage return begins with an
apostrophe so that no spreadsheet runs it."""


def _scored_responses(session: Session, campaign: Campaign):
    """The responses the engine scored: the campaign's, to its pinned
    instrument version, of the instrument's groups (as
    :mod:`survey.services.scoring` reads them)."""
    groups = list(campaign.instrument_version.instrument.groups)
    set_aside = select(OpenLinkExclusion.id).where(
        OpenLinkExclusion.campaign_id == Response.campaign_id,
        OpenLinkExclusion.unit_id == Response.unit_id,
        OpenLinkExclusion.day == Response.submitted_on).exists()
    return (Response.campaign_id == campaign.id,
            Response.instrument_version_id == campaign.instrument_version_id,
            Response.respondent_group.in_(groups),
            # open-link days an inspector set aside are not scored: not here either
            ~((Response.channel == Channel.OPEN) & set_aside))


def microdata(session: Session, results: CampaignResults, *, free_text: bool = False,
              rng: random.Random | None = None) -> dict[str, bytes]:
    """The microdata package of a campaign: file name -> content.

    Raises
    ------
    StaleResults
        When the stored responses are not those the results were computed
        from (a refresh is pending); nothing is written.
    """
    rng = rng or random.SystemRandom()
    campaign = session.get(Campaign, results.campaign_id)
    version = campaign.instrument_version
    instrument = version.instrument
    where = _scored_responses(session, campaign)
    stored = session.scalar(select(func.count()).select_from(Response).where(*where))
    if stored != results.responses:
        raise StaleResults(f"campaign {campaign.id}: {stored} stored responses, results "
                           f"computed from {results.responses}")
    codes = dict(session.execute(select(Unit.id, Unit.code)
                                 .where(Unit.institution_id == campaign.institution_id)).all())
    rows = session.execute(select(Response.unit_id, Response.respondent_group,
                                  Response.duration_s, Response.answers).where(*where)).all()
    rows = list(rows)
    rng.shuffle(rows)
    questions = list(instrument.questions)
    texts = {q.id for q in questions if q.type == "text"}
    tokens: dict[str, dict[str, str]] = {q: {} for q in texts}

    def text_cell(question: str, value: str, code: str, group: str) -> str:
        if value == "":
            return ""
        if free_text and results.stored.get(code, {}).get(group, 0) >= SMALL_CELL:
            return neutralise(value)
        seen = tokens[question]
        return seen.setdefault(value, f"[{len(seen) + 1}]")

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["response_id", "unit", "group", "duration_s", *(q.id for q in questions)])
    for number, (unit_id, group, duration, answers) in enumerate(rows, start=1):
        code = codes[unit_id]
        cells = []
        for question in questions:
            value = answers.get(question.id)
            value = "" if value is None else str(value)
            cells.append(text_cell(question.id, value, code, group)
                         if question.id in texts else neutralise(value))
        writer.writerow([f"R{number:06d}", neutralise(code), group,
                         "" if duration is None else duration, *cells])

    populations = io.StringIO()
    pop_writer = csv.writer(populations, lineterminator="\n")
    pop_writer.writerow(["unit", "group", "population"])
    for unit in results.score.units:
        for key, group in unit.groups.items():
            if group.population is not None:
                pop_writer.writerow([neutralise(unit.unit), key, repr(group.population)])

    corrections = io.StringIO()
    corr_writer = csv.writer(corrections, lineterminator="\n")
    corr_writer.writerow(["unit", "points", "reason"])
    for code, items in results.corrections.items():
        for item in items:
            corr_writer.writerow([neutralise(code), repr(float(item["points"])),
                                  neutralise(str(item["reason"]))])

    instrument_file = f"instrument.{'json' if version.format == 'json' else 'yaml'}"
    target = repr(float(results.target))
    readme = _README.format(
        campaign=results.campaign_name, period=results.period,
        computed_at=results.computed_at.strftime("%Y-%m-%d %H:%M"), responses=len(rows),
        instrument=results.instrument_label, target=target, instrument_file=instrument_file,
        free_text=(_FREE_TEXT_INCLUDED.format(small=SMALL_CELL) if free_text
                   else _FREE_TEXT_LEFT_OUT))
    return {
        instrument_file: version.content.encode("utf-8"),
        "responses.csv": buffer.getvalue().encode("utf-8"),
        "populations.csv": populations.getvalue().encode("utf-8"),
        "corrections.csv": corrections.getvalue().encode("utf-8"),
        "results.json": (json.dumps(results.score.to_dict(), indent=2, ensure_ascii=False,
                                    allow_nan=False) + "\n").encode("utf-8"),
        "README.md": readme.encode("utf-8"),
    }


def zip_package(files: dict[str, bytes], folder: str) -> bytes:
    """The package as a ZIP whose files sit in ``folder/``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(f"{folder}/{name}", content)
    return buffer.getvalue()


def record_microdata(session: Session, results: CampaignResults, *,
                     actor: StaffUser | None, free_text: bool, responses: int,
                     via: str) -> None:
    """Audit-log a microdata download (flushes; the caller commits)."""
    campaign = session.get(Campaign, results.campaign_id)
    audit.record(session, "results.microdata_free_text" if free_text else "results.microdata",
                 actor=actor, target=f"campaign {campaign.id}",
                 detail={"free_text": free_text, "responses": responses, "via": via},
                 institution_id=campaign.institution_id)
