"""factory_boy factories of the applications app, shared by every helper's tests.

``CaseFactory`` builds a case row directly (no workflow, no form check): for tests of one part
(fees, results, queues) that need a case to exist. Tests of submission use ``services.cases.submit``.
"""

from __future__ import annotations

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory
from stdnum.iso7064 import mod_11_2

from yiwang.applications.constants import ApplicantKind, CaseStatus, Channel
from yiwang.applications.models import Case
from yiwang.catalog.tests.factories import ImplementationFactory
from yiwang.core.crypto import sm3_hex
from yiwang.identity.tests.factories import UserFactory


def _case_number(body: str) -> str:
    return body + mod_11_2.calc_check_digit(body)


class CaseFactory(DjangoModelFactory):
    """A submitted online case of one implementation, applied for by a citizen for themself."""

    class Meta:
        model = Case

    # The documented format (region 12 + date 8 + serial 6 + ISO 7064 MOD 11-2 check), on a day of its own.
    number = factory.LazyAttributeSequence(
        lambda o, n: _case_number(f"{o.region.code}20200101{n + 1:06d}")
    )
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
