"""The demo guide files: their content rules, and the loader that writes them (idempotent, all-or-nothing)."""

from __future__ import annotations

import json
import re
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from yiwang.catalog import importers
from yiwang.catalog.completeness import recompute_completeness
from yiwang.catalog.consistency import check_guide, implementation_facts
from yiwang.catalog.constants import GUIDE_ELEMENTS, MaterialRequirement
from yiwang.catalog.guides import GUIDES_DIR, GuideDataError, load_demo_guides, read_guide_files
from yiwang.catalog.models import (
    Bundle,
    Fee,
    Implementation,
    Material,
    SituationOption,
    SituationQuestion,
    Topic,
)
from yiwang.core import changes
from yiwang.core.identifiers import credit_code_check_character, is_valid_credit_code
from yiwang.core.workdays import as_working_days
from yiwang.regions.models import Department

LICENSE_TYPES_DOC = Path(__file__).resolve().parents[4] / "docs" / "license-types.md"
COUNTY = "511602000000"
REQUIRED_BUNDLES = {
    "second-hand-house-transfer",
    "newborn-birth",
    "business-opening",
    "retirement",
    "restaurant-opening",
}


@pytest.fixture(scope="module")
def catalog():
    return read_guide_files()


def documented_license_types() -> dict[str, str]:
    rows = re.findall(r"^\| ([A-Z0-9_]+) \| ([^|]+?) \|", LICENSE_TYPES_DOC.read_text(encoding="utf-8"), re.M)
    return dict(rows)


def copy_guides(tmp_path: Path) -> Path:
    target = tmp_path / "guides"
    shutil.copytree(GUIDES_DIR, target)
    return target


def edit_guide_file(directory: Path, name: str, edit) -> None:
    path = directory / name
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


# --- content of the files ---------------------------------------------------------------------------


def test_catalog_has_at_least_forty_guides_and_the_named_bundles(catalog):
    assert len(catalog.guides) >= 40
    assert len(catalog.bundles) >= 5
    assert {bundle.code for bundle in catalog.bundles} >= REQUIRED_BUNDLES


def test_most_guides_ask_about_the_applicants_situation(catalog):
    with_two_questions = [guide for guide in catalog.guides if len(guide.questions) >= 2]
    follow_ups = [q for guide in catalog.guides for q in guide.questions if q.shown_when]
    delegable = [guide for guide in catalog.guides if any(q.code == "applicant" for q in guide.questions)]
    assert len(with_two_questions) >= 25
    assert len(follow_ups) >= 3
    assert len(delegable) >= 15
    assert all(
        option.explanation for guide in catalog.guides for q in guide.questions for option in q.options
    )


@pytest.mark.parametrize(
    "words", ["身份证丢了", "补办身份证", "开饭店", "开餐馆", "生孩子", "上户口", "二手房过户"]
)
def test_everyday_words_lead_to_a_guide(catalog, words):
    assert any(words in guide.item.keywords for guide in catalog.guides)


def test_license_types_in_files_are_exactly_the_documented_ones(catalog):
    # given the table in docs/license-types.md, when the files are read, then they declare the same types
    assert catalog.license_types == documented_license_types()


def test_every_material_and_result_uses_a_documented_license_type(catalog):
    documented = documented_license_types()
    used = {material.license_type_code for guide in catalog.guides for material in guide.materials}
    used |= {guide.implementation.result_license_type for guide in catalog.guides}
    assert used - {""} <= set(documented)


def test_every_department_has_a_valid_credit_code(catalog):
    assert catalog.departments
    assert all(is_valid_credit_code(department.credit_code) for department in catalog.departments.values())


def test_promised_limits_never_exceed_statutory_limits(catalog):
    for guide in catalog.guides:
        implementation = guide.implementation
        statutory = as_working_days(implementation.statutory_limit_days, implementation.statutory_limit_unit)
        promised = as_working_days(implementation.promised_limit_days, implementation.promised_limit_unit)
        assert promised <= statutory, implementation.code
        for question in guide.questions:
            for option in question.options:
                days = as_working_days(option.promised_limit_days or 0, option.promised_limit_unit)
                assert days <= statutory, implementation.code


