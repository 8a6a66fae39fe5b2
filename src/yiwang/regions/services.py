"""Writes of the regions app: loading the division table and departments."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from pathlib import Path

from django.db import transaction

from yiwang.core.errors import InvalidInput
from yiwang.core.identifiers import normalize_credit_code

from .constants import PSEUDO_REGION_NAMES, RegionLevel
from .models import Department, Region
from .scope import pad_region_code

DATA_DIR = Path(__file__).resolve().parent / "data"
_BATCH = 5000


def _rows(name: str) -> Iterator[dict[str, str]]:
    with gzip.open(DATA_DIR / f"{name}.csv.gz", "rt", encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def _join(parent_full_name: str, name: str) -> str:
    return parent_full_name if name in PSEUDO_REGION_NAMES else parent_full_name + name


@transaction.atomic
def load_regions(*, with_villages: bool = True) -> int:
    """Load all divisions shipped with the platform; rows already present are left alone."""
    existing = set(Region.objects.values_list("code", flat=True))
    full_names: dict[str, str] = dict(Region.objects.values_list("code", "full_name"))
    pending: list[Region] = []
    seen: set[str] = set()
    created = 0

    def add(code: str, name: str, level: RegionLevel, parent_code: str | None) -> None:
        nonlocal created
        code = pad_region_code(code)
        parent = pad_region_code(parent_code) if parent_code else None
        if code in seen:
            # Cities without counties (东莞, 中山, 儋州) appear again as their own county: keep the city.
            return
        seen.add(code)
        full_names[code] = _join(full_names.get(parent, ""), name) if parent else name
        if code in existing:
            return
        pending.append(
            Region(code=code, name=name, level=level, parent_id=parent, full_name=full_names[code])
        )
        created += 1
        if len(pending) >= _BATCH:
            Region.objects.bulk_create(pending)
            pending.clear()

    for row in _rows("provinces"):
        add(row["code"], row["name"], RegionLevel.PROVINCE, None)
    for row in _rows("cities"):
        add(row["code"], row["name"], RegionLevel.CITY, row["provinceCode"])
    for row in _rows("areas"):
        add(row["code"], row["name"], RegionLevel.COUNTY, row["cityCode"])
    for row in _rows("streets"):
        add(row["code"], row["name"], RegionLevel.TOWN, row["areaCode"])
    if with_villages:
        for row in _rows("villages_zhejiang_33"):
            add(row["code"], row["name"], RegionLevel.VILLAGE, row["streetCode"])
    Region.objects.bulk_create(pending)
    return created


@transaction.atomic
def upsert_department(
    *,
    credit_code: str,
    name: str,
    region_code: str,
    parent: Department | None = None,
    short_name: str = "",
    phone: str = "",
    address: str = "",
    description: str = "",
) -> Department:
    """Create or update a department, keyed by its (validated) credit code."""
    credit_code = normalize_credit_code(credit_code)
    if not Region.objects.filter(code=region_code).exists():
        raise InvalidInput(f"行政区划代码 {region_code} 不存在", code="unknown_region")
    department, _ = Department.objects.update_or_create(
        credit_code=credit_code,
        defaults={
            "name": name,
            "region_id": region_code,
            "parent": parent,
            "short_name": short_name,
            "phone": phone,
            "address": address,
            "description": description,
        },
    )
    return department
