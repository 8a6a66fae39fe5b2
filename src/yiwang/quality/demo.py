"""The quality part of the demo: check the register resources once the registers are generated and
published (each seeding adds a run; open findings are found again, never duplicated)."""

from __future__ import annotations

from .services import run_all_quality_checks


def run_demo_quality_checks() -> str:
    runs = run_all_quality_checks(trigger="demo")
    return (
        ", ".join(f"{run.resource.code} score {run.score} ({run.findings_new} new findings)" for run in runs)
        or "no register resources published"
    )
