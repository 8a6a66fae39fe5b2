"""The process workbench page: only platform administrators; import with every problem listed, the
version page with its tasks and migration check, activation and migration."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from yiwang.applications.constants import ProcessStatus
from yiwang.applications.models import ProcessVersion
from yiwang.applications.services import processes, runtime
from yiwang.applications.tests.factories import CaseFactory
from yiwang.applications.tests.workflow_fixtures import linear, process_file, recording_handlers, version_3
from yiwang.conftest import login_with_second_factor
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def handlers():
    with recording_handlers() as calls:
        yield calls


@pytest.fixture
def admin(client):
    user = StaffAssignmentFactory(role=StaffRole.PLATFORM_ADMIN).user
    login_with_second_factor(client, user)
    return user


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/xml")


def test_who_may_open_the_pages(client):
    version = processes.load_default_processes()[0]
    pages = [
        ("get", reverse("applications:processes")),
        ("get", reverse("applications:process_version", args=[version.pk])),
        ("get", reverse("applications:process_version_bpmn", args=[version.pk])),
        ("post", reverse("applications:process_activate", args=[version.pk])),
        ("post", reverse("applications:process_migrate", args=[version.pk])),
        ("post", reverse("applications:process_import")),
    ]
    for method, url in pages:  # anonymous: to the login page
        assert getattr(client, method)(url).status_code == 302
    citizen = UserFactory(level3=True)
    clerk = StaffAssignmentFactory(role=StaffRole.WINDOW_CLERK).user
    approver = StaffAssignmentFactory(role=StaffRole.APPROVER).user
    data_admin = StaffAssignmentFactory(role=StaffRole.DATA_ADMIN).user
    for user in (citizen, clerk, approver, data_admin):
        login_with_second_factor(client, user)
        for method, url in pages:
            response = getattr(client, method)(url)
            assert response.status_code == 403, (user, url)
            assert "标准审批流程" not in response.content.decode()
        client.logout()
    admin = StaffAssignmentFactory(role=StaffRole.PLATFORM_ADMIN).user
    client.force_login(admin)  # without the second factor
    assert client.get(pages[0][1]).status_code == 403


def test_the_administrator_sees_the_processes(client, admin):
    processes.load_default_processes()
    page = client.get(reverse("applications:processes")).content.decode()
    assert "标准审批流程" in page and "多部门联合审查流程" in page and "默认流程" in page


def test_an_unsafe_file_is_refused_with_every_problem_listed(client, admin):
    bad = linear(
        "<bpmn:scriptTask id=\"steal\"><bpmn:script>data = open('/etc/passwd').read()</bpmn:script>"
        '</bpmn:scriptTask><bpmn:eventBasedGateway id="ebg"/>'
    )
    response = client.post(reverse("applications:process_import"), {"file": upload("bad.bpmn", bad)})
    assert response.status_code == 422
    page = response.content.decode()
    assert "scriptTask id=&quot;steal&quot;" in page and "eventBasedGateway id=&quot;ebg&quot;" in page
    assert not ProcessVersion.objects.exists()
    missing = client.post(reverse("applications:process_import"), {})
    assert missing.status_code == 400


def test_import_activate_check_and_migrate_from_the_page(client, admin):
    # given v1 running a case past `review`, and one still at `accept`
    client.post(
        reverse("applications:process_import"),
        {"file": upload("standard_approval.bpmn", process_file("standard_approval.bpmn")), "activate": "1"},
    )
    v1 = ProcessVersion.objects.get()
    assert v1.status == ProcessStatus.ACTIVE
    processes.bind_process(actor=None, definition=v1.definition, make_default=True)
    waiting, past = CaseFactory(), CaseFactory()
    for case in (waiting, past):
        runtime.start(case=case)
    past.refresh_from_db()
    task = past.tasks.get(bpmn_id="accept")
    runtime.complete(case=past, task=task, actor=None, data={"acceptance": "accept"})
    past.refresh_from_db()
    runtime.complete(case=past, task=past.tasks.get(bpmn_id="review"), actor=None, data={})
    # when v3 (no review step) is imported from the page
    response = client.post(reverse("applications:process_import"), {"file": upload("v3.bpmn", version_3())})
    v3 = ProcessVersion.objects.get(number=2)
    assert response.status_code == 302 and response["Location"].endswith(f"/versions/{v3.pk}/")
    # then its page lists its tasks and which running case can move
    page = client.get(response["Location"]).content.decode()
    assert "受理" in page and "supervisor" in page and "督办" in page
    assert waiting.number in page and past.number in page
    assert "review（审查）" in page
    assert "先启用该版本" in page
    # when activated and the movable cases migrated
    client.post(reverse("applications:process_activate", args=[v3.pk]))
    v3.refresh_from_db()
    assert v3.status == ProcessStatus.ACTIVE
    done = client.post(reverse("applications:process_migrate", args=[v3.pk]), follow=True)
    text = done.content.decode()
    assert "已迁移 1 件，1 件不能迁移" in text and f"办件 {past.number} 不能迁移" in text
    waiting.refresh_from_db()
    past.refresh_from_db()
    assert (waiting.process_version, past.process_version) == (v3, v1)
    bpmn = client.get(reverse("applications:process_version_bpmn", args=[v3.pk]))
    assert bpmn["Content-Disposition"].endswith('standard_approval-v2.bpmn"')
    assert b"<bpmn:definitions" in bpmn.content
