"""A county's three years of online applications on the PostgreSQL bench database: 1,000,000 cases with tasks.

    .venv/bin/python bench/applications_data.py [--cases 1000000] [--seed 20261206] [--force]

Runs on the applications bench database (``applications_bench.PG_URL``: the demo data set first, once).
Everything is synthetic:

- holders: ``--holders`` (default 300,000) citizens of 广安市 from Faker zh_CN (names, phones; resident ID
  numbers of the city's six counties with valid check digits, checked with ``core.identifiers``), as
  accounts (``identity_user``, no usable password, levels 2–4). ``HEAVY_APPLICANTS`` of them have exactly
  ``HEAVY_CASES`` (50) cases each: the applicants whose list the benchmark opens; the rest of the cases
  go to the others long-tailed (holder = ⌊N·u^1.5⌋: most apply once or twice, the busiest ~200 times);
- what is applied for: the demo catalog's active implementations of 广安区, departments Zipf-weighted
  (s = 0.9; the departments that have demo staff are the busiest), implementations with an online form
  five times as likely; 40 % handled at the county's centre, 60 % at its towns' (the case's region);
- when: submission times over three years up to yesterday, growing 40 % a year, working hours mostly;
  case numbers in the documented format (region, day, serial, check character), serials per region and
  day, so they never meet numbers handed out today;
- status by age: older than 60 days closed (approved 88 %, refused 3 %, not accepted 4 %, withdrawn 5 %);
  younger ones open with a probability falling with age (submitted 35 %, accepted 50 %, supplement 8 %,
  suspended 7 %). Limits 5–20 working days, the statutory twice the promised, planned dates counted in
  calendar days (×7/5; the generator does not read the holiday calendar);
- tasks (``CaseTask``, the queue's projection): a closed case has its completed accept / review / decide
  tasks (one for a case not accepted or withdrawn); an open one its completed ones and one ready task
  (accept for the window clerk, review or decide for the approver; 2 % escalations for the supervisor),
  due on the planned date. About 2.9 tasks a case.

Not generated (the list and the queue do not read them): materials, timeline rows, audit entries, outbox
events, workflow state (``state_json`` is empty: these cases cannot be acted on through the workflow).
Rows go in with ``COPY`` (psycopg), ids assigned here and the sequences moved past them, then ANALYZE.
A second run finds the cases and does nothing (``--force`` adds another batch).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

HEAVY_APPLICANTS = 1000
HEAVY_CASES = 50
HOLDER_PREFIX = "bench_holder_"
CITY_COUNTIES = ["511602", "511603", "511621", "511622", "511623", "511681"]
COUNTY = "511602000000"
YEARS = 3
CLOSED_SPLIT = [("approved", 0.88), ("refused", 0.03), ("not_accepted", 0.04), ("withdrawn", 0.05)]
CASE_COLUMNS = [
    "id",
    "number",
    "query_code_hash",
    "implementation_id",
    "department_id",
    "region_id",
    "applicant_id",
    "applicant_kind",
    "holder_code",
    "holder_name",
    "channel",
    "status",
    "submitted_at",
    "accepted_at",
    "decided_at",
    "closed_at",
    "promised_limit_days",
    "statutory_limit_days",
    "promised_due",
    "statutory_due",
    "decision",
    "created_at",
    "updated_at",
    "revision",
]
TASK_COLUMNS = [
    "id",
    "case_id",
    "task_id",
    "bpmn_id",
    "name",
    "role",
    "department_id",
    "region_id",
    "state",
    "due_on",
    "is_escalation",
    "created_at",
    "completed_at",
]
OPEN_SPLIT = [("submitted", 0.35), ("accepted", 0.50), ("supplement", 0.08), ("suspended", 0.07)]


def _pick(rng: random.Random, split: list[tuple[str, float]]) -> str:
    roll, total = rng.random(), 0.0
    for value, share in split:
        total += share
        if roll < total:
            return value
    return split[-1][0]


class Copier:
    """COPY rows of a Django model: given columns per row, every other column its field's default."""

    def __init__(self, model, columns: list[str]) -> None:
        from django.db.models import NOT_PROVIDED

        self.model = model
        self.columns = columns
        self.constants: dict[str, Any] = {}
        for field in model._meta.concrete_fields:
            if field.column in columns or field.primary_key:
                continue
            if field.has_default():
                value = field.get_default()
            elif field.null:
                value = None
            elif (
                field.default is NOT_PROVIDED
                and field.blank
                and field.get_internal_type()
                in (
                    "CharField",
                    "TextField",
                    "FileField",
                )
            ):
                value = ""
            else:
                raise ValueError(f"{model.__name__}.{field.name} needs a value")
            if isinstance(value, dict | list):
                value = json.dumps(value)
            self.constants[field.column] = value
        self.all_columns = columns + list(self.constants)
        self.tail = tuple(self.constants.values())

    def copy(self, cursor, rows) -> int:
        table = self.model._meta.db_table
        names = ", ".join(f'"{name}"' for name in self.all_columns)
        count = 0
        with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row + self.tail)
                count += 1
        return count


