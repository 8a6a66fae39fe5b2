"""Maintaining the catalog: the provider department's data administrators edit their resources' metadata
and data items, on pages or by an Excel import that writes everything or nothing.

The same rules hold for both ways in: codes in their format, grades 1–4, a sharing type with its
conditions (有条件) or legal basis (不予共享), lengths; a resource drawn from a register serves only the
items that register provides; an item a live grant or a waiting request uses is not removed; a resource
with live grants is not turned 不予共享 (revoke them first). Every change bumps the version and is audited.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from yiwang.audit.services import record_event
from yiwang.core.errors import InvalidInput, NotFound, PermissionDenied
from yiwang.identity.selectors import assignment_with_permission, department_ids_with_permission
from yiwang.regions.models import Department

from ..catalog import ALL_RESOURCES
from ..constants import MANAGE_PERMISSION, DataType, Grade, OpenType, RequestStatus, SharingType, UpdateCycle
from ..models import DataItem, Grant, Resource, ShareRequest
from ..spreadsheets import (
    ITEM_COLUMNS,
    ITEM_SHEET,
    RESOURCE_COLUMNS,
    RESOURCE_SHEET,
    ImportReport,
    open_workbook,
    read_sheet,
)

if TYPE_CHECKING:
    from yiwang.identity.models import StaffAssignment, User

RESOURCE_CREATED = "exchange.resource_created"
RESOURCE_UPDATED = "exchange.resource_updated"
RESOURCES_IMPORTED = "exchange.resources_imported"

RESOURCE_FIELDS = (
    "name",
    "summary",
    "sharing_type",
    "sharing_conditions",
    "legal_basis",
    "open_type",
    "update_cycle",
    "data_format",
    "published_on",
)
ITEM_FIELDS = ("code", "name", "data_type", "length", "grade", "is_personal", "is_sensitive_personal")
RESOURCE_CODE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")  # e.g. RK-511602-0001
ITEM_CODE = re.compile(r"^[a-z][a-z0-9_]*$")  # e.g. id_number
TEXT_LIMITS = {
    "name": 200,
    "summary": 2000,
    "sharing_conditions": 1000,
    "legal_basis": 1000,
    "data_format": 40,
}
ITEM_NAME_LIMIT, ITEM_CODE_LIMIT, RESOURCE_CODE_LIMIT, MAX_ITEM_LENGTH = 100, 60, 40, 4000
REQUIRED = ("name", "summary", "sharing_type", "open_type", "update_cycle", "data_format", "published_on")
CHOICES: dict[str, Any] = {
    "sharing_type": SharingType,
    "open_type": OpenType,
    "update_cycle": UpdateCycle,
    "data_type": DataType,
}
HEADERS = {column.field: column.header for column in (*RESOURCE_COLUMNS, *ITEM_COLUMNS)}

Problem = tuple[str, str]  # (field, Chinese message)


# Rules --------------------------------------------------------------------------------------------


def resource_code_problems(code: Any) -> list[Problem]:
    if not code:
        return [("code", "必填")]
    if len(code) > RESOURCE_CODE_LIMIT or not RESOURCE_CODE.match(code):
        return [("code", "资源代码应由大写字母、数字和连字符组成（如 RK-511602-0001），不超过 40 个字符")]
    return []


def resource_problems(values: Mapping[str, Any]) -> list[Problem]:
    """What is wrong with a resource's metadata (empty when it may be saved)."""
    problems = [(name, "必填") for name in REQUIRED if values.get(name) in (None, "")]
    for name, limit in TEXT_LIMITS.items():
        if len(values.get(name) or "") > limit:
            problems.append((name, f"不能超过 {limit} 个字符"))
    for name in ("sharing_type", "open_type", "update_cycle"):
        if values.get(name) and values[name] not in CHOICES[name].values:
            problems.append((name, "取值不在规定范围内"))
    sharing = values.get("sharing_type")
    if sharing == SharingType.NOT_SHARED and not (values.get("legal_basis") or "").strip():
        problems.append(("legal_basis", "不予共享须写明法律、行政法规或政策依据"))
    if sharing == SharingType.CONDITIONAL and not (values.get("sharing_conditions") or "").strip():
        problems.append(("sharing_conditions", "有条件共享须写明共享条件"))
    return problems


