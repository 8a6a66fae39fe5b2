"""Demo accounts for every role and a demo departmental OIDC client (`make run` prints them)."""

from __future__ import annotations

import base64
import datetime as dt
import functools
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from oauth2_provider.models import Application

from yiwang.identity.constants import AssuranceLevel, PrincipalKind, StaffRole
from yiwang.identity.models import ClientProfile, Enterprise, Mandate, StaffAssignment, User
from yiwang.identity.services.admin_access import sync_admin_access
from yiwang.registers.constants import LegalPersonStatus
from yiwang.registers.models import LegalPerson, Person, RealEstateOwner

DEMO_PASSWORD = "Yiwang-demo-2026"  # noqa: S105 (published demo credential)
# Every demo staff account shares this TOTP secret so a demo visitor can add it to an authenticator app.
DEMO_TOTP_KEY_HEX = "3132333435363738393031323334353637383930"  # RFC 6238 test secret "1234567890..."
DEMO_CLIENT_ID = "demo-department-system"
DEMO_CLIENT_SECRET = "demo-department-secret-change-me"  # noqa: S105 (published demo credential)
DEMO_REDIRECT_PATH = "/demo-department/callback"
STAFF_DEPARTMENTS = (("scj", "区市监局"), ("rsj", "区人社局"))
STAFF_ROLES = (
    ("clerk", StaffRole.WINDOW_CLERK),
    ("approver", StaffRole.APPROVER),
    ("data", StaffRole.DATA_ADMIN),
    ("license", StaffRole.LICENSE_ADMIN),
    ("supervisor", StaffRole.SUPERVISOR),
    ("admin", StaffRole.PLATFORM_ADMIN),
    ("auditor", StaffRole.AUDITOR),
    ("head", StaffRole.DEPARTMENT_HEAD),
)
POLICE_DEPARTMENT = "区公安分局"
POLICE_STAFF = (
    ("gaj_clerk", StaffRole.WINDOW_CLERK),
    ("gaj_auditor", StaffRole.AUDITOR),
    ("gaj_data", StaffRole.DATA_ADMIN),  # decides other departments' requests for the population register
)
POLICE_NAMES = ("韩", "杨", "朱")
# The departments handling the parts of the two demo bundles (一件事: 二手房转移登记, 新生儿出生) each have a
# window clerk who accepts and an approver who decides; 区人社局 has them above, the police branch gets an
# approver beside its clerk.
BUNDLE_DEPARTMENTS = (
    ("zrzy", "区自然资源和规划局"),
    ("zjj", "区住建局"),
    ("swj", "广安区税务局"),
    ("wjj", "区卫健局"),
    ("ybj", "区医疗保障局"),
)
BUNDLE_ROLES = (("clerk", StaffRole.WINDOW_CLERK), ("approver", StaffRole.APPROVER))
# Each bundle department's head (部门负责人) receives its yellow and red cards and answers its complaints.
BUNDLE_HEAD_NAMES = ("魏", "陶", "姜", "戚", "谢")
BUNDLE_NAMES = ("秦", "尤", "许", "何", "吕", "施", "张", "孔", "曹", "严", "华")
POLICE_APPROVER = "gaj_approver"
SELLER_SHARE = "单独所有"
STAFF_NAMES = ("赵", "钱", "孙", "李", "周", "吴", "郑", "王", "冯", "陈", "褚", "卫", "蒋", "沈", "韦", "昌")


@dataclass(frozen=True)
class DemoAccount:
    role: str
    username: str
    password: str
    note: str


def demo_totp_secret() -> str:
    """The base32 secret authenticator apps take."""
    return base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY_HEX)).decode()


def _citizen(username: str, person: Person, level: int) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "surname": person.surname,
            "given_name": person.given_name,
            "id_number": person.id_number,
            "phone": person.phone,
            "assurance_level": level,
            "assurance_verified_at": timezone.now(),
            "phone_verified_at": timezone.now() if level >= AssuranceLevel.REGISTER_VERIFIED else None,
        },
    )
    if created:
        user.password = _demo_password_hash()
        user.save(update_fields=["password"])
    return user


@functools.cache
def _demo_password_hash() -> str:
    """The demo password hashed once per run: every demo account has the same published password, and
    hashing it 41 times cost the seed ~10 s (the production hasher is slow on purpose)."""
    return make_password(DEMO_PASSWORD)


