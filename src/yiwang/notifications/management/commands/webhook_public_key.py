"""Print the PEM public key (and its id) that webhook receivers verify signatures with."""

from django.core.management.base import BaseCommand

from yiwang.notifications.selectors import get_webhook_public_key


class Command(BaseCommand):
    help = "输出推送签名公钥（PEM），供接收系统验签"

    def handle(self, *args, **options):
        key = get_webhook_public_key()
        self.stderr.write(f"key id {key['key_id']}")
        self.stdout.write(key["public_key_pem"].rstrip("\n"))
