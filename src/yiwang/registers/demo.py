"""Entry point the demo seeding calls: synthetic registers, reproducible from a seed."""

from __future__ import annotations

from .generation import GenerationSummary
from .services import generate_registers as _generate


def generate_registers(
    *, size: str = "demo", seed: int = 20261121, progress: bool = False
) -> GenerationSummary:
    """Fill the registers with synthetic data (demo: thousands; bench: a million people); idempotent."""
    return _generate(size=size, seed=seed, progress=progress)
