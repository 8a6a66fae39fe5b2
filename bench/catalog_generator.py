"""Generate a national-size catalog for the search benchmark: ≥ 1,000,000 implementations in a bench DB.

The 1,135 real items of 广安区 (the catalog app's data copy) are spread over every county of China
(~340 items per county, a seeded random choice each), each county with its own departments named after
it. Rows go straight into a separate SQLite database under var/bench/ with executemany (no ORM objects),
so the search index can then be built from the database the way production builds it.

    .venv/bin/python bench/catalog_generator.py [--implementations N] [--force]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_VAR_DIR = Path(os.environ.get("YIWANG_BENCH_DIR", ROOT / "var" / "bench"))
ITEMS_FILE = ROOT / "src/yiwang/catalog/data/service_items/sichuan_guangan_district_items_v-luobo-zwfw.json"
DEFAULT_IMPLEMENTATIONS = 1_000_000
BATCH = 20_000
AUDIENCE_CHOICES = (
    ["person"],
    ["person"],
    ["person"],
    ["enterprise"],
    ["enterprise"],
    ["person", "enterprise"],
)


def setup_django() -> None:
    """Point Django at the bench database and index under var/bench/ (never the developer's own)."""
    BENCH_VAR_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["YIWANG_VAR_DIR"] = str(BENCH_VAR_DIR)
    os.environ["DATABASE_URL"] = f"sqlite:///{BENCH_VAR_DIR / 'yiwang.sqlite3'}"
    os.environ["YIWANG_SEARCH_INDEX_DIR"] = str(BENCH_VAR_DIR / "search-index")
    os.environ["DJANGO_SETTINGS_MODULE"] = "yiwang.settings.base"
    os.environ.setdefault("YIWANG_LOG_LEVEL", "WARNING")
    if str(ROOT / "src") not in sys.path:
        sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def _constant_columns(model, variable: list[str]) -> tuple[list[str], tuple]:
    """Columns the generator does not vary, with their defaults already in database form."""
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.column in variable:
            continue
        if field.column in {"created_at", "updated_at"}:
            value = now
        elif field.has_default():
            value = field.get_default()
        elif field.null:
            value = None
        else:
            value = "" if field.get_internal_type() in {"CharField", "TextField", "SlugField"} else 0
        columns.append(field.column)
        values.append(field.get_db_prep_save(value, connection))
    return columns, tuple(values)


def _insert(model, variable: list[str], rows) -> int:
    """executemany straight into the table: ``rows`` yield tuples of the ``variable`` columns."""
    from django.db import connection

    constant_columns, constants = _constant_columns(model, variable)
    columns = variable + constant_columns
    # Table and column names come from the model and are quoted; every value is a bound parameter.
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} "  # noqa: S608
        f"({', '.join(connection.ops.quote_name(column) for column in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    count, batch = 0, []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(row + constants)
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def _load_items() -> list[dict]:
    return json.loads(ITEMS_FILE.read_text(encoding="utf-8"))["items"]


def _department_suffix(short_name: str) -> str:
    """区行政审批局 → 行政审批局; 广安区税务局 → 税务局 (the county's name goes in front)."""
    for prefix in ("广安区", "区"):
        if short_name.startswith(prefix):
            return short_name[len(prefix) :]
    return short_name


def _create_items(items: list[dict]) -> dict[int, int]:
    from yiwang.catalog.models import ServiceItem

    rows = (
        (
            f"B{index:04d}-{item['itemCode'].split('-')[0]}",
            item["name"],
            int(item["taskType"]),
            json.dumps(AUDIENCE_CHOICES[index % len(AUDIENCE_CHOICES)]),
            item["department"],
        )
        for index, item in enumerate(items)
    )
    _insert(ServiceItem, ["code", "name", "item_type", "audiences", "competent_department"], rows)
    ids = dict(ServiceItem.objects.filter(code__startswith="B").values_list("code", "pk"))
    return {index: ids[f"B{index:04d}-{item['itemCode'].split('-')[0]}"] for index, item in enumerate(items)}


def _credit_code(region_code: str, number: int) -> str:
    from yiwang.core.identifiers import credit_code_check_character

    body = f"11{region_code[:6]}{number:09d}"
    return body + credit_code_check_character(body)


