"""Writes of data quality: runs of the rules, findings worked by the source, citizens' objections."""

from .findings import dismiss_finding, mark_finding_fixed
from .objections import decide_objection, submit_objection
from .runs import run_all_quality_checks, run_quality_checks, score_of

__all__ = [
    "decide_objection",
    "dismiss_finding",
    "mark_finding_fixed",
    "run_all_quality_checks",
    "run_quality_checks",
    "score_of",
    "submit_objection",
]