def item_problems(values: Mapping[str, Any]) -> list[Problem]:
    """What is wrong with one data item on its own."""
    problems: list[Problem] = []
    code, name = values.get("code") or "", values.get("name") or ""
    if not code:
        problems.append(("code", "必填"))
    elif len(code) > ITEM_CODE_LIMIT or not ITEM_CODE.match(code):
        problems.append(
            ("code", "信息项代码应以小写字母开头，由小写字母、数字和下划线组成，不超过 60 个字符")
        )
    if not name.strip():
        problems.append(("name", "必填"))
    elif len(name) > ITEM_NAME_LIMIT:
        problems.append(("name", f"不能超过 {ITEM_NAME_LIMIT} 个字符"))
    if values.get("data_type") not in DataType.values:
        problems.append(("data_type", "应为字符型、数值型、日期型或布尔型"))
    length = values.get("length")
    if not isinstance(length, int) or isinstance(length, bool) or not 1 <= length <= MAX_ITEM_LENGTH:
        problems.append(("length", f"应为 1 到 {MAX_ITEM_LENGTH} 之间的整数"))
    if values.get("grade") not in Grade.values:
        problems.append(("grade", "敏感级别应为 1 公开、2 内部、3 敏感或 4 重要核心"))
    for flag in ("is_personal", "is_sensitive_personal"):
        if not isinstance(values.get(flag), bool):
            problems.append((flag, "应填“是”或“否”"))
    if values.get("is_sensitive_personal") is True and values.get("is_personal") is False:
        problems.append(("is_sensitive_personal", "敏感个人信息必须同时是个人信息"))
    return problems


def _source_items(source: str) -> frozenset[str] | None:
    """The item codes a resource drawn from ``source`` (a register, the license library) may list."""
    for spec in ALL_RESOURCES:
        if spec.source == source:
            return frozenset(item.code for item in spec.items)
    return None


def codes_in_use(resource: Resource) -> set[str]:
    """Item codes that live grants or waiting requests of the resource name (they may not be removed)."""
    today = timezone.localdate()
    grants = Grant.objects.filter(resource=resource, revoked_at__isnull=True, ends_on__gte=today)
    waiting = ShareRequest.objects.filter(
        resource=resource, status__in=[RequestStatus.PENDING, RequestStatus.AWAITING_SECOND_APPROVAL]
    )
    used: set[str] = set()
    for masks in [*grants.values_list("masks", flat=True), *waiting.values_list("masks", flat=True)]:
        used.update(masks or {})
    return used


def item_set_problems(resource: Resource | None, source: str, items: list[dict]) -> list[tuple[int, Problem]]:
    """What is wrong with a resource's whole list of items: (index in ``items``, problem)."""
    problems: list[tuple[int, Problem]] = []
    if not items:
        problems.append((-1, ("code", "资源至少应有一个信息项")))
    first: dict[str, int] = {}
    allowed = _source_items(source)
    for index, item in enumerate(items):
        code = item.get("code")
        if code in first:
            problems.append((index, ("code", f"信息项代码“{code}”重复")))
        elif code:
            first[code] = index
        if code and allowed is not None and code not in allowed:
            problems.append((index, ("code", f"该资源来自基础库，不提供信息项“{code}”")))
    if resource is not None:
        for code in sorted(codes_in_use(resource) - set(first)):
            problems.append((-1, ("code", f"信息项“{code}”正被有效授权或待审申请使用，不能删除")))
    return problems


def _has_live_grants(resource: Resource) -> bool:
    today = timezone.localdate()
    return Grant.objects.filter(resource=resource, revoked_at__isnull=True, ends_on__gte=today).exists()


