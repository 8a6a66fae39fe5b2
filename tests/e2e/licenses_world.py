"""Data for the license browser tests, written into the e2e server's database by `manage.py shell`.

The e2e server (conftest.base_url) runs on a var directory made by tmp_path_factory; these tests add a
holder with a signed license and a requesting department to it, and log in by a session cookie made
server-side (the login form is identity's to test).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT, _server_env

SETUP = r"""
import json, secrets
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from yiwang.core.identifiers import resident_id_check_digit
from yiwang.identity.models import User
from yiwang.licenses.models import LicenseType
from yiwang.licenses.services import issue_license, load_license_type_catalog
from yiwang.regions.models import Department

load_license_type_catalog()
id_card = LicenseType.objects.get(code="ID_CARD")
# The issuer of resident ID cards when the demo data named one, and some other department as requester.
issuer = (id_card.issuing_departments.order_by("credit_code").first()
          or Department.objects.order_by("credit_code").first())
requester = Department.objects.exclude(pk=issuer.pk).order_by("credit_code").first()
departments = [issuer, requester]
serial = secrets.randbelow(900) + 100
body = f"51160219880512{serial}"
id_number = body + resident_id_check_digit(body)
holder = User.objects.create_user(username=f"e2e-holder-{serial}-{secrets.token_hex(3)}",
                                  password=secrets.token_hex(8), id_number=id_number, surname="赵",
                                  given_name="一鸣", assurance_level=3)
surface = {"name": "赵一鸣", "id_number": id_number, "gender": "男", "ethnicity": "汉",
           "birth_date": "1988-05-12", "address": "四川省广安市广安区北辰街道1号"}
license = issue_license(license_type=id_card, issuer=departments[0],
                        holder_code=id_number, holder_name="赵一鸣", surface=surface)
session = SessionStore()
session[SESSION_KEY] = str(holder.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = holder.get_session_auth_hash()
session.create()
print(json.dumps({"identifier": license.identifier, "session": session.session_key,
                  "issuer": departments[0].name, "requester_code": departments[1].credit_code,
                  "requester_name": departments[1].name, "id_number": id_number}))
"""

READ = r"""
import json
from yiwang.identity.models import User
from yiwang.licenses.services import read_license_with_consent
from yiwang.identity.constants import StaffRole
from yiwang.identity.models import StaffAssignment
from yiwang.regions.models import Department
data = json.loads(%r)
department = Department.objects.get(credit_code=data["requester_code"])
clerk, _ = User.objects.get_or_create(username="e2e-clerk-" + department.credit_code,
                                      defaults={"is_staff_member": True})
StaffAssignment.objects.get_or_create(user=clerk, department=department, role=StaffRole.WINDOW_CLERK,
                                      defaults={"region": department.region})
read_license_with_consent(actor=clerk, identifier=data["identifier"],
                          requester_credit_code=department.credit_code)
print("read")
"""


def server_var_dir(tmp_path_factory) -> Path:
    """The var directory conftest.base_url created (the newest yiwang-var* under pytest's base temp)."""
    candidates = sorted(
        tmp_path_factory.getbasetemp().glob("yiwang-var*"), key=lambda path: path.stat().st_mtime
    )
    assert candidates, "base_url fixture has not created its var directory"
    return candidates[-1]


def run_in_server(var_dir: Path, code: str) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", code],
        cwd=ROOT,
        env=_server_env(var_dir),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


def make_holder(var_dir: Path) -> dict:
    return json.loads(run_in_server(var_dir, SETUP))


def read_as_requester(var_dir: Path, world: dict) -> None:
    run_in_server(var_dir, READ % json.dumps(world))


def log_in(context, base_url: str, session_key: str) -> None:
    context.add_cookies([{"name": "sessionid", "value": session_key, "url": base_url}])
