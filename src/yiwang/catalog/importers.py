"""Import of the 1,135 real service items of 广安市广安区 and the demo chain of departments above them.

Idempotent: a second run finds everything in place and writes nothing. The import owns names, codes,
hierarchy, types and departments; it never touches guide contents written later (by staff or seed
guides), and audiences only when it creates an item.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.db import transaction

from yiwang.core.identifiers import credit_code_check_character, is_valid_credit_code, normalize_credit_code
from yiwang.regions.models import Department
from yiwang.regions.services import upsert_department

from .completeness import recompute_completeness
from .constants import Audience, ExerciseLevel, ItemKind
from .models import Implementation, ServiceItem
from .services import announce_catalog_change

DATA_DIR = Path(__file__).resolve().parent / "data" / "service_items"
ITEMS_FILE = DATA_DIR / "sichuan_guangan_district_items_v-luobo-zwfw.json"
DEPARTMENTS_FILE = DATA_DIR / "departments.json"
COUNTY_CODE = "511602000000"
UNCLASSIFIED = "未分类"

# Words in an item's name that say who applies. Businesses: licences, operation, bodies; people: life events.
_ENTERPRISE_WORDS = re.compile(
    r"企业|公司|经营|许可证|营业|单位|机构|场所|合作社|工程|建设项目|建设工程|生产|法人|商户|个体工商户|"
    r"出版物|广告|招标|投标|施工|运输证|道路运输|危险|排污|开发|项目|学校|医院|诊所|演出|网吧|旅馆|商品房|"
    r"股权|社会团体|社会组织|民办非企业|基金会|发票|税收|纳税人|计量|宣传品|定点医药|银税|商标|矿山|排放|卫生许可|"
    r"特种设备|供水|用人单位"
)
_PERSON_WORDS = re.compile(
    r"个人|居民|户口|户籍|身份证|护照|婚|出生|死亡|驾驶证|驾驶员|教师|学生|学籍|儿童|少年|老年|残疾|退休|养老|"
    r"医保|医疗保险|社会保障卡|职工|毕业生|农村|困难|补贴|救助|优抚|退役|军人|个体|公民|自然人|家庭|子女|"
    r"独生子女|计划生育|低保|特困|就业|失业|职业资格|执业|从业人员|居住证|公积金"
)
_LETTER_CODE = re.compile(r"^([A-Z0-9]{1,2}-\d+-\d+)")


@dataclass
class ImportSummary:
    """What one import run found and changed."""

    departments: int = 0
    departments_created: int = 0
    departments_updated: int = 0
    items_created: int = 0
    items_updated: int = 0
    implementations_created: int = 0
    implementations_updated: int = 0
    implementations_total: int = 0
    changed_item_ids: list[int] = field(default_factory=list, repr=False)

    @property
    def changed(self) -> bool:
        return any(
            (
                self.departments_created,
                self.departments_updated,
                self.items_created,
                self.items_updated,
                self.implementations_created,
                self.implementations_updated,
            )
        )


@cache
def _load_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def load_items() -> list[dict[str, str]]:
    return _load_json(ITEMS_FILE)["items"]


def synthetic_credit_code(*, seed: str, region_code: str) -> str:
    """A deterministic, valid unified social credit code of a government body (authority 1, kind 1)."""
    digits = int(hashlib.sha256(seed.encode("utf-8")).hexdigest(), 16) % 10**9
    body = f"11{region_code[:6]}{digits:09d}"
    return body + credit_code_check_character(body)


def item_code_of(implementation_code: str) -> str:
    """The item code inside an implementation code: the part before the region code."""
    marker = f"-{COUNTY_CODE}-"
    if marker in implementation_code:
        return implementation_code.split(marker, 1)[0]
    letter_code = _LETTER_CODE.match(implementation_code)
    return letter_code.group(1) if letter_code else implementation_code.split("-", 1)[0]


def credit_code_in(implementation_code: str) -> str:
    """The implementing body's credit code in an implementation code (fourth field after the item code)."""
    rest = implementation_code[len(item_code_of(implementation_code)) :].strip("-").split("-")
    return rest[2] if len(rest) > 2 else ""


