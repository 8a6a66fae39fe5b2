"""我的空间 (/me/) for a person with 1,000 cases and 1,000 licenses, on PostgreSQL: p50/p99 in-process and
over HTTP beside the bare endpoint of the same server.

    .venv/bin/python bench/personal_space.py [--seconds 10] [--samples 200] [--rebuild]

A database of its own (``YIWANG_BENCH_PERSONAL_SPACE_DATABASE_URL``, default
postgres://postgres@127.0.0.1:5432/yiwang_bench_personal_space), created, migrated and filled on the first
run (about a minute): the regions, 12 departments and 40 implementations of 广安区, and, all synthetic
(Faker zh_CN names; resident ID numbers and credit codes with valid check characters from
``core.identifiers``), inserted with ``bulk_create``:

- the person (level 3): 1,000 cases of their own over three years (older than 60 days closed — approved
  88 %, refused, not accepted, withdrawn —, younger ones open: submitted, accepted, supplement,
  suspended), 1,000 signed licenses (``licenses.services.issue_in_bulk``, the import's path), 300 vault
  items, an enterprise they represent with 200 cases, 100 licenses and 50 vault items, evaluation
  invitations for the cases closed in the last 30 days (a third of them rated), mandates given and
  received, 10 favourites and 8 recently viewed guides in the session;
- 2,000 other people with 20 cases and 5 licenses each (the indexes have others' rows to skip).

Then: each page (/me/, /me/vault, /me/enterprises/<code>) through Django's test client ``--samples`` times
(p50, p99, SQL queries), and over HTTP (granian as ``make serve`` runs it, 2 workers × 2 threads; wrk with
the person's session cookie, one connection for latency, 8 for throughput, ``--seconds`` each) beside
``/api/v1/health``. Target (ours, the issue gives none): p99 ≤ 200 ms over HTTP on one connection, as for
the dashboards. The last line printed is JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))

PG_URL = os.environ.get(
    "YIWANG_BENCH_PERSONAL_SPACE_DATABASE_URL",
    "postgres://postgres@127.0.0.1:5432/yiwang_bench_personal_space",
)
VAR = ROOT / "var" / "bench-personal-space"
TARGET_P99_MS = 200
PERSON = "bench_me_person"
PERSON_CASES = 1000
PERSON_LICENSES = 1000
ENTERPRISE_CASES = 200
ENTERPRISE_LICENSES = 100
OTHERS = 2000
OTHER_CASES = 20
OTHER_LICENSES = 5
COUNTY = "511602"
SEED = 20261206


def _percentiles(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 2),
    }


# The data --------------------------------------------------------------------------------------------


def _id_number(rng: random.Random, serial: int) -> str:
    from yiwang.core.identifiers import resident_id_check_digit

    birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 55))
    body = f"{COUNTY}{birth:%Y%m%d}{serial % 1000:03d}"
    return body + resident_id_check_digit(body)


def _credit_code(serial: int) -> str:
    from yiwang.core.identifiers import credit_code_check_character

    body = f"91{COUNTY}{serial % 10**9:09d}"
    return body + credit_code_check_character(body)


def _case_number(region_code: str, day: dt.date, serial: int) -> str:
    from stdnum.iso7064 import mod_11_2

    body = f"{region_code}{day:%Y%m%d}{serial % 10**6:06d}"
    return body + mod_11_2.calc_check_digit(body)


def _status(rng: random.Random, age_days: int) -> str:
    if age_days > 60:
        roll = rng.random()
        return (
            "approved"
            if roll < 0.88
            else "refused"
            if roll < 0.91
            else "not_accepted"
            if roll < 0.95
            else "withdrawn"
        )
    roll = rng.random()
    return (
        "submitted"
        if roll < 0.35
        else "accepted"
        if roll < 0.85
        else "supplement"
        if roll < 0.93
        else "suspended"
    )


def _cases_for(rng, *, applicant, holder_code, holder_name, kind, count, implementations, serial, now):
    from yiwang.applications.models import Case
    from yiwang.core.crypto import sm3_hex

    rows = []
    for n in range(count):
        age = rng.randrange(3 * 365)
        submitted = now - dt.timedelta(days=age, minutes=rng.randrange(600))
        status = _status(rng, age)
        implementation = rng.choice(implementations)
        closed = status in ("approved", "refused", "not_accepted", "withdrawn")
        rows.append(
            Case(
                number=_case_number(implementation.region_id, submitted.date(), serial + n),
                query_code_hash=sm3_hex(f"bench-me-{serial + n}".encode()),
                implementation=implementation,
                department_id=implementation.department_id,
                region_id=implementation.region_id,
                applicant=applicant,
                applicant_kind=kind,
                holder_code=holder_code,
                holder_name=holder_name,
                status=status,
                submitted_at=submitted,
                accepted_at=submitted + dt.timedelta(days=1) if status != "submitted" else None,
                closed_at=submitted + dt.timedelta(days=min(age, rng.randint(3, 20))) if closed else None,
                decided_at=submitted + dt.timedelta(days=min(age, 3)) if closed else None,
            )
        )
    return rows


def ensure_world() -> dict[str, Any]:
    """The bench data, once (to build it again, drop the database)."""
    from django.db import connection, transaction
    from django.utils import timezone
    from faker import Faker

    from yiwang.applications.models import Case, VaultItem
    from yiwang.catalog.tests.factories import DepartmentFactory, ImplementationFactory, synthetic_credit_code
    from yiwang.identity.constants import AssuranceLevel, PrincipalKind
    from yiwang.identity.models import Enterprise, FavouriteService, Mandate, User
    from yiwang.licenses.constants import HolderKind, ValidityKind
    from yiwang.licenses.models import LicenseType
    from yiwang.licenses.services.issuance import LicenseDraft, issue_in_bulk
    from yiwang.regions.models import Region
    from yiwang.regions.services import load_regions
    from yiwang.supervision.constants import EvaluationChannel, EvaluationStage
    from yiwang.supervision.models import Evaluation, EvaluationInvitation

    person = User.objects.filter(username=PERSON).first()
    if person is not None:
        return {"built_s": 0.0, "person": person}
    started = time.perf_counter()
    rng, fake = random.Random(SEED), Faker("zh_CN")
    fake.seed_instance(SEED)
    now = timezone.now()
    if not Region.objects.exists():
        load_regions()
    county = Region.objects.get(code=f"{COUNTY}000000")
    print("  departments and implementations …", file=sys.stderr, flush=True)
    departments = [
        DepartmentFactory(
            credit_code=synthetic_credit_code(700_000_000 + n),
            name=f"广安区{fake.word()}局{n}",
            short_name=f"区基准局{n}",
            region=county,
        )
        for n in range(12)
    ]
    implementations = [
        ImplementationFactory(department=departments[n % 12], region=county) for n in range(40)
    ]
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string", "minLength": 1}, "number": {"type": "string"}},
        "required": ["name"],
        "additionalProperties": False,
    }
    types = {
        kind: [
            LicenseType.objects.get_or_create(
                code=f"BENCH_ME_{kind.upper()}_{n}",
                defaults={
                    "name": f"基准{'个人' if kind == HolderKind.PERSON else '企业'}证照{n}",
                    "holder_kind": kind,
                    "issuer_description": "广安区基准局",
                    "field_schema": schema,
                    "validity_kind": ValidityKind.YEARS,
                    "validity_years": 5,
                    "display_layout": [{"field": "name", "label": "名称"}],
                },
            )[0]
            for n in range(10)
        ]
        for kind in (HolderKind.PERSON, HolderKind.ENTERPRISE)
    }

    def people(count: int, first_serial: int) -> list[User]:
        return [
            User(
                username=f"bench_me_other_{first_serial + n}",
                surname=(name := fake.name())[0],
                given_name=name[1:],
                id_number=_id_number(rng, first_serial + n),
                phone=fake.phone_number(),
                assurance_level=AssuranceLevel.REGISTER_VERIFIED,
                password="!",  # noqa: S106 (no usable password)
            )
            for n in range(count)
        ]

    with transaction.atomic():
        print("  people …", file=sys.stderr, flush=True)
        name = fake.name()
        person = User.objects.create(
            username=PERSON,
            surname=name[0],
            given_name=name[1:],
            id_number=_id_number(rng, 1),
            phone=fake.phone_number(),
            phone_verified_at=now,
            assurance_level=AssuranceLevel.REGISTER_VERIFIED,
            password="!",  # noqa: S106 (the bench logs in by a session it makes)
        )
        others = User.objects.bulk_create(people(OTHERS, 10), batch_size=1000)
        enterprise = Enterprise.objects.create(
            credit_code=_credit_code(1), name=fake.company(), representative=person
        )
        enterprise_of_another = Enterprise.objects.create(
            credit_code=_credit_code(2), name=fake.company(), representative=others[0]
        )
        print("  cases …", file=sys.stderr, flush=True)
        serial = 1
        batches = [
            _cases_for(
                rng,
                applicant=person,
                holder_code=person.id_number,
                holder_name=person.full_name,
                kind="person",
                count=PERSON_CASES,
                implementations=implementations,
                serial=serial,
                now=now,
            ),
            _cases_for(
                rng,
                applicant=person,
                holder_code=enterprise.credit_code,
                holder_name=enterprise.name,
                kind="enterprise",
                count=ENTERPRISE_CASES,
                implementations=implementations,
                serial=serial + PERSON_CASES,
                now=now,
            ),
        ]
        serial += PERSON_CASES + ENTERPRISE_CASES
        for other in others:
            batches.append(
                _cases_for(
                    rng,
                    applicant=other,
                    holder_code=other.id_number,
                    holder_name=other.full_name,
                    kind="person",
                    count=OTHER_CASES,
                    implementations=implementations,
                    serial=serial,
                    now=now,
                )
            )
            serial += OTHER_CASES
        rows = [case for batch in batches for case in batch]
        Case.objects.bulk_create(rows, batch_size=2000)
        print("  invitations, vault, mandates, favourites …", file=sys.stderr, flush=True)
        recent_closed = list(
            Case.objects.filter(
                applicant=person,
                closed_at__gte=now - dt.timedelta(days=30),
                status__in=["approved", "refused"],
            )
        )
        EvaluationInvitation.objects.bulk_create(
            EvaluationInvitation(
                case=case,
                stage=EvaluationStage.SERVICE,
                channel=EvaluationChannel.WEB,
                invitee=person,
                expires_at=now + dt.timedelta(days=15),
            )
            for case in recent_closed
        )
        Evaluation.objects.bulk_create(
            Evaluation(
                case=case,
                stage=EvaluationStage.SERVICE,
                level=5,
                channel=EvaluationChannel.WEB,
                rater=person,
                department_id=case.department_id,
                region_id=case.region_id,
            )
            for case in recent_closed[::3]
        )
        VaultItem.objects.bulk_create(
            [
                VaultItem(
                    holder_code=code,
                    owner=person,
                    material_key=f"bench-{n}",
                    name=f"{fake.word()}证明材料",
                    sha256=f"{n:064x}",
                    valid_until=(now + dt.timedelta(days=rng.randint(-200, 700))).date() if n % 3 else None,
                )
                for code, count in ((person.id_number, 300), (enterprise.credit_code, 50))
                for n in range(count)
            ]
        )
        today = timezone.localdate()
        for agent in others[1:4]:
            Mandate.objects.create(
                principal_kind=PrincipalKind.PERSON,
                granted_by=person,
                agent=agent,
                covers_all_items=True,
                valid_from=today - dt.timedelta(days=10),
                valid_until=today + dt.timedelta(days=300),
            )
        Mandate.objects.create(
            principal_kind=PrincipalKind.ENTERPRISE,
            enterprise=enterprise_of_another,
            granted_by=others[0],
            agent=person,
            covers_all_items=True,
            valid_from=today - dt.timedelta(days=10),
            valid_until=today + dt.timedelta(days=300),
        )
        FavouriteService.objects.bulk_create(
            FavouriteService(user=person, implementation=implementation)
            for implementation in implementations[:10]
        )
    print("  licenses (signed) …", file=sys.stderr, flush=True)

    def issue(license_type, holder_code: str, holder_name: str, count: int) -> None:
        drafts = [
            LicenseDraft(
                holder_code,
                holder_name,
                {"name": holder_name, "number": f"{n:08d}"},
                (now - dt.timedelta(days=rng.randrange(3 * 365))).date(),
            )
            for n in range(count)
        ]
        with transaction.atomic():
            issue_in_bulk(
                license_type=license_type, issuer=departments[0], drafts=drafts, surface_checked=True
            )

    for license_type in types[HolderKind.PERSON]:
        issue(
            license_type, person.id_number, person.full_name, PERSON_LICENSES // len(types[HolderKind.PERSON])
        )
    for license_type in types[HolderKind.ENTERPRISE][:1]:
        issue(license_type, enterprise.credit_code, enterprise.name, ENTERPRISE_LICENSES)
    for index, other in enumerate(others):
        issue(types[HolderKind.PERSON][index % 10], other.id_number, other.full_name, OTHER_LICENSES)
    with connection.cursor() as cursor:
        for table in ("applications_case", "licenses_license", "applications_vaultitem", "identity_user"):
            cursor.execute(f"ANALYZE {table}")
    return {"built_s": round(time.perf_counter() - started, 1), "person": person}


def session_cookie(person, implementations: list[str]) -> str:
    """A logged-in session of the person (a citizen: no second factor), with recently viewed guides."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from yiwang.portal.personal_space import RECENT_KEY

    session = SessionStore()
    session[SESSION_KEY] = str(person.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = person.get_session_auth_hash()
    session[RECENT_KEY] = implementations
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


# The measurements -----------------------------------------------------------------------------------


def in_process(paths: dict[str, str], cookie: str, samples: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client

    client = Client()
    name, value = cookie.split("=", 1)
    client.cookies[name] = value
    figures: dict[str, Any] = {}
    for label, path in paths.items():
        for _ in range(5):
            assert client.get(path).status_code == 200, path
        queries: list[str] = []

        def count(execute, sql, *args, seen=queries):
            seen.append(sql)
            return execute(sql, *args)

        with connection.execute_wrapper(count):
            client.get(path)  # (request_started empties connection.queries: count at the cursor instead)
        timings, cpu = [], []
        for _ in range(samples):
            start, start_cpu = time.perf_counter(), time.process_time()
            client.get(path)
            timings.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        figures[label] = {
            **_percentiles(timings),
            "cpu_p50_ms": round(statistics.median(cpu), 2),
            "queries": len(queries),
        }
    return figures


def over_http(paths: dict[str, str], cookie: str, seconds: int) -> dict[str, Any]:
    import http_bench
    from applications_bench import _GET_LUA, _lua_strings, _run_wrk

    env = {"DATABASE_URL": PG_URL, "YIWANG_TASKS": "dummy"}
    figures: dict[str, Any] = {}
    with http_bench.running_server(var_dir=VAR, extra_env=env, warm_paths=("/api/v1/health",)) as base:
        bare = _GET_LUA % ('"/api/v1/health"', '""', '""')
        figures["bare /api/v1/health"] = {
            "1": _run_wrk(bare, base, seconds=seconds, connections=1),
            "8": _run_wrk(bare, base, seconds=seconds, connections=8),
        }
        for label, path in paths.items():
            script = _GET_LUA % (_lua_strings([path]), '""', _lua_strings([cookie]))
            _run_wrk(script, base, seconds=2, connections=4)  # warm every worker
            figures[label] = {
                "1": _run_wrk(script, base, seconds=seconds, connections=1),
                "8": _run_wrk(script, base, seconds=seconds, connections=8),
            }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--samples", type=int, default=200)
    arguments = parser.parse_args()
    from pg_bench_database import setup_django_on_postgres

    os.environ["YIWANG_DEBUG"] = "0"
    setup_django_on_postgres(database_url=PG_URL, var_dir=VAR)
    world = ensure_world()
    person = world["person"]

    from yiwang.applications.models import Case
    from yiwang.catalog.models import Implementation
    from yiwang.licenses.models import License

    enterprise_code = _credit_code(1)
    recent = list(Implementation.objects.order_by("pk").values_list("code", flat=True)[10:18])
    cookie = session_cookie(person, recent)
    paths = {
        "/me/": "/me/",
        "/me/vault": "/me/vault",
        "/me/enterprises/<code>": f"/me/enterprises/{enterprise_code}",
    }
    load_before = os.getloadavg()
    process = in_process(paths, cookie, arguments.samples)
    http = over_http(paths, cookie, arguments.seconds)
    report = {
        "person_cases": Case.objects.filter(applicant=person, holder_code=person.id_number).count(),
        "person_licenses": License.objects.filter(holder_code=person.id_number).count(),
        "enterprise_cases": Case.objects.filter(holder_code=enterprise_code).count(),
        "all_cases": Case.objects.count(),
        "all_licenses": License.objects.count(),
        "built_s": world["built_s"],
        "load_average_before": [round(value, 2) for value in load_before],
        "load_average_after": [round(value, 2) for value in os.getloadavg()],
        "in_process": process,
        "http": http,
        "target_p99_ms": TARGET_P99_MS,
        "meets_target": all(http[label]["1"]["p99_ms"] <= TARGET_P99_MS for label in paths),
    }
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