def sharing_change_problems(resource: Resource | None, values: Mapping[str, Any]) -> list[Problem]:
    if resource is None or values.get("sharing_type") != SharingType.NOT_SHARED:
        return []
    if resource.sharing_type != SharingType.NOT_SHARED and _has_live_grants(resource):
        return [("sharing_type", "该资源尚有有效授权，改为不予共享前须先撤销这些授权")]
    return []


# Writing ------------------------------------------------------------------------------------------


def next_version(version: str) -> str:
    """1.0 → 1.1; anything unreadable restarts the count at 1.1."""
    major, _dot, minor = (version or "").partition(".")
    if major.isdigit() and minor.isdigit():
        return f"{int(major)}.{int(minor) + 1}"
    return "1.1"


@dataclass(frozen=True)
class Change:
    """What a save changed: metadata field names and item codes added, changed, removed."""

    fields: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.fields or self.added or self.changed or self.removed)

    def described(self) -> dict[str, list[str]]:
        return {name: list(value) for name, value in vars(self).items() if value}


def _item_changes(resource: Resource, items: list[dict]) -> tuple[Change, dict[str, DataItem]]:
    existing = {item.code: item for item in resource.items.all()}
    wanted = {item["code"]: item for item in items}
    changed = tuple(
        code
        for code in wanted
        if code in existing
        and any(getattr(existing[code], name) != wanted[code][name] for name in ITEM_FIELDS)
    )
    added = tuple(code for code in wanted if code not in existing)
    removed = tuple(code for code in existing if code not in wanted)
    return Change(added=added, changed=changed, removed=removed), existing


def _write_items(
    resource: Resource, items: list[dict], change: Change, existing: dict[str, DataItem]
) -> None:
    DataItem.objects.filter(resource=resource, code__in=change.removed).delete()
    for item in items:
        values = {name: item[name] for name in ITEM_FIELDS}
        if item["code"] in change.added:
            DataItem.objects.create(resource=resource, **values)
        elif item["code"] in change.changed:
            row = existing[item["code"]]
            for name, value in values.items():
                setattr(row, name, value)
            row.save(update_fields=[name for name in ITEM_FIELDS if name != "code"])


def _role_facts(assignment: StaffAssignment) -> dict[str, Any]:
    return {
        "actor_role": assignment.role,
        "actor_department": assignment.department,
        "actor_region_code": assignment.region_id,
    }


def _save(
    resource: Resource, metadata: Mapping[str, Any], items: list[dict] | None, *, actor: User, via: str
) -> Change:
    """Apply metadata (and, when given, the full item list) to a locked resource; bump, audit. No checks."""
    fields = tuple(name for name in RESOURCE_FIELDS if getattr(resource, name) != metadata[name])
    item_change, existing = _item_changes(resource, items) if items is not None else (Change(), {})
    change = Change(fields, item_change.added, item_change.changed, item_change.removed)
    if not change:
        return change
    for name in fields:
        setattr(resource, name, metadata[name])
    resource.version = next_version(resource.version)
    resource.save(update_fields=[*fields, "version"])
    if items is not None:
        _write_items(resource, items, item_change, existing)
    assignment = _manager(actor, resource.provider_id)
    record_event(
        action=RESOURCE_UPDATED,
        actor=actor,
        target=resource,
        department=resource.provider,
        details={"version": resource.version, "via": via, **change.described()},
        **_role_facts(assignment),
    )
    return change


def _manager(actor: User, department_id: int) -> StaffAssignment:
    assignment = assignment_with_permission(
        actor=actor, permission=MANAGE_PERMISSION, department_id=department_id
    )
    if assignment is None:
        raise NotFound("未找到该共享资源", code="resource_not_found")
    return assignment


def _locked_resource(actor: User, code: str) -> Resource:
    """The resource, locked, if the actor is a data administrator of its provider; NotFound otherwise."""
    resource = Resource.objects.select_for_update().select_related("provider").filter(code=code).first()
    if resource is None:
        raise NotFound("未找到该共享资源", code="resource_not_found")
    _manager(actor, resource.provider_id)
    return resource