def _demo_people() -> list[Person]:
    """Adults of 广安区 from the register, in a fixed order, skipping anyone who represents a company."""
    representatives = set(LegalPerson.objects.values_list("legal_representative_id_number", flat=True))
    adults = (
        Person.objects.filter(
            region__code__startswith="511602",
            birth_date__lte=dt.date(2000, 1, 1),
            birth_date__gte=dt.date(1960, 1, 1),
            is_deceased=False,
        )
        .exclude(phone="")
        .order_by("id")[:50]
    )
    return [person for person in adults if person.id_number not in representatives][:4]


def _staff_member(username: str, surname: str, department, role: StaffRole) -> DemoAccount:
    user, created = User.objects.get_or_create(
        username=username, defaults={"surname": surname, "given_name": "演示", "is_staff_member": True}
    )
    if created:
        user.password = _demo_password_hash()
        user.save(update_fields=["password"])
        TOTPDevice.objects.create(user=user, name="演示动态口令", key=DEMO_TOTP_KEY_HEX, confirmed=True)
    StaffAssignment.objects.get_or_create(
        user=user, department=department, role=role, defaults={"region": department.region}
    )
    sync_admin_access(user=user)
    return DemoAccount(
        str(role.label), username, DEMO_PASSWORD, f"{department.name}；动态口令密钥 {demo_totp_secret()}"
    )


def _staff(departments: dict) -> list[DemoAccount]:
    accounts = []
    names = iter(STAFF_NAMES)
    for key, short_name in STAFF_DEPARTMENTS:
        department = departments.get(short_name)
        if department is None:
            continue
        for role_key, role in STAFF_ROLES:
            accounts.append(_staff_member(f"{key}_{role_key}", next(names), department, role))
    # The police branch holds the population register: its clerk reads residents' records (each read shows
    # in the resident's 我的数据使用记录) and its auditor reviews those reads.
    police = departments.get(POLICE_DEPARTMENT)
    if police is not None:
        for (username, role), surname in zip(POLICE_STAFF, POLICE_NAMES, strict=True):
            accounts.append(_staff_member(username, surname, police, role))
    return accounts + _bundle_staff(departments)


def _bundle_staff(departments: dict) -> list[DemoAccount]:
    """A window clerk and an approver for each department handling a part of the demo bundles."""
    accounts = []
    names = iter(BUNDLE_NAMES)
    for key, short_name in BUNDLE_DEPARTMENTS:
        department = departments.get(short_name)
        for role_key, role in BUNDLE_ROLES:
            surname = next(names)
            if department is not None:
                accounts.append(_staff_member(f"{key}_{role_key}", surname, department, role))
    police = departments.get(POLICE_DEPARTMENT)
    if police is not None:
        accounts.append(_staff_member(POLICE_APPROVER, next(names), police, StaffRole.APPROVER))
    for (key, short_name), surname in zip(BUNDLE_DEPARTMENTS, BUNDLE_HEAD_NAMES, strict=True):
        department = departments.get(short_name)
        if department is not None:
            accounts.append(_staff_member(f"{key}_head", surname, department, StaffRole.DEPARTMENT_HEAD))
    return accounts


def _house_seller(excluded: set[str]) -> Person | None:
    """An adult of 广安区 who alone owns one unmortgaged home (the seller of the 二手房转移登记 demo)."""
    representatives = set(LegalPerson.objects.values_list("legal_representative_id_number", flat=True))
    owners = (
        RealEstateOwner.objects.filter(share=SELLER_SHARE, estate__is_mortgaged=False)
        .exclude(owner_id_number__in=excluded | representatives)
        .order_by("estate__certificate_number")
        .values_list("owner_id_number", flat=True)[:200]
    )
    for id_number in owners:
        person = (
            Person.objects.filter(
                id_number=id_number,
                region__code__startswith="511602",
                birth_date__lte=dt.date(2000, 1, 1),
                is_deceased=False,
            )
            .exclude(phone="")
            .first()
        )
        if person is not None and RealEstateOwner.objects.filter(owner_id_number=id_number).count() == 1:
            return person
    return None