def _reserve_ids(cursor, table: str, count: int) -> int:
    """Move the table's id sequence past ``count`` new ids in one statement; return the first of them
    (inserts running meanwhile, a benchmark's submissions, take ids after the reserved range)."""
    sequence = f"pg_get_serial_sequence('\"{table}\"', 'id')"
    cursor.execute(
        f'SELECT setval({sequence}, GREATEST((SELECT COALESCE(MAX(id), 0) FROM "{table}"), '  # noqa: S608
        f"(SELECT nextval({sequence}))) + %s)",
        [count],
    )
    return cursor.fetchone()[0] - count + 1


# Holders ---------------------------------------------------------------------------------------------


def _holders(rng: random.Random, count: int) -> list[tuple[str, str, str, str, int]]:
    """(id_number, surname, given name, phone, assurance level) of ``count`` distinct synthetic citizens."""
    from faker import Faker

    from yiwang.core.identifiers import is_valid_resident_id
    from yiwang.identity.models import User

    fake = Faker("zh_CN")
    fake.seed_instance(rng.randrange(2**31))
    taken = set(User.objects.exclude(id_number=None).values_list("id_number", flat=True))
    people = []
    while len(people) < count:
        county = CITY_COUNTIES[0] if rng.random() < 0.45 else rng.choice(CITY_COUNTIES[1:])
        number = fake.ssn(min_age=18, max_age=85, area_code=county)
        if number in taken:
            continue
        taken.add(number)
        name = fake.name()
        split = 2 if len(name) > 3 else 1
        level = 4 if rng.random() < 0.3 else 3 if rng.random() < 0.8 else 2
        people.append((number, name[:split], name[split:], fake.phone_number(), level))
    bad = [person[0] for person in people[:1000] if not is_valid_resident_id(person[0])]
    if bad:
        raise ValueError(f"Faker gave invalid resident ID numbers, e.g. {bad[:3]}")
    return people


def _copy_holders(cursor, people, now: dt.datetime) -> list[int]:
    from yiwang.identity.models import User

    copier = Copier(
        User,
        [
            "id",
            "password",
            "username",
            "id_number",
            "surname",
            "given_name",
            "phone",
            "phone_verified_at",
            "assurance_level",
            "assurance_verified_at",
            "date_joined",
            "public_id",
        ],
    )
    first = _reserve_ids(cursor, User._meta.db_table, len(people))
    import uuid

    rows = (
        (
            first + i,
            "!bench",
            f"{HOLDER_PREFIX}{first + i}",  # the account's id: unique
            number,
            surname,
            given,
            phone,
            now if level >= 3 else None,
            level,
            now if level >= 3 else None,
            now,
            uuid.uuid4(),
        )
        for i, (number, surname, given, phone, level) in enumerate(people)
    )
    copier.copy(cursor, rows)
    return list(range(first, first + len(people)))


# What is applied for ---------------------------------------------------------------------------------


def _targets(rng: random.Random) -> tuple[list[tuple[int, int, str]], list[float], list[str]]:
    """(implementation, department, region) choices with their weights, and the county's town codes."""
    from yiwang.applications.models import ApplicationForm
    from yiwang.catalog.models import Implementation
    from yiwang.identity.models import StaffAssignment
    from yiwang.regions.models import Region

    implementations = list(
        Implementation.objects.filter(is_active=True, item__is_active=True, region_id=COUNTY)
        .order_by("pk")
        .values_list("pk", "department_id", "region_id")
    )
    with_forms = set(ApplicationForm.objects.values_list("implementation_id", flat=True))
    staffed = set(StaffAssignment.objects.values_list("department_id", flat=True))
    by_department: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    for row in implementations:
        by_department[row[1]].append(row)
    departments = sorted(by_department, key=lambda pk: (pk not in staffed, rng.random()))
    choices, weights = [], []
    for rank, department in enumerate(departments, start=1):
        rows = by_department[department]
        inner = [5.0 if row[0] in with_forms else 1.0 for row in rows]
        share = 1 / rank**0.9
        for row, weight in zip(rows, inner, strict=True):
            choices.append(row)
            weights.append(share * weight / sum(inner))
    towns = list(
        Region.objects.filter(code__startswith=COUNTY[:6], parent_id=COUNTY)
        .order_by("code")
        .values_list("code", flat=True)
    )
    return choices, weights, towns


