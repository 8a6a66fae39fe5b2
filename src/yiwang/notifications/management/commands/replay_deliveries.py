"""Replay the dead and failed deliveries of an event or of an endpoint."""

import uuid

from django.core.management.base import BaseCommand, CommandError

from yiwang.core import call_context as context
from yiwang.notifications.models import WebhookEndpoint
from yiwang.notifications.services import replay_deliveries


class Command(BaseCommand):
    help = "重新投递某事件或某推送地址的死信及失败投递"

    def add_arguments(self, parser):
        parser.add_argument("--event", type=uuid.UUID, help="event id (UUID)")
        parser.add_argument("--endpoint", type=int, help="webhook endpoint id")
        parser.add_argument("--include-delivered", action="store_true", help="send delivered ones again too")

    def handle(self, *args, event=None, endpoint=None, include_delivered=False, **options):
        if event is None and endpoint is None:
            raise CommandError("give --event and/or --endpoint")
        target = None
        if endpoint is not None:
            target = WebhookEndpoint.objects.filter(pk=endpoint).first()
            if target is None:
                raise CommandError(f"no webhook endpoint {endpoint}")
        with context.bound(channel=context.Channel.COMMAND):
            count = replay_deliveries(event_id=event, endpoint=target, include_delivered=include_delivered)
        self.stdout.write(f"replayed {count} deliveries")
