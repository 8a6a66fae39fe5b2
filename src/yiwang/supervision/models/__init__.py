"""Supervision's tables, one module per part: cards (效能监察), evaluations (好差评), feedback (投诉咨询建议),
stats (the dashboards' daily figures and the regions' demand)."""

from .cards import Anomaly, Card, CardRecipient, CardRule, OverduePrediction, StageDuration
from .evaluations import (
    Evaluation,
    EvaluationAddition,
    EvaluationInvitation,
    Rectification,
    ReviewAppeal,
    Revisit,
)
from .feedback import FaqOffer, Feedback, FeedbackEvent
from .stats import FIGURE_FIELDS, CaseFigures, DailyCaseStat, DemandScore, MonthlyCaseStat

__all__ = [
    "FIGURE_FIELDS",
    "Anomaly",
    "Card",
    "CardRecipient",
    "CardRule",
    "CaseFigures",
    "DailyCaseStat",
    "DemandScore",
    "Evaluation",
    "EvaluationAddition",
    "EvaluationInvitation",
    "FaqOffer",
    "Feedback",
    "FeedbackEvent",
    "MonthlyCaseStat",
    "OverduePrediction",
    "Rectification",
    "ReviewAppeal",
    "Revisit",
    "StageDuration",
]