def _moments(rng: random.Random, count: int, today: dt.date) -> list[dt.datetime]:
    """Submission instants over YEARS years up to yesterday, volume growing 40 % a year, office hours."""
    from django.utils import timezone

    days = YEARS * 365
    growth = math.log(1.4) / 365
    weights = [math.exp(growth * (days - back)) for back in range(1, days + 1)]  # back = days ago
    backs = rng.choices(range(1, days + 1), weights=weights, k=count)
    zone = timezone.get_default_timezone()
    moments = []
    for back in backs:
        day = today - dt.timedelta(days=back)
        if day.weekday() >= 5 and rng.random() < 0.7:  # fewer at weekends (online only)
            day -= dt.timedelta(days=day.weekday() - 4)
        hour = rng.choice([8, 9, 9, 10, 10, 10, 11, 11, 14, 14, 15, 15, 16, 16, 17, 20, 21, 22])
        moment = dt.datetime.combine(day, dt.time(hour, rng.randrange(60), rng.randrange(60)))
        moments.append(moment.replace(tzinfo=zone))
    moments.sort()
    return moments


def _open_probability(age_days: int) -> float:
    if age_days < 5:
        return 0.7
    if age_days < 20:
        return 0.4
    if age_days < 60:
        return 0.1
    return 0.0


def _calendar_due(start: dt.date, working_days: int) -> dt.date:
    return start + dt.timedelta(days=math.ceil(working_days * 7 / 5))


