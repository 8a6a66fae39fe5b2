"""Fill the base registers with synthetic data: `manage.py generate_registers --size bench`."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from yiwang.registers.services import SIZES, generate_registers


class Command(BaseCommand):
    help = "Generate synthetic base registers (people, legal persons, real estate, insurance, fund, credit)."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=sorted(SIZES), default="demo")
        parser.add_argument("--seed", type=int, default=20261121)

    def handle(self, *args, size: str, seed: int, **options):
        summary = generate_registers(size=size, seed=seed, progress=True)
        self.stdout.write(str(summary))
