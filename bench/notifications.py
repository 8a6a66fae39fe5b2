"""Messages to people delivered per second: ``notify`` (inbox entry + SMS and email copies) then
``deliver_dispatches`` until every copy is sent, with the ``null`` SMS backend and Django's locmem email
backend (the platform's cost, not a provider's).

    .venv/bin/python bench/notifications.py [--database sqlite|postgres] [--messages 2000]

SQLite in a fresh database under var/bench-notifications; PostgreSQL in
``YIWANG_BENCH_NOTIFICATIONS_DATABASE_URL`` (default postgres://postgres@127.0.0.1:5432/yiwang_bench_notifications,
created when missing). People are made first (not timed). Timed separately: writing the messages (one
``notify`` each, in its own transaction, as a domain service would) and delivering them (one deliverer,
batches of 100). Prints one line and, last, a JSON line for bench/run.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
VAR_DIR = ROOT / "var" / "bench-notifications"
PG_URL = os.environ.get(
    "YIWANG_BENCH_NOTIFICATIONS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/yiwang_bench_notifications"
)
PEOPLE = 200


def setup_django(database: str) -> None:
    os.environ["YIWANG_SMS_BACKEND"] = "null"
    os.environ["YIWANG_EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    if database == "postgres":
        from pg_bench_database import setup_django_on_postgres

        VAR_DIR.mkdir(parents=True, exist_ok=True)
        setup_django_on_postgres(database_url=PG_URL, var_dir=VAR_DIR)
        return
    shutil.rmtree(VAR_DIR, ignore_errors=True)
    VAR_DIR.mkdir(parents=True)
    os.environ["YIWANG_VAR_DIR"] = str(VAR_DIR)
    os.environ["DATABASE_URL"] = f"sqlite:///{VAR_DIR / 'yiwang.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "yiwang.settings.base"
    os.environ.setdefault("YIWANG_LOG_LEVEL", "WARNING")
    os.environ["YIWANG_TASKS"] = "dummy"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def people() -> list:
    from django.contrib.auth import get_user_model

    from yiwang.notifications.models import NotificationPreference

    User = get_user_model()
    users = []
    for n in range(PEOPLE):
        user, _created = User.objects.get_or_create(
            username=f"bench-notify-{n}",
            defaults={"phone": f"139{n:08d}", "email": f"bench{n}@example.cn"},
        )
        NotificationPreference.objects.update_or_create(
            user=user, defaults={"sms": True, "email": True, "language": "en" if n % 2 else "zh-hans"}
        )
        users.append(user)
    return users


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--messages", type=int, default=2000)
    arguments = parser.parse_args()
    setup_django(arguments.database)
    from django.core import mail
    from django.db import connection

    from yiwang.notifications.constants import DispatchStatus
    from yiwang.notifications.models import Dispatch
    from yiwang.notifications.services import deliver_dispatches, notify

    mail.outbox = []
    recipients = people()
    # Earlier runs on PostgreSQL leave their copies sent: count only this run's.
    already = Dispatch.objects.filter(status=DispatchStatus.SENT).count()
    started = time.perf_counter()
    for n in range(arguments.messages):
        notify(
            recipient=recipients[n % len(recipients)],
            topic="case.accepted",
            title="办件 {number} 已受理",
            body="您的申请已受理，承诺办结日期 {due}。",
            context={"number": f"BENCH-{n:06d}", "due": "2026-12-31"},
            link=f"/me/cases/{n}/",
        )
    written = time.perf_counter() - started
    copies = Dispatch.objects.filter(status=DispatchStatus.PENDING).count()
    started = time.perf_counter()
    sent = 0
    while run := deliver_dispatches(limit=100):
        if not run.claimed:
            break
        sent += run.sent
    delivered = time.perf_counter() - started
    left = Dispatch.objects.filter(status__in=[DispatchStatus.PENDING, DispatchStatus.FAILED]).count()
    figures = {
        "database": connection.vendor,
        "messages": arguments.messages,
        "copies": copies,
        "sent": sent,
        "sent_total": Dispatch.objects.filter(status=DispatchStatus.SENT).count() - already,
        "left": left,
        "notify_per_second": round(arguments.messages / written, 1),
        "copies_sent_per_second": round(sent / delivered, 1) if delivered else 0.0,
        "messages_per_second_end_to_end": round(arguments.messages / (written + delivered), 1),
        "emails": len(mail.outbox),
    }
    print(
        f"{figures['database']}: {arguments.messages:,} messages → {copies:,} SMS/email copies; "
        f"notify {figures['notify_per_second']:,}/s, deliver {figures['copies_sent_per_second']:,} copies/s, "
        f"end to end {figures['messages_per_second_end_to_end']:,} messages/s; left {left}",
        file=sys.stderr,
    )
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
