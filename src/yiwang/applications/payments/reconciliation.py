"""Comparing a provider's daily statement (对账单) with the payments we recorded: pure, no queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from .base import PAY, REFUND, StatementLine

# Mismatch codes (stable: the command prints them, the audit entry keeps them).
NOT_RECORDED = "not_recorded"  # the provider settled it; we did not record it (a lost notification)
NOT_ON_STATEMENT = "not_on_statement"  # we recorded it; the provider's statement does not have it
AMOUNT_DIFFERS = "amount_differs"
REFERENCE_DIFFERS = "reference_differs"
DUPLICATE_ON_STATEMENT = "duplicate_on_statement"  # e.g. paid twice at the provider: one to give back


@dataclass(frozen=True)
class Mismatch:
    code: str
    kind: str  # PAY or REFUND
    order_number: str
    ours: Decimal | None
    theirs: Decimal | None
    reference: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "kind": self.kind,
            "order_number": self.order_number,
            "ours": "" if self.ours is None else f"{self.ours:.2f}",
            "theirs": "" if self.theirs is None else f"{self.theirs:.2f}",
            "reference": self.reference,
        }


@dataclass
class Comparison:
    matched: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)


def compare(*, ours: list[StatementLine], theirs: list[StatementLine]) -> Comparison:
    """Match lines by (kind, order number); what is left over or differs is a mismatch."""
    result = Comparison()
    by_key: dict[tuple[str, str], list[StatementLine]] = defaultdict(list)
    for line in theirs:
        by_key[(line.kind, line.order_number)].append(line)
    seen: set[tuple[str, str]] = set()
    for line in ours:
        key = (line.kind, line.order_number)
        seen.add(key)
        candidates = by_key.get(key, [])
        if not candidates:
            result.mismatches.append(
                Mismatch(NOT_ON_STATEMENT, line.kind, line.order_number, line.amount, None, line.reference)
            )
            continue
        match = next((c for c in candidates if c.reference == line.reference), None)
        if match is None:
            result.mismatches.append(
                Mismatch(
                    REFERENCE_DIFFERS,
                    line.kind,
                    line.order_number,
                    line.amount,
                    candidates[0].amount,
                    candidates[0].reference,
                )
            )
        elif match.amount != line.amount:
            result.mismatches.append(
                Mismatch(
                    AMOUNT_DIFFERS, line.kind, line.order_number, line.amount, match.amount, match.reference
                )
            )
        else:
            result.matched += 1
        if match is not None:
            result.mismatches.extend(
                Mismatch(
                    DUPLICATE_ON_STATEMENT, line.kind, line.order_number, None, extra.amount, extra.reference
                )
                for extra in candidates
                if extra is not match
            )
    for key, lines in by_key.items():
        if key in seen:
            continue
        for line in lines:
            result.mismatches.append(
                Mismatch(NOT_RECORDED, line.kind, line.order_number, None, line.amount, line.reference)
            )
    return result


__all__ = [
    "AMOUNT_DIFFERS",
    "DUPLICATE_ON_STATEMENT",
    "NOT_ON_STATEMENT",
    "NOT_RECORDED",
    "PAY",
    "REFERENCE_DIFFERS",
    "REFUND",
    "Comparison",
    "Mismatch",
    "compare",
]
