"""The supervision API (/api/v1/…): evaluations and feedback for citizens, cards and figures for staff.

Each part has its own router module; this one only puts them together.
"""

from ninja import Router

from .api_cards import router as cards_router
from .api_evaluations import router as evaluations_router
from .api_feedback import router as feedback_router
from .api_stats import router as stats_router

router = Router()
router.add_router("", cards_router)
router.add_router("", evaluations_router)
router.add_router("", feedback_router)
router.add_router("", stats_router)