def guess_audiences(name: str) -> list[str]:
    """Who an item serves, guessed from its name: enterprises, people, or both."""
    audiences = []
    if _PERSON_WORDS.search(name) or not _ENTERPRISE_WORDS.search(name):
        audiences.append(Audience.PERSON.value)
    if _ENTERPRISE_WORDS.search(name):
        audiences.append(Audience.ENTERPRISE.value)
    return audiences


def _department_codes(items: list[dict[str, str]]) -> dict[str, str]:
    """For each department of the data: its most common valid credit code, each code used once."""
    found: dict[str, Counter[str]] = defaultdict(Counter)
    for item in items:
        candidate = credit_code_in(item["itemCode"]).upper()
        if is_valid_credit_code(candidate):
            found[item["department"]][normalize_credit_code(candidate)] += 1
    codes: dict[str, str] = {}
    for department in sorted({item["department"] for item in items}):
        used = set(codes.values())
        candidates = [code for code, _count in found[department].most_common() if code not in used]
        codes[department] = (
            candidates[0] if candidates else synthetic_credit_code(seed=department, region_code=COUNTY_CODE)
        )
    return codes


def _department_unchanged(department: Department | None, values: dict[str, Any]) -> bool:
    if department is None:
        return False
    parent_id = values["parent"].pk if values["parent"] else None
    return (
        department.name,
        department.short_name,
        department.region_id,
        department.parent_id,
        department.phone,
        department.address,
    ) == (
        values["name"],
        values["short_name"],
        values["region_code"],
        parent_id,
        values["phone"],
        values["address"],
    )


@transaction.atomic
def ensure_demo_departments(*, summary: ImportSummary | None = None) -> dict[str, Department]:
    """Create the province → city → county departments of the demo; return them by short and full name."""
    summary = summary if summary is not None else ImportSummary()
    county_codes = _department_codes(load_items())
    existing = {department.credit_code: department for department in Department.objects.all()}
    by_name: dict[str, Department] = {}
    for entry in _load_json(DEPARTMENTS_FILE)["departments"]:
        credit_code = county_codes.get(entry["short_name"]) or synthetic_credit_code(
            seed=entry["name"], region_code=entry["region_code"]
        )
        values = {
            **{key: entry[key] for key in ("name", "short_name", "region_code", "phone", "address")},
            "parent": by_name.get(entry["parent"]) if entry["parent"] else None,
        }
        department = existing.get(credit_code)
        if not _department_unchanged(department, values):
            summary.departments_created += department is None
            summary.departments_updated += department is not None
            department = upsert_department(credit_code=credit_code, **values)
        by_name[entry["name"]] = by_name[entry["short_name"]] = department
    summary.departments = len(_load_json(DEPARTMENTS_FILE)["departments"])
    missing = sorted(set(county_codes) - set(by_name))
    if missing:
        raise LookupError(f"departments.json lacks departments of the data: {missing}")
    return by_name


def _planned_items(items: list[dict[str, str]], departments: dict[str, Department]) -> dict[str, dict]:
    """Item code → field values: one basic item per basic catalog entry, one sub-item per real item."""
    planned: dict[str, dict] = {}
    groups: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        code = item_code_of(item["itemCode"])
        while code in planned:  # a few codes repeat across departments: keep each item distinct
            code += "-X"
        item["_item_code"] = code
        planned[code] = {
            "name": item["name"],
            "kind": ItemKind.SUB,
            "item_type": int(item["taskType"]),
            "exercise_level": ExerciseLevel.COUNTY,
            "parent_code": None,
            "competent_department": departments[item["department"]].name,
            "audiences": guess_audiences(item["name"]),
        }
        if item["main_item"] != UNCLASSIFIED:
            groups[item["main_item"]].append(planned[code])
    for name, subs in groups.items():
        basic_code = "BASIC-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:10].upper()
        for sub in subs:
            sub["parent_code"] = basic_code
        planned[basic_code] = {
            "name": name,
            "kind": ItemKind.BASIC,
            "exercise_level": ExerciseLevel.COUNTY,
            "parent_code": None,
            "item_type": Counter(sub["item_type"] for sub in subs).most_common(1)[0][0],
            "competent_department": Counter(sub["competent_department"] for sub in subs).most_common(1)[0][0],
            "audiences": sorted(
                {audience for sub in subs for audience in sub["audiences"]},
                key=[Audience.PERSON, Audience.ENTERPRISE].index,
            ),
        }
    return planned