def test_every_guide_has_three_to_eight_required_materials_at_most_and_three_in_all(catalog):
    for guide in catalog.guides:
        required = [m for m in guide.materials if m.requirement == MaterialRequirement.REQUIRED]
        assert 3 <= len(guide.materials) <= 10, guide.implementation.code
        assert 1 <= len(required) <= 8, guide.implementation.code


def test_situational_materials_are_reachable_from_some_answer(catalog):
    # A material "by situation" that no answer adds would never appear in the wizard's list.
    for guide in catalog.guides:
        if not guide.questions:
            continue
        added = {
            key
            for question in guide.questions
            for option in question.options
            for key in option.adds_materials
        }
        situational = {m.key for m in guide.materials if m.requirement == MaterialRequirement.BY_SITUATION}
        assert situational <= added, (guide.implementation.code, situational - added)


def test_every_guide_and_bundle_is_linked_to_a_topic(catalog):
    assert all(guide.item.topics for guide in catalog.guides)
    assert all(bundle.topics for bundle in catalog.bundles)


def test_real_items_keep_the_code_of_the_published_catalog(catalog):
    # given an implementation code, its item code is the code's first segment
    for guide in catalog.guides:
        assert guide.implementation.code.split("-")[0] == guide.item.code


def test_guide_departments_are_the_ones_the_catalog_importer_creates(catalog):
    # The same credit code and name on both sides, so whichever loader runs first, the other finds the row.
    importer_codes = importers._department_codes(importers.load_items())
    importer_departments = importers._load_json(importers.DEPARTMENTS_FILE)["departments"]
    expected = {
        entry["short_name"]: (
            entry["name"],
            importer_codes.get(entry["short_name"])
            or importers.synthetic_credit_code(seed=entry["name"], region_code=entry["region_code"]),
        )
        for entry in importer_departments
    }
    for short_name, department in catalog.departments.items():
        assert (department.name, department.credit_code) == expected[short_name], short_name


def test_guides_of_real_items_are_marked_published_and_keep_the_real_names(catalog):
    real = {row["itemCode"]: row for row in importers.load_items()}
    for guide in catalog.guides:
        row = real.get(guide.implementation.code)
        assert guide.implementation.published == (row is not None), guide.implementation.code
        if row is not None:
            assert guide.implementation.name == guide.item.name == row["name"]


# --- the loader -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_files_load_on_an_empty_catalog(catalog):
    # given no catalog rows and no departments of the guides
    assert not Implementation.objects.exists()
    # when
    summary = load_demo_guides()
    # then every guide, bundle and topic is there, with the departments created as fallbacks
    assert summary.implementations == len(catalog.guides) == Implementation.objects.count()
    assert summary.implementations_created == len(catalog.guides)
    assert summary.bundles == len(catalog.bundles) == Bundle.objects.count()
    assert Topic.objects.count() == len(catalog.topics)
    assert summary.departments_created == len(catalog.departments)
    for guide in catalog.guides:
        implementation = Implementation.objects.get(code=guide.implementation.code)
        assert implementation.materials.count() == len(guide.materials)
        assert implementation.item.topics.count() == len(guide.item.topics)


@pytest.mark.django_db
def test_loading_twice_writes_nothing_and_duplicates_nothing():
    # given a loaded catalog
    load_demo_guides()
    before = {
        model: sorted(model.objects.values_list("pk", flat=True)) for model in (Implementation, Material, Fee)
    }
    # when it is loaded again
    summary = load_demo_guides()
    # then no row was created, changed or deleted
    assert summary.rows_written == 0
    assert summary.implementations_created == summary.implementations_changed == 0
    assert summary.departments_created == 0
    assert before == {model: sorted(model.objects.values_list("pk", flat=True)) for model in before}


@pytest.mark.django_db
def test_reloading_restores_edited_guides_in_place(catalog):
    # given a loaded guide whose material was renamed and whose FAQ was deleted by hand
    load_demo_guides()
    code = catalog.guides[0].implementation.code
    implementation = Implementation.objects.get(code=code)
    material = implementation.materials.first()
    material.name = "被改动的名称"
    material.save()
    implementation.faqs.first().delete()
    # when the files are loaded again
    summary = load_demo_guides()
    # then the same material row carries the file's name again and the FAQ is back
    material.refresh_from_db()
    assert material.name == catalog.guides[0].materials[material.order].name
    assert implementation.faqs.count() == len(catalog.guides[0].faqs)
    assert summary.implementations_changed == 1