def _create_departments(counties: list[tuple[str, str]], suffixes: list[str]) -> None:
    from yiwang.regions.models import Department

    rows = (
        (_credit_code(code, number), f"{name}{suffix}", suffix, code)
        for code, name in counties
        for number, suffix in enumerate(suffixes, start=1)
    )
    _insert(Department, ["credit_code", "name", "short_name", "region_id"], rows)


def _implementation_rows(items, item_ids, counties, departments, per_county: int, seed: int):
    for county_code, _county_name in counties:
        chooser = random.Random(f"{seed}-{county_code}")
        for index in sorted(chooser.sample(range(len(items)), per_county)):
            item = items[index]
            department_id, credit_code = departments[(county_code, _department_suffix(item["department"]))]
            views = min(int(chooser.paretovariate(1.1)) - 1, 100_000)
            yield (
                f"B{index:04d}-{county_code}-000-{credit_code}-1-00",
                item_ids[index],
                item["name"],
                county_code,
                department_id,
                chooser.choice((1, 2, 3, 3, 4, 4)),
                chooser.choice((0, 0, 1, 1, 2)),
                views,
            )


def generate(*, implementations: int = DEFAULT_IMPLEMENTATIONS, seed: int = 2025) -> dict:
    from django.db import transaction
    from django.db.models import Q

    from yiwang.catalog.models import Implementation
    from yiwang.regions.constants import RegionLevel
    from yiwang.regions.models import Department, Region
    from yiwang.regions.services import load_regions

    started = time.perf_counter()
    if not Region.objects.exists():
        load_regions(with_villages=False)
    # Every county, and the three cities without counties (东莞, 中山, 儋州) that stand in for one.
    with_counties = set(Region.objects.filter(level=RegionLevel.COUNTY).values_list("parent_id", flat=True))
    counties = list(
        Region.objects.filter(Q(level=RegionLevel.COUNTY) | Q(level=RegionLevel.CITY, children__isnull=False))
        .exclude(level=RegionLevel.CITY, code__in=with_counties)
        .order_by("code")
        .values_list("code", "name")
        .distinct()
    )
    items = _load_items()
    per_county = min(len(items), math.ceil(implementations / len(counties)))
    suffixes = sorted({_department_suffix(item["department"]) for item in items})
    with transaction.atomic():
        item_ids = _create_items(items)
        _create_departments(counties, suffixes)
        departments = {
            (region, short): (pk, credit)
            for pk, region, short, credit in Department.objects.values_list(
                "pk", "region_id", "short_name", "credit_code"
            )
        }
        count = _insert(
            Implementation,
            ["code", "item_id", "name", "region_id", "department_id", "online_depth", "visits", "view_count"],
            _implementation_rows(items, item_ids, counties, departments, per_county, seed),
        )
    return {
        "implementations": count,
        "items": len(items),
        "counties": len(counties),
        "per_county": per_county,
        "departments": len(departments),
        "generate_seconds": round(time.perf_counter() - started, 1),
        "database": str(BENCH_VAR_DIR / "yiwang.sqlite3"),
    }


def main(*, implementations: int = DEFAULT_IMPLEMENTATIONS, force: bool = False) -> dict:
    """Generate the bench catalog unless one of that size exists; return its figures."""
    database = BENCH_VAR_DIR / "yiwang.sqlite3"
    if force and database.exists():
        for path in BENCH_VAR_DIR.glob("yiwang.sqlite3*"):
            path.unlink()
    os.nice(5)  # other engineers share the cores
    setup_django()
    from django.core.management import call_command

    from yiwang.catalog.models import Implementation

    call_command("migrate", verbosity=0)
    existing = Implementation.objects.count()
    if existing >= implementations:
        return {"implementations": existing, "reused": True, "database": str(database)}
    if existing:
        raise SystemExit(f"{database} holds {existing} implementations, fewer than asked: use --force")
    return generate(implementations=implementations)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--implementations", type=int, default=DEFAULT_IMPLEMENTATIONS)
    parser.add_argument("--force", action="store_true", help="drop the bench database first")
    arguments = parser.parse_args()
    for key, value in main(implementations=arguments.implementations, force=arguments.force).items():
        print(f"{key}: {value}")
