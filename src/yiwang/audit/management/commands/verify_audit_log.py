"""Recompute the audit log's Merkle tree from its entries and check every signed tree head."""

from django.core.management.base import BaseCommand, CommandError

from yiwang.audit.verification import verify_log


class Command(BaseCommand):
    help = "重算审计日志的默克尔树并核对每个签名树头；发现问题时指出第一条有问题的记录并以非零状态退出"

    def handle(self, *args, **options):
        report = verify_log()
        if report.problem is not None:
            raise CommandError(f"audit log verification FAILED at {report.problem}")
        self.stdout.write(
            f"audit log OK: {report.entries} sealed entries, {report.tree_heads} signed tree heads verified"
        )
