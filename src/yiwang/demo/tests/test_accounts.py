"""Demo accounts: every role present, logins work, and a second run changes nothing."""

from __future__ import annotations

import pytest

from yiwang.demo.accounts import DEMO_CLIENT_ID, create_demo_accounts
from yiwang.identity.constants import AssuranceLevel
from yiwang.identity.models import Mandate, User
from yiwang.registers.services import generate_registers

pytestmark = pytest.mark.django_db


def test_demo_accounts_cover_every_role_and_are_idempotent():
    # given
    generate_registers(size="test")
    # when
    accounts = create_demo_accounts()
    again = create_demo_accounts()
    # then
    assert [a.username for a in accounts] == [a.username for a in again]
    levels = {a.username: User.objects.get(username=a.username).assurance_level for a in accounts[:3]}
    assert levels == {"citizen_l2": 2, "citizen_l3": 3, "citizen_l4": 4}
    staff = [a for a in accounts if "_" in a.username and a.username.split("_")[0] in {"scj", "rsj"}]
    assert len(staff) == 16  # eight roles in two departments, the auditor and the head included
    from yiwang.identity.constants import StaffRole

    roles = {a.username: User.objects.get(username=a.username).staff_assignments.get().role for a in staff}
    assert set(roles.values()) == set(StaffRole.values)
    # 三员分立: the auditor can open the audit log in the admin, the platform administrator cannot
    assert User.objects.get(username="scj_auditor").has_perm("audit.view_auditentry")
    assert not User.objects.get(username="scj_admin").has_perm("audit.view_auditentry")
    # the police branch, which holds the population register, has a clerk who may read it and an auditor
    police = [a.username for a in accounts if a.username.startswith("gaj_")]
    assert police == ["gaj_clerk", "gaj_auditor", "gaj_data", "gaj_approver"]
    clerk = User.objects.get(username="gaj_clerk").staff_assignments.get()
    from yiwang.registers.services import REGISTER_HOLDERS

    assert clerk.department.short_name == REGISTER_HOLDERS["population"][0]
    mandate = Mandate.objects.get(agent__username="agent")
    assert mandate.enterprise.representative.username == "legal_rep"
    assert User.objects.get(username="legal_rep").assurance_level == AssuranceLevel.REGISTER_VERIFIED
    user = User.objects.get(username="citizen_l2")
    assert user.check_password(accounts[0].password)
    from oauth2_provider.models import Application

    assert Application.objects.filter(client_id=DEMO_CLIENT_ID).exists()