_ITEM_FIELDS = ("name", "kind", "item_type", "exercise_level", "competent_department")


def _sync_items(planned: dict[str, dict], summary: ImportSummary) -> dict[str, ServiceItem]:
    existing = {item.code: item for item in ServiceItem.objects.filter(code__in=planned)}
    new = [
        ServiceItem(code=code, **{key: values[key] for key in (*_ITEM_FIELDS, "audiences")})
        for code, values in planned.items()
        if code not in existing
    ]
    ServiceItem.objects.bulk_create(new, batch_size=500)
    summary.items_created = len(new)
    items = {item.code: item for item in ServiceItem.objects.filter(code__in=planned)}
    changed = []
    for code, values in planned.items():
        item = items[code]
        parent_id = items[values["parent_code"]].pk if values["parent_code"] else None
        wanted = (*(values[key] for key in _ITEM_FIELDS), parent_id)
        if (*(getattr(item, key) for key in _ITEM_FIELDS), item.parent_id) != wanted:
            for key in _ITEM_FIELDS:
                setattr(item, key, values[key])
            item.parent_id = parent_id
            changed.append(item)
    ServiceItem.objects.bulk_update(changed, [*_ITEM_FIELDS, "parent"], batch_size=500)
    summary.items_updated = sum(item.code in existing for item in changed)
    summary.changed_item_ids = [item.pk for item in changed if item.code in existing]
    return items


def _sync_implementations(
    rows: list[dict[str, str]],
    items: dict[str, ServiceItem],
    departments: dict[str, Department],
    summary: ImportSummary,
) -> list[int]:
    existing = {
        impl.code: impl for impl in Implementation.objects.filter(code__in=[r["itemCode"] for r in rows])
    }
    new, changed = [], []
    for row in rows:
        wanted = {
            "item_id": items[row["_item_code"]].pk,
            "name": row["name"],
            "region_id": COUNTY_CODE,
            "department_id": departments[row["department"]].pk,
        }
        implementation = existing.get(row["itemCode"])
        if implementation is None:
            new.append(Implementation(code=row["itemCode"], **wanted))
        elif any(getattr(implementation, key) != value for key, value in wanted.items()):
            for key, value in wanted.items():
                setattr(implementation, key, value)
            changed.append(implementation)
    Implementation.objects.bulk_create(new, batch_size=500)
    Implementation.objects.bulk_update(changed, ["item", "name", "region", "department"], batch_size=500)
    summary.implementations_created, summary.implementations_updated = len(new), len(changed)
    summary.implementations_total = len(rows)
    codes = [impl.code for impl in (*new, *changed)]
    return list(Implementation.objects.filter(code__in=codes).values_list("pk", flat=True))


@transaction.atomic
def import_real_items() -> ImportSummary:
    """Import the real items of 广安区: departments, basic and sub items, and one implementation each."""
    summary = ImportSummary()
    departments = ensure_demo_departments(summary=summary)
    rows = [dict(row) for row in load_items()]
    items = _sync_items(_planned_items(rows, departments), summary)
    touched = _sync_implementations(rows, items, departments, summary)
    # An item renamed or moved changes the search documents of its implementations too.
    touched += Implementation.objects.filter(item_id__in=summary.changed_item_ids).values_list(
        "pk", flat=True
    )
    if touched:
        recompute_completeness(implementation_ids=touched)
        announce_catalog_change(implementation_ids=touched)
    return summary