def _raise_problems(problems: list[Problem]) -> None:
    if problems:
        fields: dict[str, list[str]] = {}
        for name, message in problems:
            fields.setdefault(name, []).append(message)
        first = problems[0]
        raise InvalidInput(
            f"{HEADERS.get(first[0], first[0])}：{first[1]}", code="invalid_resource", fields=fields
        )


def _current_items(resource: Resource) -> list[dict]:
    return [{name: getattr(item, name) for name in ITEM_FIELDS} for item in resource.items.order_by("pk")]


@transaction.atomic
def update_resource(*, actor: User, code: str, values: Mapping[str, Any]) -> Resource:
    """The provider's data administrator changes a resource's metadata (the items stay as they are)."""
    resource = _locked_resource(actor, code)
    metadata = {name: values.get(name, getattr(resource, name)) for name in RESOURCE_FIELDS}
    _raise_problems(resource_problems(metadata) + sharing_change_problems(resource, metadata))
    _save(resource, metadata, None, actor=actor, via="page")
    return resource


def _save_items(actor: User, resource: Resource, items: list[dict]) -> Resource:
    problems = [problem for _index, problem in item_set_problems(resource, resource.source, items)]
    _raise_problems(problems)
    metadata = {name: getattr(resource, name) for name in RESOURCE_FIELDS}
    _save(resource, metadata, items, actor=actor, via="page")
    return resource


@transaction.atomic
def save_data_item(
    *, actor: User, code: str, values: Mapping[str, Any], item_code: str | None = None
) -> DataItem:
    """Add a data item (``item_code`` None) or change one; its code may not change once it exists."""
    resource = _locked_resource(actor, code)
    items = _current_items(resource)
    item = {name: values.get(name) for name in ITEM_FIELDS}
    if item_code is not None:
        if item_code not in {entry["code"] for entry in items}:
            raise NotFound("未找到该信息项", code="item_not_found")
        item["code"] = item_code
        items = [item if entry["code"] == item_code else entry for entry in items]
    else:
        items.append(item)
    _raise_problems(item_problems(item))
    _save_items(actor, resource, items)
    return resource.items.get(code=item["code"])


@transaction.atomic
def delete_data_item(*, actor: User, code: str, item_code: str) -> Resource:
    """Remove a data item no live grant or waiting request uses."""
    resource = _locked_resource(actor, code)
    items = _current_items(resource)
    if item_code not in {entry["code"] for entry in items}:
        raise NotFound("未找到该信息项", code="item_not_found")
    return _save_items(actor, resource, [entry for entry in items if entry["code"] != item_code])


# Import -------------------------------------------------------------------------------------------


@dataclass
class _Planned:
    """One resource row of an import, checked: the resource (None when new) and what it becomes."""

    number: int
    code: str
    provider: Department | None
    resource: Resource | None
    metadata: dict[str, Any]
    items: list[tuple[int, dict[str, Any]]]


def _provider_of(values: dict, resource: Resource | None, managed: dict[str, Department]) -> tuple[Any, str]:
    credit_code = values.get("provider_credit_code") or ""
    if resource is not None:
        if resource.provider.credit_code != credit_code:
            return None, "不能通过导入变更资源的提供方"
        if resource.provider.credit_code not in managed:
            return None, "您不是该资源提供方的数据管理员"
        return resource.provider, ""
    if not credit_code:
        return None, "必填"
    if credit_code not in managed:
        return None, "您不是该提供方的数据管理员"
    return managed[credit_code], ""


def _plan_resources(rows: list[tuple[int, dict]], managed: dict[str, Department], report: ImportReport):
    existing = {
        resource.code: resource
        for resource in Resource.objects.select_for_update()
        .select_related("provider")
        .filter(code__in=[values.get("code") for _number, values in rows])
    }
    planned: dict[str, _Planned] = {}
    for number, values in rows:
        code = values.get("code") or ""
        for name, message in resource_code_problems(code):
            report.add(RESOURCE_SHEET, number, HEADERS[name], message)
        if code in planned:
            report.add(RESOURCE_SHEET, number, HEADERS["code"], f"与第 {planned[code].number} 行重复")
            continue
        resource = existing.get(code)
        provider, message = _provider_of(values, resource, managed)
        if message:
            report.add(RESOURCE_SHEET, number, HEADERS["provider_credit_code"], message)
        metadata = {name: values.get(name) for name in RESOURCE_FIELDS}
        for name, message in resource_problems(metadata) + sharing_change_problems(resource, metadata):
            if name in values:  # a cell that did not parse is already reported
                report.add(RESOURCE_SHEET, number, HEADERS[name], message)
        if code:
            planned[code] = _Planned(number, code, provider, resource, metadata, [])
    return planned


