"""factory_boy factories of the applications app, shared by every helper's tests.

``CaseFactory`` builds a case row directly (no workflow, no form check): for tests of one part
(fees, results, queues) that need a case to exist. Tests of submission use ``services.cases.submit``.
"""

from __future__ import annotations

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from yiwang.applications.constants import ApplicantKind, CaseStatus, Channel
from yiwang.applications.models import Case
from yiwang.catalog.tests.factories import ImplementationFactory
from yiwang.core.crypto import sm3_hex
from yiwang.identity.tests.factories import UserFactory


class CaseFactory(DjangoModelFactory):
    """A submitted online case of one implementation, applied for by a citizen for themself."""

    class Meta:
        model = Case

    number = factory.Sequence(lambda n: f"T511602{n:010d}")
    query_code_hash = factory.Sequence(lambda n: sm3_hex(f"query-{n}".encode()))
    implementation = factory.SubFactory(ImplementationFactory)
    department = factory.LazyAttribute(lambda o: o.implementation.department)
    region = factory.LazyAttribute(lambda o: o.implementation.region)
    applicant = factory.SubFactory(UserFactory, level3=True)
    applicant_kind = ApplicantKind.PERSON
    holder_code = factory.LazyAttribute(lambda o: o.applicant.id_number or "")
    holder_name = factory.LazyAttribute(lambda o: o.applicant.full_name)
    channel = Channel.ONLINE
    status = CaseStatus.SUBMITTED
    situation = factory.LazyFunction(dict)
    data = factory.LazyFunction(dict)
    submitted_at = factory.LazyFunction(timezone.now)
