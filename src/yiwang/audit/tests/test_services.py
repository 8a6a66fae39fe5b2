import pytest

from yiwang.audit.constants import Channel, EntryKind, Outcome, SubjectKind
from yiwang.audit.models import AuditEntry
from yiwang.audit.services import record_event, record_read
from yiwang.audit.subjects import subject_hash
from yiwang.core import call_context as context
from yiwang.identity.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ID_NUMBER = "11010519491231002X"


def test_a_read_keeps_a_keyed_hash_of_the_subject_never_the_number():
    # given a clerk reading a resident's record in an API request
    clerk = UserFactory(staff=True)
    with context.bound(channel=Channel.API, request_id="req-12345678", ip_address="10.1.2.3"):
        # when
        entry = record_read(
            action="registers.person_read",
            actor=clerk,
            subject=ID_NUMBER,
            fields=["name", "birth_date", "name"],
            purpose="户籍核验",
        )
    # then
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.kind == EntryKind.READ and stored.outcome == Outcome.ALLOWED
    assert stored.subject_hash == subject_hash(ID_NUMBER.lower()) and len(stored.subject_hash) == 64
    assert stored.subject_kind == SubjectKind.PERSON
    assert ID_NUMBER not in str(AuditEntry.objects.filter(pk=entry.pk).values().first())
    assert stored.fields == ["birth_date", "name"]
    assert (stored.channel, stored.request_id, stored.ip_address) == (Channel.API, "req-12345678", "10.1.2.3")
    assert stored.seq is None  # sealed later, in batches


def test_an_anonymous_actor_is_recorded_as_no_one():
    from django.contrib.auth.models import AnonymousUser

    entry = record_event(action="licenses.verified", actor=AnonymousUser(), outcome=Outcome.REFUSED)
    assert entry.actor is None and entry.outcome == Outcome.REFUSED and entry.channel == Channel.SYSTEM


def test_a_request_id_sent_by_the_caller_is_kept_only_when_well_formed(client):
    response = client.get("/api/v1/health", HTTP_X_REQUEST_ID="trace-0001-abcd")
    assert response["X-Request-ID"] == "trace-0001-abcd"
    response = client.get("/api/v1/health", HTTP_X_REQUEST_ID="bad id\n")
    assert len(response["X-Request-ID"]) == 32