def _plan_items(
    item_rows: list[tuple[int, dict]], planned: dict[str, _Planned], report: ImportReport
) -> None:
    for number, values in item_rows:
        code = values.get("resource_code") or ""
        if code not in planned:
            report.add(
                ITEM_SHEET, number, HEADERS["resource_code"], f"资源代码“{code}”不在“{RESOURCE_SHEET}”表中"
            )
            continue
        item = {name: values.get(name) for name in ITEM_FIELDS}
        for name, message in item_problems(item):
            if name in values:  # a cell that did not parse is already reported
                report.add(ITEM_SHEET, number, HEADERS[name], message)
        planned[code].items.append((number, item))
    for plan in planned.values():
        source = plan.resource.source if plan.resource else ""
        items = [item for _number, item in plan.items]
        for index, (name, message) in item_set_problems(plan.resource, source, items):
            sheet, number = (
                (ITEM_SHEET, plan.items[index][0]) if index >= 0 else (RESOURCE_SHEET, plan.number)
            )
            report.add(sheet, number, HEADERS[name], message if index >= 0 else f"{plan.code}：{message}")


def _create(plan: _Planned, *, actor: User) -> Resource:
    assert plan.provider is not None
    resource = Resource.objects.create(code=plan.code, provider=plan.provider, version="1.0", **plan.metadata)
    _write_items(
        resource,
        [item for _n, item in plan.items],
        Change(added=tuple(i["code"] for _n, i in plan.items)),
        {},
    )
    record_event(
        action=RESOURCE_CREATED,
        actor=actor,
        target=resource,
        department=plan.provider,
        details={"version": resource.version, "via": "import", "items": [i["code"] for _n, i in plan.items]},
        **_role_facts(_manager(actor, plan.provider.pk)),
    )
    return resource


@transaction.atomic
def import_resources(*, actor: User, data: bytes) -> ImportReport:
    """Check every row of both sheets; write them all in this one transaction, or nothing if any is wrong.

    Each listed resource's items become exactly its rows in the items sheet.
    """
    managed_ids = department_ids_with_permission(actor, MANAGE_PERMISSION)
    if not managed_ids:
        raise PermissionDenied("只有部门数据管理员可以导入共享资源", code="not_data_admin")
    report = ImportReport()
    workbook = open_workbook(data, report)
    if workbook is None:
        return report
    try:
        resource_rows = read_sheet(workbook[RESOURCE_SHEET], RESOURCE_COLUMNS, report)
        item_rows = read_sheet(workbook[ITEM_SHEET], ITEM_COLUMNS, report)
    finally:
        workbook.close()
    managed = {
        department.credit_code: department for department in Department.objects.filter(pk__in=managed_ids)
    }
    planned = _plan_resources(resource_rows, managed, report)
    _plan_items(item_rows, planned, report)
    if not report.is_valid or not planned:
        if not planned and report.is_valid:
            report.add(RESOURCE_SHEET, 2, "", "表中没有资源")
        return report
    for plan in planned.values():
        if plan.resource is None:
            _create(plan, actor=actor)
            report.created.append(plan.code)
        elif _save(
            plan.resource, plan.metadata, [item for _n, item in plan.items], actor=actor, via="import"
        ):
            report.updated.append(plan.code)
        else:
            report.unchanged.append(plan.code)
    record_event(
        action=RESOURCES_IMPORTED,
        actor=actor,
        details={"created": report.created, "updated": report.updated, "unchanged": len(report.unchanged)},
    )
    return report
