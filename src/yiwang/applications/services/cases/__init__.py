"""The case lifecycle: submission, acceptance, supplements, the clock's stops, handling, decisions.

Every action is one transaction with the case row locked (``select_for_update``) and its revision
bumped, and writes its audit entry, a timeline row (``CaseEvent``, in Chinese) and its outbox event
(``constants.CASE_*``) in that transaction. Callers import this module: ``cases.submit(...)``.
"""

from .flags import flag_cases_using_license
from .handling import claim_task, complete_task, decide, hand_over_task, reset_query_code, withdraw
from .intake import accept, refuse_to_accept, request_supplement, resubmit
from .stops import extend, resume, suspend
from .submission import submit

__all__ = [
    "accept",
    "claim_task",
    "complete_task",
    "decide",
    "extend",
    "flag_cases_using_license",
    "hand_over_task",
    "refuse_to_accept",
    "request_supplement",
    "reset_query_code",
    "resubmit",
    "resume",
    "submit",
    "suspend",
    "withdraw",
]