@pytest.mark.django_db
def test_loader_uses_the_county_department_the_importer_created():
    # given the importer's department for the police bureau, under another credit code
    body = "11511300MA6A1B2C3"
    existing = Department.objects.create(
        credit_code=body + credit_code_check_character(body),
        name="广安区公安分局",
        short_name="区公安分局",
        region_id=COUNTY,
    )
    # when
    load_demo_guides()
    # then the police guides hang on that department and no second one was made
    police = Implementation.objects.filter(department__short_name="区公安分局")
    assert police.exists()
    assert set(police.values_list("department_id", flat=True)) == {existing.pk}
    assert Department.objects.filter(short_name="区公安分局").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "importer_first", [True, False], ids=["importer-then-guides", "guides-then-importer"]
)
def test_guides_and_the_real_item_import_never_undo_each_other(importer_first):
    # given both loaders run once, in either order
    if importer_first:
        importers.import_real_items()
        load_demo_guides()
    else:
        load_demo_guides()
        importers.import_real_items()
    # when both run again
    again = importers.import_real_items()
    summary = load_demo_guides()
    # then neither changes anything, and the guides completed the real implementations instead of copying them
    assert not again.changed
    assert summary.rows_written == 0
    published = Implementation.objects.get(code="512B0070200003-511602000000-000-1151130108778239R-1-00")
    assert published.name == "社会保障卡申领"
    assert published.materials.exists()
    assert Department.objects.filter(short_name="区人社局").count() == 1


@pytest.mark.django_db
def test_every_loaded_guide_has_every_guide_element():
    checks = {
        "legal_basis": lambda i: bool(i.item.legal_basis and i.item.implementation_basis),
        "conditions": lambda i: bool(i.conditions),
        "materials": lambda i: i.materials.exists(),
        "process": lambda i: bool(i.process_description) and i.steps.exists(),
        "time_limits": lambda i: i.statutory_limit_days is not None and i.promised_limit_days is not None,
        "fees": lambda i: bool(i.fee_basis) and (i.is_free or i.fees.exists()),
        "place": lambda i: bool(i.place),
        "hours": lambda i: bool(i.hours),
        "phone": lambda i: bool(i.phone),
        "online_depth": lambda i: i.online_depth is not None,
        "visits": lambda i: i.visits is not None,
        "complaint": lambda i: bool(i.complaint_channel),
        "faq": lambda i: i.faqs.count() >= 3,
        "result": lambda i: bool(i.result_name),
        "consistency": lambda i: not check_guide(implementation_facts(i)),
    }
    # the checks cover exactly the elements the catalog defines, so a new element cannot slip through
    assert set(checks) == set(GUIDE_ELEMENTS)
    load_demo_guides()
    for implementation in Implementation.objects.select_related("item"):
        missing = [element for element, check in checks.items() if not check(implementation)]
        assert not missing, (implementation.code, missing)


@pytest.mark.django_db
def test_the_catalogs_completeness_score_finds_nothing_missing():
    # given the loaded guides, when the catalog's own scorer runs, then each guide is complete
    summary = load_demo_guides()
    recompute_completeness(implementation_ids=summary.implementation_ids)
    incomplete = Implementation.objects.exclude(completeness=100).values_list("code", "missing_elements")
    assert list(incomplete) == []


@pytest.mark.django_db
def test_bundle_implementations_share_materials_by_key():
    load_demo_guides()
    for bundle in Bundle.objects.prefetch_related("implementations__materials"):
        keys = {i.code: {m.key for m in i.materials.all()} for i in bundle.implementations.all()}
        assert len(keys) >= 2, bundle.code
        for code, own in keys.items():
            others = set().union(*(k for c, k in keys.items() if c != code))
            assert own & others, (bundle.code, code)


@pytest.mark.django_db
def test_follow_up_questions_point_at_an_earlier_option_of_the_same_guide():
    load_demo_guides()
    follow_ups = SituationQuestion.objects.filter(shown_when__isnull=False).select_related(
        "shown_when__question"
    )
    assert follow_ups.exists()
    for question in follow_ups:
        parent = question.shown_when.question
        assert parent.implementation_id == question.implementation_id
        assert parent.order < question.order


