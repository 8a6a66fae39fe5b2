"""Citations (引用依据): the corrected statements of the shipped guides with their sources, the review
state of each citation (unchecked, older than a year, its law revised), and the review list."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from yiwang.audit.models import AuditEntry
from yiwang.catalog import services
from yiwang.catalog.citations import citation_state, guides_needing_review
from yiwang.catalog.completeness import update_completeness
from yiwang.catalog.guides import GUIDES_DIR, load_demo_guides, read_guide_files
from yiwang.catalog.models import Citation, Implementation, LegalInstrument
from yiwang.core.errors import InvalidInput

from .factories import ImplementationFactory, ProcessStepFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 6)


def _guide_text(name: str) -> str:
    catalog = read_guide_files()
    guide = next(guide for guide in catalog.guides if guide.item.name == name)
    return json.dumps(guide.model_dump(mode="json"), ensure_ascii=False)


@pytest.mark.parametrize(
    ("name", "wrong", "right"),
    [
        ("居民身份证首次申领", "居民身份证法》第二十条", "居民身份证法》第十二条、第二十一条"),
        ("居民身份证首次申领", "第十条规定未满十六周岁", "第七条第二款规定未满十六周岁"),
        ("户口注销", "居民身份证法》第十一条", "《中华人民共和国户口登记条例》第八条"),
        ("企业投资项目核准", "第九条：核准机关", "第十条：核准机关"),
        ("住房公积金单位缴存登记", "第十三条、第十五条、第十六条", "第十八条（缴存基数与比例）"),
        ("机动车驾驶证期满换证", "第五章", "第四章"),
        ("机动车驾驶证期满换证", "超过三年", "注销后两年内可考试"),
        ("机动车驾驶证遗失补证", "第五章", "第四章"),
        ("内地居民结婚登记", "须持居住证", "全国通办"),
        ("存量房交易税费申报", "5%征收率", "3%征收率"),
        ("国有建设用地使用权及房屋所有权转移登记（存量房买卖）", "按5%征收率", "10元照收"),
        ("义务教育阶段学生学籍异动办理", "教基一〔2013〕7号", "教基〔2025〕1号"),
        ("遗属待遇申领", "遗属待遇有关问题的通知", "〈企业职工基本养老保险遗属待遇暂行办法〉"),
        ("食品(含保健食品)经营许可核发", "60个工作日", "30个工作日"),
    ],
)
def test_each_wrong_statement_of_the_fact_check_is_corrected(name, wrong, right):
    text = _guide_text(name)
    assert wrong not in text and right in text


def test_marriage_registration_is_on_the_spot_and_needs_no_residence_permit():
    guide = next(g for g in read_guide_files().guides if g.item.name == "内地居民结婚登记")
    assert guide.implementation.statutory_limit_days == 0  # 当场予以登记
    assert "residence_permit" not in {material.key for material in guide.materials}


def test_every_citation_names_instrument_article_and_link_and_checked_ones_a_document_number():
    catalog = read_guide_files()
    citations = [(guide, citation) for guide in catalog.guides for citation in guide.citations]
    assert len(citations) >= 20
    for guide, citation in citations:
        instrument = catalog.instruments[citation.instrument]
        assert instrument.url.startswith("https://") and citation.article and citation.statement
        if citation.checked_on is not None:
            assert citation.article != "条款待核", (guide.item.name, citation)
            assert instrument.document_number, instrument.code
    # the replaced documents say by what
    assert catalog.instruments["student-status-2013"].replaced_by == "student-status-2025"
    assert not catalog.instruments["vat-reform-2016"].in_force


def test_loaded_citations_and_the_review_list_of_the_shipped_guides():
    # when
    load_demo_guides()
    # then the checked citations are stored with their date, the unverified articles are unchecked
    fee = Citation.objects.get(
        implementation__item__code="513A001120006801",
        instrument__code="resident-id-card-law",
        article="第二十一条",
    )
    assert fee.checked_on == dt.date(2026, 12, 6) and citation_state(fee, today=TODAY) == "ok"
    unchecked = Citation.objects.filter(checked_on__isnull=True)
    assert unchecked.exists() and set(unchecked.values_list("article", flat=True)) == {"条款待核"}
    # and the review list shows exactly the guides with an unchecked citation (no check fails)
    items = guides_needing_review(today=TODAY)
    assert {item.implementation.pk for item in items} == set(
        unchecked.values_list("implementation_id", flat=True)
    )
    assert all(not item.problems for item in items)
    # a year later every checked citation is stale
    later = guides_needing_review(today=TODAY + dt.timedelta(days=366))
    assert {state for item in later for _c, state in item.citations} == {"stale", "unchecked"}


def _cited_guide(**citation_fields) -> tuple[Implementation, Citation]:
    implementation = ImplementationFactory(complete=True)
    instrument = LegalInstrument.objects.create(
        code="test-law",
        name="《测试条例》",
        document_number="国务院令第1号",
        revised_on=dt.date(2020, 1, 1),
        source_url="https://flk.npc.gov.cn/",
    )
    citation = Citation.objects.create(
        implementation=implementation,
        instrument=instrument,
        article="第三条",
        statement="20个工作日内作出决定",
        checked_on=citation_fields.pop("checked_on", dt.date(2026, 6, 1)),
        **citation_fields,
    )
    update_completeness(implementation=implementation)
    return implementation, citation


def test_a_revised_law_marks_the_guides_citing_it_for_review(admin_user):
    implementation, citation = _cited_guide()
    assert guides_needing_review(today=TODAY) == []
    # when the law is revised after the citation was checked
    marked = services.record_instrument_revision(
        instrument=citation.instrument, revised_on=dt.date(2026, 11, 1), actor=admin_user
    )
    # then the guide is on the review list, saying why, and the revision is audited
    assert marked == 1
    citation.refresh_from_db()
    assert citation.needs_review and "2026-11-01 修订" in citation.review_reason
    [item] = guides_needing_review(today=TODAY)
    assert item.implementation == implementation and item.reasons == ["所引法规已修订 1 条"]
    entry = AuditEntry.objects.get(action="catalog.instrument_revised")
    assert entry.actor == admin_user and entry.details["citations_marked"] == 1
    # an older date is refused with a clear message
    with pytest.raises(InvalidInput) as refused:
        services.record_instrument_revision(
            instrument=citation.instrument, revised_on=dt.date(2019, 1, 1), actor=admin_user
        )
    assert refused.value.code == "revision_older"
    # checking the citation again takes the guide off the list
    services.record_citation_checked(citation=citation, checked_on=TODAY, actor=admin_user)
    citation.refresh_from_db()
    assert not citation.needs_review and citation.review_reason == ""
    assert guides_needing_review(today=TODAY) == []
    assert AuditEntry.objects.filter(action="catalog.citation_checked", actor=admin_user).exists()


def test_a_citation_checked_before_an_earlier_revision_is_not_marked_again(admin_user):
    _implementation, citation = _cited_guide(checked_on=dt.date(2026, 12, 1))
    assert (
        services.record_instrument_revision(
            instrument=citation.instrument, revised_on=dt.date(2026, 11, 1), actor=admin_user
        )
        == 0
    )


def test_a_new_revision_date_in_the_guide_files_marks_the_citing_guides(tmp_path):
    # given the shipped guides, loaded
    load_demo_guides()
    # when the files say the housing fund regulation was revised again, after the citations were checked
    directory = tmp_path / "guides"
    directory.mkdir()
    for path in GUIDES_DIR.glob("*.json"):
        (directory / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    common = json.loads((directory / "common.json").read_text(encoding="utf-8"))
    next(i for i in common["instruments"] if i["code"] == "housing-fund-regulation")["revised_on"] = (
        "2027-01-01"
    )
    (directory / "common.json").write_text(json.dumps(common, ensure_ascii=False), encoding="utf-8")
    load_demo_guides(directory=directory)
    # then both housing fund guides citing it are marked for review
    marked = Citation.objects.filter(needs_review=True)
    assert set(marked.values_list("implementation__item__code", flat=True)) == {
        "000172014101",
        "000172014001",
    }


def test_unchecked_citations_and_failed_checks_are_listed_errors_first():
    unchecked, _ = _cited_guide(checked_on=None)
    broken = ImplementationFactory(complete=True, promised_limit_days=1)
    ProcessStepFactory(implementation=broken, limit_days=4)
    update_completeness(implementation=broken)
    items = guides_needing_review(today=TODAY)
    assert [item.implementation for item in items] == [broken, unchecked]
    assert items[0].has_error and items[0].reasons == ["承诺时限短于各环节时限之和"]
    assert items[1].reasons == ["引用未核对 1 条"]


def test_admin_review_page_and_instrument_revision(admin_client):
    implementation, citation = _cited_guide()
    # when the administrator enters a later revision date on the instrument's admin page
    url = reverse("admin:catalog_legalinstrument_change", args=[citation.instrument.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(revised_on="2026-11-20", is_in_force="on", replaced_by="")
    response = admin_client.post(url, data)
    assert response.status_code == 302
    # then the review page lists the guide and the reason
    page = admin_client.get(reverse("admin:catalog_implementation_review"))
    assert page.status_code == 200
    text = page.content.decode()
    assert implementation.name in text and "所引法规已修订" in text and "2026-11-20 修订" in text
    # and the other fields were saved, the date through the service (audited)
    assert AuditEntry.objects.filter(action="catalog.instrument_revised").exists()
    citation.instrument.refresh_from_db()
    assert citation.instrument.revised_on == dt.date(2026, 11, 20)


def test_review_page_is_refused_to_staff_without_catalog_rights(client, django_user_model):
    user = django_user_model.objects.create_user(username="clerk-no-catalog", password="x", is_staff=True)
    client.force_login(user)
    response = client.get(reverse("admin:catalog_implementation_review"))
    assert response.status_code in (302, 403) and b"review-list" not in response.content
