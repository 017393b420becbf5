"""Integrity index scoring: the method of methodology v1 as a pure library.

Imports NumPy, SciPy and PyYAML only; never flask, sqlalchemy or plotly, so
that a statistician can score an export without the web application.
"""

from ._aggregate import UnitsMean, mean_index
from ._cli import main
from ._compare import CHANGE_STATUSES, Comparison, UnitChange, compare_results
from ._csv import InputError, read_corrections, read_populations, read_responses
from ._instrument import (
    QUESTION_TYPES,
    Band,
    Group,
    Instrument,
    InstrumentError,
    Option,
    Problem,
    Quality,
    Question,
    ShowIf,
    load_instrument,
    parse_instrument,
)
from ._planning import margin_of_error, required_sample_size
from ._results import (
    STATUSES,
    DimensionScore,
    Exclusions,
    GroupScore,
    Reliability,
    ScoreResult,
    UnitDimensionScore,
    UnitScore,
)
from ._score import score, screen_responses
from ._screening import EXCLUSION_RULES, Screening
from ._table import (
    CELL_DTYPE,
    GroupResponses,
    ResponseTable,
    cells_from_bytes,
    encode_answers,
    encode_cell,
)

__all__ = [
    "CELL_DTYPE",
    "CHANGE_STATUSES",
    "EXCLUSION_RULES",
    "QUESTION_TYPES",
    "STATUSES",
    "Band",
    "Comparison",
    "DimensionScore",
    "Exclusions",
    "Group",
    "GroupResponses",
    "GroupScore",
    "InputError",
    "Instrument",
    "InstrumentError",
    "Option",
    "Problem",
    "Quality",
    "Question",
    "Reliability",
    "ResponseTable",
    "ScoreResult",
    "Screening",
    "ShowIf",
    "UnitChange",
    "UnitDimensionScore",
    "UnitScore",
    "UnitsMean",
    "cells_from_bytes",
    "compare_results",
    "encode_answers",
    "encode_cell",
    "load_instrument",
    "main",
    "margin_of_error",
    "mean_index",
    "parse_instrument",
    "read_corrections",
    "read_populations",
    "read_responses",
    "required_sample_size",
    "score",
    "screen_responses",
]
