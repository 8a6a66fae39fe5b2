"""factory_boy factories of webhook endpoints, and a recording transport tests plug in by setting."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from yiwang.catalog.tests.factories import DepartmentFactory
from yiwang.notifications.models import WebhookEndpoint
from yiwang.notifications.transports import TransportResult, WebhookTransport, webhook_transports


class WebhookEndpointFactory(DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    department = factory.SubFactory(DepartmentFactory)
    name = factory.Sequence(lambda n: f"部门业务系统{n}")
    url = factory.Sequence(lambda n: f"https://receiver{n}.example.gov.cn/hooks")
    topics = "registers.person_died"

    class Params:
        inactive = factory.Trait(is_active=False)


@webhook_transports.register("recording")
class RecordingTransport(WebhookTransport):
    """Records every request; answers with the next of ``answers`` (status codes, None for no answer)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answers: list[int | None] = []

    def send(self, *, url: str, body: bytes, headers: dict[str, str]) -> TransportResult:
        self.requests.append({"url": url, "body": body, "headers": headers})
        status = self.answers.pop(0) if self.answers else 200
        if status is None:
            return TransportResult(error="ConnectError: connection refused")
        return TransportResult(status_code=status, error="" if 200 <= status < 300 else f"HTTP {status}")


def recording_transport(settings) -> RecordingTransport:
    """Point the deliverer at a fresh recording transport (settings: pytest-django's fixture)."""
    settings.NOTIFICATIONS_WEBHOOK_TRANSPORT = "recording"
    transport = webhook_transports.get("recording")
    transport.requests.clear()
    transport.answers.clear()
    return transport
