"""Integrity index scoring: the method of methodology v1 as a pure library.

Imports NumPy, SciPy and PyYAML only; never flask, sqlalchemy or plotly, so
that a statistician can score an export without the web application.
"""

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
    "QUESTION_TYPES",
    "Band",
    "Group",
    "GroupResponses",
    "Instrument",
    "InstrumentError",
    "Option",
    "Problem",
    "Quality",
    "Question",
    "ResponseTable",
    "ShowIf",
    "cells_from_bytes",
    "encode_answers",
    "encode_cell",
    "load_instrument",
    "parse_instrument",
]
