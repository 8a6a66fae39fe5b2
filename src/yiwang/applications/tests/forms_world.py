"""What the forms, prefill and materials tests share: the demo catalog with its forms, a small form of
one implementation, and an accepting department whose system holds exchange grants for prefill."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from oauth2_provider.models import Application

from yiwang.applications.services.forms import import_form
from yiwang.catalog.constants import MaterialRequirement
from yiwang.catalog.models import Implementation
from yiwang.catalog.tests.factories import (
    DepartmentFactory,
    ImplementationFactory,
    MaterialFactory,
    SituationOptionFactory,
    SituationQuestionFactory,
)
from yiwang.exchange.constants import RequestStatus
from yiwang.exchange.models import Resource
from yiwang.exchange.services import decide_request, publish_register_resources, request_resource
from yiwang.exchange.tests.factories import make_system, staff
from yiwang.identity.constants import StaffRole
from yiwang.identity.models import User
from yiwang.regions.models import Department
from yiwang.registers.constants import RegisterCode
from yiwang.registers.models import Register
from yiwang.registers.tests.factories import RegisterFactory

POPULATION = "RK-511602-0001"


def load_demo_catalog() -> None:
    """The demo guides, license types, registers and published resources (what the demo forms name)."""
    from yiwang.catalog.guides import load_demo_guides
    from yiwang.licenses.services import load_license_type_catalog
    from yiwang.registers.services import ensure_register_catalog

    load_demo_guides()
    load_license_type_catalog()
    ensure_register_catalog()
    publish_register_resources()


def label(zh: str, en: str = "Label") -> dict[str, str]:
    return {"zh": zh, "en": en}


def field(key: str, zh: str, kind: str = "text", **extra: Any) -> dict[str, Any]:
    return {"key": key, "label": label(zh, key.replace("_", " ")), "type": kind, **extra}


@dataclass
class SmallWorld:
    """One implementation of a department with a situation question and three materials."""

    implementation: Implementation
    department: Department
    data_admin: User


def make_small_world() -> SmallWorld:
    department = DepartmentFactory(name="区民政局")
    implementation = ImplementationFactory(department=department, region=department.region)
    id_card = MaterialFactory(
        implementation=implementation,
        key="applicant_id_card",
        name="申请人居民身份证",
        license_type_code="ID_CARD",
    )
    MaterialFactory(implementation=implementation, key="application_form", name="申请表")
    proof = MaterialFactory(
        implementation=implementation,
        key="income_proof",
        name="收入证明",
        requirement=MaterialRequirement.BY_SITUATION,
    )
    question = SituationQuestionFactory(implementation=implementation, code="employed", text="是否在职？")
    yes = SituationOptionFactory(question=question, code="yes", label="在职")
    SituationOptionFactory(question=question, code="no", label="不在职")
    yes.adds_materials.add(proof)
    del id_card
    return SmallWorld(implementation, department, staff(department, StaffRole.DATA_ADMIN))


def small_schema(implementation: Implementation, **overrides: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "schema_version": 1,
        "implementation": implementation.code,
        "title": label("测试申请表", "Test form"),
        "sections": [
            {
                "key": "applicant",
                "label": label("申请人", "Applicant"),
                "fields": [
                    field(
                        "applicant_name",
                        "姓名",
                        required=True,
                        prefill={"source": "account", "attribute": "name"},
                    ),
                    field("applicant_id_number", "身份号码", "id_number", required=True),
                    field("phone", "电话", "phone", required=True),
                    field(
                        "employer",
                        "工作单位",
                        required=True,
                        visible_when={"situation": "employed", "is": "yes"},
                    ),
                    field("income", "月收入（元）", "number", validation={"min": 0, "max": 100000}),
                    field(
                        "kind",
                        "类别",
                        "choice",
                        required=True,
                        options=[
                            {"value": "a", "label": label("甲", "A")},
                            {"value": "b", "label": label("乙", "B")},
                        ],
                    ),
                    field(
                        "reason_b",
                        "乙类理由",
                        "textarea",
                        required=True,
                        visible_when={"field": "kind", "equals": "b"},
                    ),
                    field("start_on", "开始日期", "date", validation={"max_date": "today"}),
                ],
            }
        ],
    }
    schema.update(overrides)
    return schema


def import_small_form(world: SmallWorld, **overrides: Any):
    form, _created = import_form(
        actor=None, schema=small_schema(world.implementation, **overrides), activate=True
    )
    return form


@dataclass
class ExchangeSetup:
    system: Application
    population: Resource


def grant_population(
    department: Department, item_code: str, items: tuple[str, ...], *, full: tuple[str, ...] = ()
) -> ExchangeSetup:
    """A system of ``department`` granted the population register's ``items`` for ``item_code``."""
    register = Register.objects.filter(code=RegisterCode.POPULATION, department__isnull=False).first()
    police = register.department if register else DepartmentFactory(name="区公安分局")
    RegisterFactory(code=RegisterCode.POPULATION, name="人口库", department=police)
    population = next(resource for resource in publish_register_resources() if resource.code == POPULATION)
    system = make_system(department, f"intake-{department.pk}-{Application.objects.count()}")
    requester = staff(department, StaffRole.DATA_ADMIN)
    share = request_resource(
        actor=requester,
        resource=population,
        consumer=department,
        system=system,
        purpose="网上申报预填",
        service_item_codes=[item_code],
        legal_basis="《优化营商环境条例》第三十五条",
        item_codes=list(items),
        full_items=list(full or items),
        ends_on=timezone.localdate() + dt.timedelta(days=365),
    )
    if share.status == RequestStatus.PENDING:
        decide_request(actor=staff(police, StaffRole.DATA_ADMIN), request_id=share.pk, approve=True)
    return ExchangeSetup(system, population)
