"""What supervision does when a case changes (core.changes.CASE_CHANGED, in the case action's transaction).

Each part registers its own reaction here; this module only dispatches (owner: see docs/supervision.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_reactions: list[Callable[..., None]] = []


def react(function: Callable[..., None]) -> Callable[..., None]:
    """Decorator: call ``function(case_id=, event=, actor_id=, occurred_at=, region_code=, item_id=)`` on
    every case change (a reaction takes ``**_`` for what it does not use)."""
    if function not in _reactions:
        _reactions.append(function)
    return function


def on_case_changed(**payload: Any) -> None:
    _load_reactions()
    for reaction in _reactions:
        reaction(**payload)


def _load_reactions() -> None:
    # The parts' modules register their reactions on import.
    from . import anomalies, demand, evaluations  # noqa: F401
