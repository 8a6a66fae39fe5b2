"""Reconcile a day's payments with the provider's statement (对账), and retry refunds still pending."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from yiwang.applications.services import payments
from yiwang.core.errors import DomainError


class Command(BaseCommand):
    help = "Compare a day's payments with the payment provider's statement; exit 1 when they differ."

    def add_arguments(self, parser):
        parser.add_argument("--provider", default="", help="provider id (default: the configured one)")
        parser.add_argument("--day", default="", help="YYYY-MM-DD (default: yesterday, Asia/Shanghai)")
        parser.add_argument(
            "--retry-refunds", action="store_true", help="first ask the provider again for pending refunds"
        )

    def handle(self, *args, provider: str, day: str, retry_refunds: bool, **options):
        try:
            when = dt.date.fromisoformat(day) if day else timezone.localdate() - dt.timedelta(days=1)
        except ValueError:
            raise CommandError(f"--day must be YYYY-MM-DD, not {day!r}") from None
        if retry_refunds:
            self.stdout.write(f"refunds completed: {payments.send_refunds()}")
        try:
            provider_id = payments.provider_summary(provider_id=provider or None).id
            report = payments.reconcile(provider=provider_id, day=when)
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
        self.stdout.write(f"{report.provider} {report.day.isoformat()}: {report.matched} matched")
        for mismatch in report.mismatches:
            line = mismatch.as_dict()
            self.stdout.write(
                f"{line['code']}\t{line['kind']}\t{line['order_number']}\t"
                f"ours={line['ours'] or '-'}\ttheirs={line['theirs'] or '-'}\t{line['reference']}"
            )
        if report.mismatches:
            raise CommandError(f"{len(report.mismatches)} mismatch(es)")
