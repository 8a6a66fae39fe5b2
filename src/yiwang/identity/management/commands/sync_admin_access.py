"""Re-derive every staff member's back-office permissions from their roles (run after an upgrade)."""

from django.core.management.base import BaseCommand

from yiwang.identity.services import sync_all_admin_access


class Command(BaseCommand):
    help = "按当前角色重新设置所有工作人员的管理后台权限（升级后运行一次）"

    def handle(self, *args, **options):
        count = sync_all_admin_access()
        self.stdout.write(f"synced {count} staff accounts")
