"""Materials: satisfied by an e-license (with consent, within scope), shared data, the vault (same material
only once) or an upload (type from the bytes, size limit, hash, storage); the Chinese reasons."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import override_settings

from yiwang.applications.constants import MaterialSource, TrustLevel
from yiwang.applications.models import CaseMaterial, VaultItem
from yiwang.applications.services import materials
from yiwang.applications.services.forms import import_form, load_demo_forms
from yiwang.applications.tests.factories import CaseFactory
from yiwang.catalog.models import Bundle
from yiwang.core.errors import InvalidInput
from yiwang.identity.tests.factories import UserFactory
from yiwang.licenses.models import Consent
from yiwang.licenses.tests.factories import LicenseTypeFactory, MandateFactory, make_license

from .forms_world import grant_population, load_demo_catalog, make_small_world, small_schema

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"1 0 obj\n" * 8


def _file(content: bytes, name: str = "scan.png") -> ContentFile:
    return ContentFile(content, name=name)


@pytest.fixture
def world():
    world = make_small_world()
    LicenseTypeFactory(code="ID_CARD", name="居民身份证")
    return world


@pytest.fixture
def applicant():
    return UserFactory(level3=True)


def _plan(world, actor, holder_code, situation=None):
    return materials.plan(
        implementations=[world.implementation],
        situation=situation or {},
        actor=actor,
        holder_code=holder_code,
    )


def _by_key(items):
    return {item.key: item for item in items}


def test_upload_type_is_judged_by_the_bytes_and_stored_with_its_hash():
    stored = materials.store_upload(uploaded_file=_file(PNG, "photo.pdf"))  # the name says PDF; it is a PNG
    assert stored.content_type == "image/png" and stored.name.endswith(".png")
    assert stored.sha256 == hashlib.sha256(PNG).hexdigest() and stored.size == len(PNG)
    assert stored.original_name == "photo.pdf"
    with default_storage.open(stored.name) as saved:
        assert saved.read() == PNG
    assert materials.store_upload(uploaded_file=_file(PDF, "x")).content_type == "application/pdf"
    for content, code in ((b"MZ\x90\x00 not a picture", "upload_type_not_allowed"), (b"", "upload_empty")):
        with pytest.raises(InvalidInput) as raised:
            materials.store_upload(uploaded_file=_file(content, "evil.png"))
        assert raised.value.code == code


@override_settings(APPLICATIONS_UPLOAD_MAX_BYTES=64)
def test_upload_size_limit_comes_from_the_setting():
    with pytest.raises(InvalidInput) as raised:
        materials.store_upload(uploaded_file=_file(PNG))
    assert raised.value.code == "upload_too_large"
    assert "MB" in raised.value.message


def test_the_situation_decides_the_list_and_removed_materials_say_why(world, applicant):
    # an option that exempts the application form
    question = world.implementation.questions.get(code="employed")
    no = question.options.get(code="no")
    no.removes_materials.add(world.implementation.materials.get(key="application_form"))
    no.explanation = "不在职人员由系统自动生成申请表"
    no.save()
    employed = _by_key(_plan(world, applicant, applicant.id_number, {"employed": "yes"}))
    assert {"applicant_id_card", "application_form", "income_proof"} == set(employed)
    unemployed = _by_key(_plan(world, applicant, applicant.id_number, {"employed": "no"}))
    assert "income_proof" not in unemployed
    exempt = unemployed["application_form"]
    assert exempt.satisfied_by == materials.EXEMPT and exempt.no_need_to_bring
    assert exempt.why == "不在职人员由系统自动生成申请表，无需提交"


def test_a_license_of_the_holder_replaces_the_material_and_consent_is_recorded(world, applicant):
    license = make_license(
        holder=applicant,
        license_type=LicenseTypeFactory(code="ID_CARD"),
        surface={"name": applicant.full_name, "grade": "一级"},
    )
    items = _by_key(_plan(world, applicant, applicant.id_number))
    id_card = items["applicant_id_card"]
    assert id_card.satisfied_by == MaterialSource.LICENSE and id_card.license == license
    assert "免证办" in id_card.why and "居民身份证" in id_card.why
    case = CaseFactory(implementation=world.implementation, applicant=applicant)
    uploads = {"application_form": materials.store_upload(uploaded_file=_file(PDF))}
    rows = materials.attach(case=case, plan=list(items.values()), uploads=uploads, actor=applicant)
    row = next(row for row in rows if row.key == "applicant_id_card")
    assert (row.source, row.trust, row.license_id) == (MaterialSource.LICENSE, TrustLevel.SIGNED, license.pk)
    consent = Consent.objects.get(license=license)
    assert consent.requester == world.department and consent.holder_code == applicant.id_number
    assert case.number in consent.purpose and consent.granted_by == applicant


def test_a_license_needs_the_actors_scope(world, applicant):
    make_license(
        holder=applicant,
        license_type=LicenseTypeFactory(code="ID_CARD"),
        surface={"name": "x", "grade": "一级"},
    )
    stranger = UserFactory(level3=True)
    assert (
        _by_key(_plan(world, stranger, applicant.id_number))["applicant_id_card"].satisfied_by
        == MaterialSource.UPLOAD
    )
    unverified = UserFactory()  # level 2: sees no licenses, not even their own
    assert (
        _by_key(_plan(world, unverified, unverified.id_number))["applicant_id_card"].satisfied_by
        == MaterialSource.UPLOAD
    )
    # an agent whose mandate covers other items only may not use the principal's ID card
    narrow = UserFactory(level3=True)
    mandate = MandateFactory(granted_by=applicant, agent=narrow, covers_all_items=False)
    mandate.items.add(CaseFactory().implementation.item)
    assert (
        _by_key(_plan(world, narrow, applicant.id_number))["applicant_id_card"].satisfied_by
        == MaterialSource.UPLOAD
    )
    wide = UserFactory(level3=True)
    MandateFactory(granted_by=applicant, agent=wide, covers_all_items=True)
    assert (
        _by_key(_plan(world, wide, applicant.id_number))["applicant_id_card"].satisfied_by
        == MaterialSource.LICENSE
    )


def test_uploads_go_to_the_vault_once_and_are_reused(world, applicant):
    first = _plan(world, applicant, applicant.id_number)
    stored = materials.store_upload(uploaded_file=_file(PDF))
    uploads = {
        "application_form": stored,
        "applicant_id_card": materials.store_upload(uploaded_file=_file(PNG)),
    }
    case = CaseFactory(implementation=world.implementation, applicant=applicant)
    rows = materials.attach(case=case, plan=first, uploads=uploads, actor=applicant)
    assert {row.source for row in rows} == {MaterialSource.UPLOAD}
    assert all(row.trust == TrustLevel.DECLARED and row.sha256 for row in rows)
    assert VaultItem.objects.filter(holder_code=applicant.id_number).count() == 2
    # the next application: both materials come from the vault, with the date they were given
    second = _by_key(_plan(world, applicant, applicant.id_number))
    reused = second["application_form"]
    assert reused.satisfied_by == MaterialSource.VAULT and reused.vault_item.sha256 == stored.sha256
    assert "材料库" in reused.why and "无需重复提交" in reused.why
    later = CaseFactory(implementation=world.implementation, applicant=applicant)
    rows = materials.attach(case=later, plan=list(second.values()), uploads={}, actor=applicant)
    assert {row.source for row in rows} == {MaterialSource.VAULT}
    assert VaultItem.objects.filter(holder_code=applicant.id_number).count() == 2  # nothing stored twice
    assert CaseMaterial.objects.get(case=later, key="application_form").file.name == stored.name


def test_attach_lists_every_missing_upload_at_once(world, applicant):
    items = _plan(world, applicant, applicant.id_number, {"employed": "yes"})
    case = CaseFactory(implementation=world.implementation, applicant=applicant)
    with pytest.raises(InvalidInput) as raised:
        materials.attach(
            case=case,
            plan=items,
            uploads={"nonsense": materials.store_upload(uploaded_file=_file(PNG))},
            actor=applicant,
        )
    assert raised.value.code == "materials_missing"
    assert set(raised.value.details["missing"]) == {"申请人居民身份证", "申请表", "收入证明"}
    assert raised.value.details["unexpected"] == ["nonsense"]
    assert not CaseMaterial.objects.exists()


def test_shared_data_declared_by_the_form_needs_a_live_grant(world, applicant):
    schema = small_schema(
        world.implementation,
        materials={
            "income_proof": {
                "shared_data": {
                    "resource": "RK-511602-0001",
                    "items": ["household_address"],
                    "reason": {"zh": "收入情况由部门共享核验", "en": "Checked through shared data"},
                }
            }
        },
    )
    grant_population(world.department, "OTHER-ITEM", ("household_address",))  # publishes the resource
    import_form(actor=None, schema=schema, activate=True)
    situation = {"employed": "yes"}
    assert (
        _by_key(_plan(world, applicant, applicant.id_number, situation))["income_proof"].satisfied_by
        == MaterialSource.UPLOAD
    )
    grant_population(world.department, world.implementation.item.code, ("household_address",))
    shared = _by_key(_plan(world, applicant, applicant.id_number, situation))["income_proof"]
    assert shared.satisfied_by == MaterialSource.SHARED_DATA and shared.shared_resource == "RK-511602-0001"
    assert shared.why.startswith("收入情况由部门共享核验") and "人口基础信息" in shared.why


def test_a_bundle_asks_each_material_once_and_shares_what_its_parts_issue():
    load_demo_catalog()
    load_demo_forms()
    bundle = Bundle.objects.get(code="newborn-birth")
    parts = [item.implementation for item in bundle.bundle_items.order_by("order")]
    mother = UserFactory(level3=True)
    situation = {
        "follow": "mother",
        "father_info": "no",
        "person_type": "newborn",
        "age": "minor",
        "applicant": "parent",
    }
    items = materials.plan(
        implementations=parts, situation=situation, actor=mother, holder_code=mother.id_number
    )
    keys = [item.key for item in items]
    assert len(keys) == len(set(keys))
    by_key = _by_key(items)
    assert len(by_key["mother_id_card"].implementations) == 2
    birth = by_key["birth_medical_cert"]
    assert birth.satisfied_by == MaterialSource.SHARED_DATA
    assert "《出生医学证明》首次签发" in birth.why
    assert by_key["applicant_id_card"].satisfied_by == materials.EXEMPT  # a newborn's insurance needs none