def ensure_demo_client(*, site_url: str | None = None) -> Application:
    """The demo departmental system registered as a confidential OIDC client (code + PKCE S256)."""
    site_url = (site_url or settings.SITE_URL).rstrip("/")
    application = Application.objects.filter(client_id=DEMO_CLIENT_ID).first()
    if application is None:
        application = Application(
            client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET, name="演示部门业务系统（不动产登记）"
        )
    application.client_type = Application.CLIENT_CONFIDENTIAL
    application.authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
    application.algorithm = Application.RS256_ALGORITHM
    application.redirect_uris = f"{site_url}{DEMO_REDIRECT_PATH}"
    application.post_logout_redirect_uris = f"{site_url}/"
    application.save()
    ClientProfile.objects.update_or_create(
        application=application,
        defaults={
            "allowed_scopes": "openid profile phone",
            "min_assurance_level": AssuranceLevel.REGISTER_VERIFIED,
        },
    )
    return application


def _agent_mandate(enterprise: Enterprise, agent: User) -> str:
    from yiwang.catalog.models import ServiceItem

    if Mandate.objects.filter(enterprise=enterprise, agent=agent).exists():
        return ""
    items = list(
        ServiceItem.objects.filter(audiences__contains="enterprise").order_by("code")[:2]
        if settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
        else [item for item in ServiceItem.objects.order_by("code")[:400] if "enterprise" in item.audiences][
            :2
        ]
    )
    mandate = Mandate.objects.create(
        principal_kind=PrincipalKind.ENTERPRISE,
        enterprise=enterprise,
        granted_by=enterprise.representative,
        agent=agent,
        covers_all_items=not items,
        valid_from=timezone.localdate(),
        valid_until=timezone.localdate() + dt.timedelta(days=365),
        note="演示委托",
    )
    mandate.items.set(items)
    return "、".join(item.code for item in items) or "全部事项"


@transaction.atomic
def create_demo_accounts() -> list[DemoAccount]:
    """Citizens at levels 2-4, a legal representative, a mandated agent, staff of each role; idempotent."""
    from yiwang.catalog.importers import ensure_demo_departments

    people = _demo_people()
    company = (
        LegalPerson.objects.filter(region__code__startswith="511602", status=LegalPersonStatus.ACTIVE)
        .order_by("id")
        .first()
    )
    if len(people) < 4 or company is None:
        raise LookupError("先生成基础库（generate_registers），再创建演示账号")
    accounts = [
        DemoAccount(
            "二级实名个人",
            _citizen("citizen_l2", people[0], 2).username,
            DEMO_PASSWORD,
            "已在人口库登记，可在线提升到三级（验证码打印在服务器控制台）",
        ),
        DemoAccount("三级实名个人", _citizen("citizen_l3", people[1], 3).username, DEMO_PASSWORD, ""),
        DemoAccount("四级实名个人", _citizen("citizen_l4", people[2], 4).username, DEMO_PASSWORD, ""),
    ]
    representative = Person.objects.get(id_number=company.legal_representative_id_number)
    legal_rep = _citizen("legal_rep", representative, 3)
    enterprise, _ = Enterprise.objects.get_or_create(
        credit_code=company.credit_code, defaults={"name": company.name, "representative": legal_rep}
    )
    agent = _citizen("agent", people[3], 3)
    scope = _agent_mandate(enterprise, agent) or "见“我的账户”"
    accounts += [
        DemoAccount(
            "企业法定代表人", legal_rep.username, DEMO_PASSWORD, f"{company.name}（{company.credit_code}）"
        ),
        DemoAccount("企业经办人", agent.username, DEMO_PASSWORD, f"受 {company.name} 委托，事项：{scope}"),
    ]
    seller = _house_seller({person.id_number for person in people} | {representative.id_number})
    if seller is not None:
        accounts.append(
            DemoAccount(
                "二手房卖方（四级实名个人）",
                _citizen("house_seller", seller, 4).username,
                DEMO_PASSWORD,
                "单独持有一套住房的不动产权证书（电子证照），可在线申请“二手房转移登记一件事”",
            )
        )
    accounts += _staff(ensure_demo_departments())
    ensure_demo_client()
    return accounts


def demo_client_lines(*, site_url: str | None = None) -> list[str]:
    """What the banner and README say about the demo departmental client."""
    site_url = (site_url or settings.SITE_URL).rstrip("/")
    return [
        f"client_id {DEMO_CLIENT_ID}",
        f"client_secret {DEMO_CLIENT_SECRET}",
        f"redirect_uri {site_url}{DEMO_REDIRECT_PATH}",
        f"discovery {site_url}/.well-known/openid-configuration",
    ]