@pytest.mark.django_db
def test_situation_options_change_materials_and_fees():
    # given the ID-card replacement guide ("身份证丢了")
    load_demo_guides()
    implementation = Implementation.objects.get(name="居民身份证补领")
    # when the applicant needs a temporary card, then the 10-yuan fee is added
    temporary = SituationOption.objects.get(
        question__implementation=implementation, question__code="temporary", code="yes"
    )
    assert [(fee.name, fee.amount) for fee in temporary.adds_fees.all()] == [("临时居民身份证工本费", 10)]
    # and an agent question adds the power of attorney and the agent's ID card where the template is used
    agent = SituationOption.objects.filter(question__code="applicant", code="agent").first()
    assert {m.key for m in agent.adds_materials.all()} == {"power_of_attorney", "agent_id_card"}


@pytest.mark.django_db
def test_load_announces_the_changed_catalog_after_commit(monkeypatch, django_capture_on_commit_callbacks):
    # given a subscriber of catalog changes
    received = []
    monkeypatch.setattr(changes, "_subscribers", defaultdict(list))
    changes.subscribe(changes.CATALOG_CHANGED, lambda **payload: received.append(payload))
    # when the guides are loaded and the transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        summary = load_demo_guides()
    # then it hears about every implementation and bundle once
    assert received == [{"implementation_ids": summary.implementation_ids, "bundle_ids": summary.bundle_ids}]


# --- bad files ------------------------------------------------------------------------------------------


def _set_promised_over_statutory(data):
    data["guides"][0]["implementation"]["promised_limit_days"] = 99


def _set_unknown_license_type(data):
    data["guides"][0]["materials"][0]["license_type_code"] = "NO_SUCH_TYPE"


def _drop_conditions(data):
    del data["guides"][0]["implementation"]["conditions"]


def _dangling_material(data):
    data["guides"][0]["questions"][0]["options"][0]["adds_materials"] = ["no_such_material"]


def _dangling_follow_up(data):
    data["guides"][0]["questions"][0]["shown_when"] = "nothing.here"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (_set_promised_over_statutory, "implementation.promised_limit_days"),
        (_set_unknown_license_type, "materials[0].license_type_code"),
        (_drop_conditions, "implementation.conditions"),
        (_dangling_material, "questions[0].options[0].adds_materials"),
        (_dangling_follow_up, "questions[0].shown_when"),
    ],
)
def test_loader_rejects_a_bad_guide_naming_file_guide_and_field(tmp_path, edit, field):
    # given a copy of the files with one mistake in the first guide of one file
    directory = copy_guides(tmp_path)
    edit_guide_file(directory, "birth_household.json", edit)
    code = json.loads((directory / "birth_household.json").read_text(encoding="utf-8"))["guides"][0][
        "implementation"
    ]["code"]
    # when
    with pytest.raises(GuideDataError) as raised:
        load_demo_guides(directory=directory)
    # then the message names the file, the guide and the field, and nothing was written
    assert "birth_household.json" in raised.value.message
    assert code in raised.value.message
    assert field in raised.value.message
    assert raised.value.details["field"] == field
    assert not Implementation.objects.exists()


def test_loader_rejects_an_invalid_department_credit_code(tmp_path):
    directory = copy_guides(tmp_path)

    def break_credit_code(data):
        data["departments"][0]["credit_code"] = "115113016823646790"

    edit_guide_file(directory, "common.json", break_credit_code)
    with pytest.raises(
        GuideDataError, match=r"common\.json：字段 departments\.0\.credit_code：统一社会信用代码校验位"
    ):
        read_guide_files(directory=directory)


def test_loader_rejects_a_file_that_is_not_json(tmp_path):
    directory = copy_guides(tmp_path)
    (directory / "broken.json").write_text("{ 不是 JSON", encoding="utf-8")
    with pytest.raises(GuideDataError, match=r"broken\.json：不是合法的 UTF-8 JSON"):
        read_guide_files(directory=directory)


# --- command --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_load_guides_command_reports_counts_and_fails_cleanly(tmp_path, capsys):
    call_command("load_guides")
    assert "rows written" in capsys.readouterr().out
    with pytest.raises(CommandError, match="没有指南数据文件"):
        call_command("load_guides", directory=tmp_path)