def generate(*, cases: int, seed: int, holders: int) -> dict[str, Any]:
    from django.db import connection
    from django.utils import timezone

    from yiwang.applications.models import Case, CaseTask
    from yiwang.applications.services.numbers import format_case_number, hash_query_code

    rng = random.Random(seed + Case.objects.count())  # a second batch draws other holders
    started = time.perf_counter()
    now = timezone.now()
    today = timezone.localdate()
    choices, weights, towns = _targets(rng)
    people = _holders(rng, holders)
    holders_seconds = time.perf_counter() - started
    query_code_hash = hash_query_code("BENCH234")
    heavy_count = min(HEAVY_APPLICANTS, holders // 10, cases // (HEAVY_CASES * 4))
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # psycopg's own cursor: COPY
        user_ids = _copy_holders(cursor, people, now)
        heavy, others = user_ids[:heavy_count], user_ids[heavy_count:]
        owners = [user for user in heavy for _ in range(HEAVY_CASES)]
        owners += [others[int(len(others) * rng.random() ** 1.5)] for _ in range(cases - len(owners))]
        rng.shuffle(owners)
        id_numbers = dict(zip(user_ids, (person[0] for person in people), strict=True))
        names = dict(zip(user_ids, (person[1] + person[2] for person in people), strict=True))
        moments = _moments(rng, cases, today)
        targets = rng.choices(choices, weights=weights, k=cases)
        first_case = _reserve_ids(cursor, Case._meta.db_table, cases)
        first_task = _reserve_ids(cursor, CaseTask._meta.db_table, cases * 4)  # ≤ 4 tasks a case
        serials: dict[tuple[str, dt.date], int] = defaultdict(int)
        cursor.execute(  # an earlier batch's serials go on (the number is region, day, serial, check)
            "SELECT left(number, 12), substr(number, 13, 8), MAX(substr(number, 21, 6)::int) "
            "FROM applications_case GROUP BY 1, 2"
        )
        for region_code, day_text, last in cursor.fetchall():
            serials[(region_code, dt.datetime.strptime(day_text, "%Y%m%d").date())] = last
        case_rows, task_rows = [], []
        statuses: dict[str, int] = defaultdict(int)
        task_id = first_task
        for i in range(cases):
            pk = first_case + i
            implementation, department, county = targets[i]
            region = rng.choice(towns) if towns and rng.random() < 0.6 else county
            submitted_at = moments[i]
            day = timezone.localtime(submitted_at).date()
            serials[(region, day)] += 1
            number = format_case_number(region_code=region, day=day, serial=serials[(region, day)])
            age = (today - day).days
            is_open = rng.random() < _open_probability(age)
            status = _pick(rng, OPEN_SPLIT) if is_open else _pick(rng, CLOSED_SPLIT)
            statuses[status] += 1
            promised = rng.choice([5, 5, 7, 10, 10, 15, 20])
            accepted_at = None
            if status not in ("submitted", "not_accepted") and not (
                status == "withdrawn" and rng.random() < 0.5
            ):
                accepted_at = submitted_at + dt.timedelta(hours=rng.choice([1, 2, 4, 20, 26, 50]))
            start = timezone.localtime(accepted_at).date() if accepted_at else None
            promised_due = _calendar_due(start, promised) if start else None
            statutory_due = _calendar_due(start, promised * 2) if start else None
            closed_at = None
            if not is_open:
                span = dt.timedelta(days=rng.uniform(0.2, promised * 1.2), hours=rng.randrange(8))
                closed_at = (accepted_at or submitted_at) + span
            decided_at = closed_at if status in ("approved", "refused") else None
            decision = {"approved": "approve", "refused": "refuse"}.get(status, "")
            applicant = owners[i]
            case_rows.append(
                (
                    pk,
                    number,
                    query_code_hash,
                    implementation,
                    department,
                    region,
                    applicant,
                    "person",
                    id_numbers[applicant],
                    names[applicant],
                    "online" if rng.random() < 0.7 else "window",
                    status,
                    submitted_at,
                    accepted_at,
                    decided_at,
                    closed_at,
                    promised if accepted_at else None,
                    promised * 2 if accepted_at else None,
                    promised_due,
                    statutory_due,
                    decision,
                    submitted_at,
                    closed_at or accepted_at or submitted_at,
                    1 + (accepted_at is not None) + (closed_at is not None),
                )
            )
            # The tasks: completed ones behind, at most one ready ahead.
            steps: list[tuple[str, str, str, str]] = []  # (bpmn id, name, role, state)
            if status == "submitted":
                steps = [("accept", "受理", "window_clerk", "ready")]
            elif status in ("not_accepted", "withdrawn") and accepted_at is None:
                steps = [
                    (
                        "accept",
                        "受理",
                        "window_clerk",
                        "completed" if status == "not_accepted" else "cancelled",
                    )
                ]
            else:
                steps = [("accept", "受理", "window_clerk", "completed")]
                if is_open:
                    ahead = "review" if rng.random() < 0.6 else "decide"
                    if ahead == "decide":
                        steps.append(("review", "审查", "approver", "completed"))
                    steps.append((ahead, "审查" if ahead == "review" else "决定", "approver", "ready"))
                    if rng.random() < 0.02:
                        steps.append(("escalate", "督办", "supervisor", "ready"))
                elif status == "withdrawn":
                    steps.append(("review", "审查", "approver", "cancelled"))
                else:
                    steps += [
                        ("review", "审查", "approver", "completed"),
                        ("decide", "决定", "approver", "completed"),
                    ]
            for n, (bpmn_id, name, role, state) in enumerate(steps):
                due = _calendar_due(day, 5) if bpmn_id == "accept" else promised_due
                done = closed_at if state != "ready" and n == len(steps) - 1 else accepted_at
                task_rows.append(
                    (
                        task_id,
                        pk,
                        f"{bpmn_id}-{pk}",
                        bpmn_id,
                        name,
                        role,
                        department,
                        region,
                        state,
                        due,
                        bpmn_id == "escalate",
                        submitted_at,
                        done if state != "ready" else None,
                    )
                )
                task_id += 1
        build_seconds = time.perf_counter() - started
        copied = Copier(Case, CASE_COLUMNS).copy(cursor, case_rows)
        del case_rows
        cases_seconds = time.perf_counter() - started
        tasks = Copier(CaseTask, TASK_COLUMNS).copy(cursor, task_rows)
    with connection.cursor() as cursor:
        for model in ("identity_user", Case._meta.db_table, CaseTask._meta.db_table):
            cursor.execute(f'ANALYZE "{model}"')
    return {
        "cases": copied,
        "tasks": tasks,
        "holders": len(people),
        "heavy_applicants": heavy_count,
        "statuses": dict(sorted(statuses.items())),
        "ready_tasks": sum(1 for row in task_rows if row[8] == "ready"),
        "holders_seconds": round(holders_seconds, 1),
        "build_seconds": round(build_seconds, 1),
        "copy_cases_seconds": round(cases_seconds - build_seconds, 1),
        "total_seconds": round(time.perf_counter() - started, 1),
    }


def ensure_cases(*, cases: int, seed: int = 20261206, holders: int = 300_000, force: bool = False) -> dict:
    """Generate the cases unless the bench database already has that many (Django already set up)."""
    from yiwang.applications.models import Case

    present = Case.objects.count()
    if present >= cases and not force:
        return {"cases_present": present, "generated": False}
    figures = generate(cases=cases if force else cases - present, seed=seed, holders=holders)
    figures.update({"cases_present": Case.objects.count(), "generated": True})
    return figures


def main() -> None:
    import applications_bench

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--holders", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--force", action="store_true")
    arguments = parser.parse_args()
    applications_bench.setup_django("postgres")
    world = applications_bench.ensure_world()
    figures = ensure_cases(
        cases=arguments.cases, seed=arguments.seed, holders=arguments.holders, force=arguments.force
    )
    print(json.dumps({**world, **figures}, ensure_ascii=False))


if __name__ == "__main__":
    main()
