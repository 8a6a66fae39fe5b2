"""What a form definition names, checked against the database: situations, materials, resources, licenses.

A form may use only its implementation's situation questions and options (the catalog's 情形引导) and
materials, the exchange's published resources and data items (not those 不予共享), license types
with the surface field it names, and (``result_field``) the surface fields of its result license type.
Problems read as ``"<path>：<problem>"``, as ``form_schema`` writes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from yiwang.catalog.models import Implementation, SituationQuestion
from yiwang.exchange.constants import SharingType
from yiwang.exchange.models import Resource
from yiwang.licenses.models import LicenseType

from .form_schema import collected
from .form_types import PREFILL_LICENSE, PREFILL_REGISTER


def _situation_problems(
    implementation: Implementation, refs: Iterable[tuple[str, str, list[str]]]
) -> list[str]:
    questions: dict[str, set[str]] = {}
    for question in SituationQuestion.objects.filter(implementation=implementation).prefetch_related(
        "options"
    ):
        questions[question.code] = {option.code for option in question.options.all()}
    problems = []
    for path, code, options in refs:
        if code not in questions:
            problems.append(f"{path}.situation：该实施清单的情形引导中没有问题“{code}”")
            continue
        for option in options:
            if option not in questions[code]:
                problems.append(f"{path}：情形问题“{code}”没有选项“{option}”")
    return problems


def _resources(codes: set[str]) -> dict[str, Resource]:
    return {
        resource.code: resource
        for resource in Resource.objects.filter(code__in=sorted(codes)).prefetch_related("items")
    }


def _resource_problems(path: str, resources: dict[str, Resource], code: str, items: list[str]) -> list[str]:
    resource = resources.get(code)
    if resource is None:
        return [f"{path}：共享资源目录中没有资源“{code}”"]
    if resource.sharing_type == SharingType.NOT_SHARED:
        return [f"{path}：资源“{resource.name}”不予共享，不能用于预填或免提交"]
    known = {item.code for item in resource.items.all()}
    return [f"{path}：资源“{resource.name}”没有信息项“{item}”" for item in items if item not in known]


def _license_problems(path: str, types: dict[str, LicenseType], code: str, surface_field: str) -> list[str]:
    license_type = types.get(code)
    if license_type is None:
        return [f"{path}.license_type：没有证照类型“{code}”"]
    properties = (license_type.field_schema or {}).get("properties", {})
    if surface_field not in properties:
        return [f"{path}.field：证照“{license_type.name}”的照面信息中没有字段“{surface_field}”"]
    return []


def _result_field_problems(implementation: Implementation, refs: list[tuple[str, str]]) -> list[str]:
    """A ``result_field`` names a surface field of the implementation's result license type."""
    if not refs:
        return []
    code = implementation.result_license_type
    license_type = LicenseType.objects.filter(code=code).first() if code else None
    if license_type is None:
        return [f"{path}：该实施清单没有结果证照（或其证照类型不在证照目录中）" for path, _field in refs]
    properties = (license_type.field_schema or {}).get("properties", {})
    return [
        f"{path}：证照“{license_type.name}”的照面信息中没有字段“{name}”"
        for path, name in refs
        if name not in properties
    ]


def _shared_data(schema: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    return [
        (
            f"materials.{key}.shared_data",
            entry["shared_data"]["resource"],
            list(entry["shared_data"]["items"]),
        )
        for key, entry in (schema.get("materials") or {}).items()
    ]


def check_references(schema: dict[str, Any], implementation: Implementation) -> list[str]:
    """Every problem of what a (shape-valid) definition names for this implementation."""
    found = collected(schema)
    problems: list[str] = []
    if schema.get("implementation") != implementation.code:
        problems.append(f"implementation：表单的实施编码与实施清单“{implementation.code}”不一致")
    problems += _situation_problems(implementation, found.situation_refs)
    materials = set(implementation.materials.exclude(key="").values_list("key", flat=True))
    problems += [
        f"{path}：该实施清单的申请材料中没有“{key}”" for path, key in found.materials if key not in materials
    ]
    registers = [(path, spec) for path, spec, _kind in found.prefills if spec["source"] == PREFILL_REGISTER]
    shared = _shared_data(schema)
    resources = _resources({spec["resource"] for _p, spec in registers} | {code for _p, code, _i in shared})
    for path, spec in registers:
        problems += _resource_problems(path, resources, spec["resource"], [spec["item"]])
    for path, code, items in shared:
        problems += _resource_problems(path, resources, code, items)
    licensed = [(path, spec) for path, spec, _kind in found.prefills if spec["source"] == PREFILL_LICENSE]
    types = {
        license_type.code: license_type
        for license_type in LicenseType.objects.filter(
            code__in=[spec["license_type"] for _p, spec in licensed]
        )
    }
    for path, spec in licensed:
        problems += _license_problems(path, types, spec["license_type"], spec["field"])
    problems += _result_field_problems(implementation, found.result_fields)
    problems += _superseded_problems(implementation, schema.get("result_supersedes"))
    return problems


def _superseded_problems(implementation: Implementation, key: object) -> list[str]:
    """``result_supersedes`` names a material proven by a license of the result's own type (转移登记: the
    seller's 不动产权证书, which the buyer's replaces)."""
    if not isinstance(key, str):
        return []
    material = implementation.materials.filter(key=key).first()
    if material is None:  # reported with the other material keys
        return []
    if (
        not implementation.result_license_type
        or material.license_type_code != implementation.result_license_type
    ):
        return [
            f"result_supersedes：材料“{material.name}”的电子证照类型与该实施清单的结果证照类型不同，"
            "不能被办理结果替代"
        ]
    return []
