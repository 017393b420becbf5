"""Scoring a campaign: stored responses in, :class:`analysis.ScoreResult` out.

Responses are read with the database driver's cursor, not the ORM, and only
three columns are read: unit, duration and the cell encoding (see
``analysis/_table.py``). PostgreSQL concatenates a group's columns itself, so
a million responses arrive as three binary strings. SQLite returns plain
tuples. Either way, no JSON is parsed and no per-answer Python object is made
(``benchmarks/load_responses.py`` measures it).
"""

from __future__ import annotations

from operator import itemgetter

import numpy as np
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

import analysis
from survey.models import Campaign, Correction, Unit, UnitPopulation

# Open-link responses of a day an inspector set aside for an office
# (survey/services/surges.py) are skipped. The anti-join costs nothing when
# a campaign has no exclusion.
_NOT_EXCLUDED = """
  AND NOT (channel = 'open' AND EXISTS (
      SELECT 1 FROM open_link_exclusion x
      WHERE x.campaign_id = response.campaign_id AND x.unit_id = response.unit_id
        AND x.day = response.submitted_on))
"""

_POSTGRES_GROUP = """
SELECT count(*),
       string_agg(int4send(unit_id), ''::bytea),
       string_agg(float8send(coalesce(duration_s::float8, 'NaN'::float8)), ''::bytea),
       string_agg(cells, ''::bytea)
FROM response
WHERE campaign_id = %s AND respondent_group = %s AND instrument_version_id = %s
""" + _NOT_EXCLUDED
# All aggregates of one SELECT see the same rows in the same order, so the
# three strings line up response by response.

_SQLITE_GROUP = """
SELECT unit_id, duration_s, cells FROM response
WHERE campaign_id = ? AND respondent_group = ? AND instrument_version_id = ?
""" + _NOT_EXCLUDED


def load_response_table(connection: Connection, campaign_id: int, version_id: int,
                        instrument: analysis.Instrument) -> analysis.ResponseTable:
    """The campaign's stored responses to ``instrument``, decoded for scoring,
    without the open-link responses of days set aside (an exclusion).

    Units are labelled by their code.
    """
    codes = dict(connection.execute(
        select(Unit.id, Unit.code).join(Campaign, Campaign.institution_id == Unit.institution_id)
        .where(Campaign.id == campaign_id)).all())
    blocks: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    raw = connection.connection.driver_connection
    postgres = connection.dialect.name == "postgresql"
    for group in instrument.groups:
        n_questions = len(instrument.questions_of(group))
        if postgres:
            unit_ids, durations, cells = _read_postgres(raw, campaign_id, group, version_id,
                                                        n_questions)
        else:
            unit_ids, durations, cells = _read_sqlite(raw, campaign_id, group, version_id,
                                                      n_questions)
        if unit_ids.size:
            blocks[group] = (unit_ids, durations, cells)

    present = np.unique(np.concatenate([b[0] for b in blocks.values()])) if blocks else []
    labels = sorted(codes[int(unit_id)] for unit_id in present)
    position = {code: i for i, code in enumerate(labels)}
    index_of = np.full(max(codes, default=0) + 1, -1, dtype=np.int32)
    for unit_id, code in codes.items():
        if code in position:
            index_of[unit_id] = position[code]

    groups = {}
    for group, (unit_ids, durations, cells) in blocks.items():
        groups[group] = analysis.GroupResponses(
            group=group,
            question_ids=tuple(q.id for q in instrument.questions_of(group)),
            unit=index_of[unit_ids], duration_s=durations,
            weight=np.ones(unit_ids.size), cells=cells)
    return analysis.ResponseTable(units=tuple(labels), groups=groups)


def _read_postgres(raw, campaign_id, group, version_id, n_questions):
    with raw.cursor() as cursor:
        cursor.execute(_POSTGRES_GROUP, (campaign_id, group, version_id))
        count, units, durations, cells = cursor.fetchone()
    if not count:
        return _empty(n_questions)
    matrix = np.frombuffer(cells, dtype=analysis.CELL_DTYPE)
    if matrix.size != count * n_questions:
        raise ValueError("stored cells do not match the instrument's question count")
    return (np.frombuffer(units, dtype=">i4").astype(np.int64),
            np.frombuffer(durations, dtype=">f8").astype(np.float64),
            matrix.reshape(count, n_questions))


def _read_sqlite(raw, campaign_id, group, version_id, n_questions):
    cursor = raw.execute(_SQLITE_GROUP, (campaign_id, group, version_id))
    rows = cursor.fetchall()
    cursor.close()
    if not rows:
        return _empty(n_questions)
    # itemgetter maps stay in C; zip(*rows) would build a million-argument call.
    n = len(rows)
    return (np.fromiter(map(itemgetter(0), rows), dtype=np.int64, count=n),
            np.array(list(map(itemgetter(1), rows)), dtype=np.float64),  # None becomes NaN
            analysis.cells_from_bytes(list(map(itemgetter(2), rows)), n_questions))


def _empty(n_questions):
    return (np.zeros(0, np.int64), np.zeros(0), np.zeros((0, n_questions), analysis.CELL_DTYPE))


def score_campaign(session: Session, campaign: Campaign) -> analysis.ScoreResult:
    """Score every stored response of ``campaign`` with its pinned
    instrument, its target, the units' populations and its corrections."""
    return score_campaign_table(session, campaign)[0]


def score_campaign_table(session: Session, campaign: Campaign
                         ) -> tuple[analysis.ScoreResult, analysis.ResponseTable]:
    """:func:`score_campaign`, and the response table it scored (so that a
    caller can count stored responses without reading them again)."""
    version = campaign.instrument_version
    instrument = version.instrument
    table = load_response_table(session.connection(), campaign.id, version.id, instrument)
    wanted = set(table.units)
    populations = {
        (code, group): float(n) for code, group, n in session.execute(
            select(Unit.code, UnitPopulation.respondent_group, UnitPopulation.population)
            .join(UnitPopulation, UnitPopulation.unit_id == Unit.id)
            .where(Unit.institution_id == campaign.institution_id))
        if code in wanted and group in instrument.groups}
    corrections: dict[str, float] = {}
    for code, points in session.execute(
            select(Unit.code, Correction.points).join(Correction.unit)
            .where(Correction.campaign_id == campaign.id)):
        if code in wanted:
            corrections[code] = corrections.get(code, 0.0) + points
    result = analysis.score(table, instrument, populations=populations,
                            corrections=corrections, target=campaign.target)
    return result, table
