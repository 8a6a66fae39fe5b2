"""我的空间 stays cheap for a person with many cases and licenses: /me/, the vault and 一企一档 issue a fixed
number of SQL queries whatever the number of rows (counts are COUNTs, lists are cut in SQL), and the
action list is still right (SQL decides supplement / collect / rate, newest first, at most ACTIONS_SHOWN)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from yiwang.applications.constants import CaseStatus
from yiwang.applications.models import Case, VaultItem
from yiwang.applications.tests.factories import CaseFactory
from yiwang.catalog.tests.factories import ImplementationFactory
from yiwang.identity.models import FavouriteService
from yiwang.identity.tests.factories import EnterpriseFactory, MandateFactory, UserFactory
from yiwang.licenses.services.issuance import LicenseDraft, issue_in_bulk
from yiwang.licenses.tests.factories import LicenseTypeFactory
from yiwang.portal import personal_space
from yiwang.supervision.constants import EvaluationChannel, EvaluationStage
from yiwang.supervision.models import EvaluationInvitation

pytestmark = pytest.mark.django_db

# Measured on SQLite and PostgreSQL (2026-12-06): /me/ 27, the vault 6, 一企一档 21, with one case or many.
ME_QUERIES = 30
VAULT_QUERIES = 8
ENTERPRISE_QUERIES = 24


def _grow(owner, enterprise, world: dict, *, cases: int, licenses: int) -> None:
    """Give ``owner`` (and their enterprise) ``cases`` cases of every kind, ``licenses`` licenses and vault
    items, with bulk inserts."""
    implementation = world["implementation"]
    now = timezone.now()
    statuses = [
        CaseStatus.SUPPLEMENT,
        CaseStatus.APPROVED,
        CaseStatus.ACCEPTED,
        CaseStatus.SUBMITTED,
        CaseStatus.REFUSED,
        CaseStatus.WITHDRAWN,
    ]
    built = []
    for n in range(cases):
        holder = enterprise if n % 5 == 0 else None
        built.append(
            CaseFactory.build(
                implementation=implementation,
                applicant=owner,
                applicant_kind="enterprise" if holder else "person",
                holder_code=holder.credit_code if holder else owner.id_number,
                status=statuses[n % len(statuses)],
                closed_at=now - dt.timedelta(days=n % 60),
                submitted_at=now - dt.timedelta(hours=n),
            )
        )
    created = Case.objects.bulk_create(built)
    EvaluationInvitation.objects.bulk_create(
        EvaluationInvitation(
            case=case,
            stage=EvaluationStage.SERVICE,
            channel=EvaluationChannel.WEB,
            invitee=owner,
            expires_at=now + dt.timedelta(days=10),
        )
        for case in created
        if case.status in (CaseStatus.APPROVED, CaseStatus.REFUSED)
    )
    issue_in_bulk(
        license_type=world["license_type"],
        issuer=world["issuer"],
        drafts=[
            LicenseDraft(owner.id_number, owner.full_name, {"name": owner.full_name}, timezone.localdate())
            for _ in range(licenses)
        ],
    )
    VaultItem.objects.bulk_create(
        VaultItem(holder_code=code, owner=owner, material_key=f"m{n}", name=f"材料{n}", sha256="0" * 64)
        for n in range(10)
        for code in (owner.id_number, enterprise.credit_code)
    )


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.slow  # ~2 s on a quiet machine: signing the licenses, rendering the pages three times
def test_my_space_costs_the_same_few_queries_for_one_case_or_many(
    client, django_assert_max_num_queries, monkeypatch
):
    monkeypatch.setattr(personal_space, "VAULT_SHOWN", 5)  # the vault shows the newest few and the total
    owner = UserFactory(level3=True)
    enterprise = EnterpriseFactory(representative=owner)
    MandateFactory(granted_by=owner)  # a mandate given, and one received
    MandateFactory(agent=owner)
    implementation = ImplementationFactory()
    world = {
        "implementation": implementation,
        "license_type": LicenseTypeFactory(),
        "issuer": implementation.department,
    }
    FavouriteService.objects.create(user=owner, implementation=implementation)
    client.force_login(owner)
    urls = [
        reverse("portal:me"),
        reverse("portal:me_vault"),
        reverse("portal:me_enterprise", args=[enterprise.credit_code]),
    ]
    _grow(owner, enterprise, world, cases=6, licenses=1)
    client.get(urls[0])  # the session and the CSRF cookie settle
    few = [_queries(client, url) for url in urls]
    _grow(owner, enterprise, world, cases=60, licenses=24)
    many = [_queries(client, url) for url in urls]
    assert few == many, (few, many)
    for url, bound in zip(urls, (ME_QUERIES, VAULT_QUERIES, ENTERPRISE_QUERIES), strict=True):
        with django_assert_max_num_queries(bound):
            client.get(url)
    page = client.get(urls[0]).content.decode()
    assert page.count('data-testid="me-action-') <= 2 * personal_space.ACTIONS_SHOWN
    assert 'data-testid="me-actions-more"' in page  # more than the page shows: a link to all cases
    vault = client.get(urls[1]).content.decode()
    assert vault.count('class="card-title"') == 5 and 'data-testid="vault-total"' in vault
    assert "25" in page[page.index('id="me-parts"') :]  # 25 licenses, counted, not listed


def test_actions_are_decided_in_sql_and_ordered_by_kind_then_newest():
    owner = UserFactory(level3=True)
    now = timezone.now()
    old_supplement = CaseFactory(
        applicant=owner, status=CaseStatus.SUPPLEMENT, submitted_at=now - dt.timedelta(3)
    )
    new_supplement = CaseFactory(applicant=owner, status=CaseStatus.SUPPLEMENT, submitted_at=now)
    collect = CaseFactory(applicant=owner, status=CaseStatus.APPROVED, closed_at=now - dt.timedelta(days=2))
    stale = CaseFactory(applicant=owner, status=CaseStatus.APPROVED, closed_at=now - dt.timedelta(days=90))
    refused = CaseFactory(applicant=owner, status=CaseStatus.REFUSED, closed_at=now)
    expired = CaseFactory(applicant=owner, status=CaseStatus.WITHDRAWN, closed_at=now)
    someone_else = CaseFactory(applicant=owner, status=CaseStatus.REFUSED, closed_at=now)
    for case, invitee, days in (
        (stale, owner, 5),
        (refused, None, 5),
        (expired, owner, -1),
        (someone_else, UserFactory(), 5),
    ):
        EvaluationInvitation.objects.create(
            case=case,
            stage=EvaluationStage.SERVICE,
            channel=EvaluationChannel.WEB,
            invitee=invitee,
            expires_at=now + dt.timedelta(days=days),
        )
    CaseFactory(status=CaseStatus.SUPPLEMENT)  # another person's
    items, more = personal_space.action_items(actor=owner)
    assert [(item.kind, item.case.pk) for item in items] == [
        ("supplement", new_supplement.pk),
        ("supplement", old_supplement.pk),
        ("collect", collect.pk),
        ("rate", refused.pk),
        ("rate", stale.pk),
    ]
    assert not more
    items, more = personal_space.action_items(actor=owner, limit=2)
    assert [item.case.pk for item in items] == [new_supplement.pk, old_supplement.pk] and more
