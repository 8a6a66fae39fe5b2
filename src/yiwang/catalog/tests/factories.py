"""factory_boy factories of the catalog (and of departments, which the catalog needs first).

Other apps' tests import these. Regions come from the session fixture that loads all divisions, so
factories look them up by code (default: 广安区, 511602000000).
"""

from __future__ import annotations

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from yiwang.catalog.constants import (
    Audience,
    ItemKind,
    ItemType,
    MaterialForm,
    MaterialMedium,
    MaterialRequirement,
    MaterialSource,
    OnlineDepth,
    TopicKind,
)
from yiwang.catalog.models import (
    FAQ,
    Bundle,
    BundleItem,
    Fee,
    Implementation,
    Material,
    ProcessStep,
    ServiceItem,
    SituationOption,
    SituationQuestion,
    SpecialStep,
    Topic,
)
from yiwang.core.identifiers import credit_code_check_character
from yiwang.regions.models import Department, Region

COUNTY_CODE = "511602000000"


def region_by_code(code: str = COUNTY_CODE) -> Region:
    return Region.objects.get(code=code)


def synthetic_credit_code(number: int, *, region_prefix: str = "511602") -> str:
    """A valid-looking unified social credit code of a government body (11 + region + sequence)."""
    body = f"11{region_prefix}{number % 10**9:09d}"
    return body + credit_code_check_character(body)


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("credit_code",)

    credit_code = factory.Sequence(lambda n: synthetic_credit_code(900_000_000 + n))
    name = factory.Sequence(lambda n: f"广安市广安区测试局{n}")
    short_name = factory.Sequence(lambda n: f"区测试局{n}")
    region = factory.LazyFunction(region_by_code)
    phone = "0826-2222222"
    address = "广安市广安区政务服务中心"


class TopicFactory(DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"topic-{n}")
    name = factory.Sequence(lambda n: f"测试主题{n}")
    audience = Audience.PERSON
    kind = TopicKind.THEME
    order = factory.Sequence(lambda n: n % 1000)  # the guides' 序号 is 0–999; a long session passes 1,000

    class Params:
        life_event = factory.Trait(kind=TopicKind.LIFE_EVENT)
        enterprise = factory.Trait(audience=Audience.ENTERPRISE)


class ServiceItemFactory(DjangoModelFactory):
    class Meta:
        model = ServiceItem
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"511T{n:010d}")
    name = factory.Sequence(lambda n: f"测试事项{n}")
    kind = ItemKind.SUB
    item_type = ItemType.LICENSING
    audiences = factory.LazyFunction(lambda: [Audience.PERSON.value])
    competent_department = "广安市广安区测试局"

    class Params:
        basic = factory.Trait(kind=ItemKind.BASIC)
        enterprise = factory.Trait(audiences=[Audience.ENTERPRISE.value])
        with_basis = factory.Trait(legal_basis="《中华人民共和国行政许可法》第十二条")
        public_service = factory.Trait(item_type=ItemType.PUBLIC_SERVICE)

    @factory.post_generation
    def topics(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.topics.set(extracted)


class ImplementationFactory(DjangoModelFactory):
    """An implementation; ``complete=True`` fills every guide element (with one material, step, FAQ)."""

    class Meta:
        model = Implementation
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    item = factory.SubFactory(ServiceItemFactory)
    region = factory.LazyFunction(region_by_code)
    department = factory.SubFactory(DepartmentFactory)
    code = factory.LazyAttribute(
        lambda o: f"{o.item.code}-{o.region.code}-000-{o.department.credit_code}-1-00"
    )
    name = factory.LazyAttribute(lambda o: o.item.name)

    class Params:
        complete = factory.Trait(
            item__legal_basis="《中华人民共和国行政许可法》",
            conditions="申请人具有完全民事行为能力",
            process_description="申请—受理—审查—决定—送达",
            statutory_limit_days=20,
            promised_limit_days=5,
            is_free=True,
            place="广安市广安区政务服务中心一楼",
            hours="工作日 9:00-12:00，13:30-17:00",
            phone="0826-2345678",
            complaint_channel="12345政务服务便民热线",
            online_depth=OnlineDepth.FULLY_ONLINE,
            visits=0,
            result_name="准予许可决定书",
            with_guide_parts=factory.PostGeneration(
                lambda obj, create, extracted, **kw: add_guide_parts(obj)
            ),
        )
        popular = factory.Trait(view_count=1000)

    @factory.post_generation
    def with_guide_parts(obj, create, extracted, **kwargs):
        if create and extracted:
            add_guide_parts(obj)


def add_guide_parts(implementation: Implementation) -> None:
    """One material, one process step and one FAQ: what a complete guide needs besides its fields."""
    MaterialFactory(implementation=implementation, id_card=True)
    ProcessStepFactory(implementation=implementation)
    FAQFactory(implementation=implementation)


class MaterialFactory(DjangoModelFactory):
    class Meta:
        model = Material

    implementation = factory.SubFactory(ImplementationFactory)
    order = factory.Sequence(lambda n: n % 1000)  # the guides' 序号 is 0–999; a long session passes 1,000
    name = factory.Sequence(lambda n: f"测试材料{n}")
    form = MaterialForm.ORIGINAL
    copies = 1
    medium = MaterialMedium.BOTH
    requirement = MaterialRequirement.REQUIRED
    source = MaterialSource.APPLICANT

    class Params:
        by_situation = factory.Trait(requirement=MaterialRequirement.BY_SITUATION)
        optional = factory.Trait(requirement=MaterialRequirement.OPTIONAL)
        id_card = factory.Trait(
            name="居民身份证",
            key="id-card",
            license_type_code="ID_CARD",
            license_type_name="居民身份证",
            source=MaterialSource.GOVERNMENT,
        )


class FeeFactory(DjangoModelFactory):
    class Meta:
        model = Fee

    implementation = factory.SubFactory(ImplementationFactory, is_free=False)
    order = factory.Sequence(lambda n: n % 1000)  # the guides' 序号 is 0–999; a long session passes 1,000
    name = factory.Sequence(lambda n: f"测试收费{n}")
    amount = Decimal("10.00")
    description = "每件10元"
    basis = "《行政事业性收费标准管理办法》"

    class Params:
        by_situation = factory.Trait(is_by_situation=True)


class ProcessStepFactory(DjangoModelFactory):
    class Meta:
        model = ProcessStep

    implementation = factory.SubFactory(ImplementationFactory)
    order = factory.Sequence(lambda n: n % 1000)  # the guides' 序号 is 0–999; a long session passes 1,000
    name = "受理"
    description = "窗口工作人员核对材料，符合要求的当场受理"
    limit_days = 1


class SpecialStepFactory(DjangoModelFactory):
    class Meta:
        model = SpecialStep

    implementation = factory.SubFactory(ImplementationFactory)
    name = "现场勘验"
    description = "对申请场所进行现场核查"
    limit_days = 5
    counts_toward_limit = False


class FAQFactory(DjangoModelFactory):
    class Meta:
        model = FAQ

    implementation = factory.SubFactory(ImplementationFactory)
    order = factory.Sequence(lambda n: n % 1000)  # the guides' 序号 is 0–999; a long session passes 1,000
    question = "可以委托他人办理吗？"
    answer = "可以，受托人需携带授权委托书和本人身份证件。"


class SituationQuestionFactory(DjangoModelFactory):
    class Meta:
        model = SituationQuestion

    implementation = factory.SubFactory(ImplementationFactory)
    order = factory.Sequence(lambda n: n % 1000)  # the guides' 序号 is 0–999; a long session passes 1,000
    code = factory.Sequence(lambda n: f"q{n}")
    text = factory.Sequence(lambda n: f"测试问题{n}？")


class SituationOptionFactory(DjangoModelFactory):
    """An option; pass ``adds_materials=[...]``, ``removes_materials=[...]``, ``adds_fees=[...]``,
    ``skips_implementations=[...]`` (a bundle's question)."""

    class Meta:
        model = SituationOption
        skip_postgeneration_save = True

    question = factory.SubFactory(SituationQuestionFactory)
    order = factory.Sequence(lambda n: n % 1000)  # the guides' 序号 is 0–999; a long session passes 1,000
    code = factory.Sequence(lambda n: f"o{n}")
    label = factory.Sequence(lambda n: f"选项{n}")

    class Params:
        waiving = factory.Trait(waives_fees=True, explanation="符合减免条件，免收费用")

    @factory.post_generation
    def adds_materials(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.adds_materials.set(extracted)

    @factory.post_generation
    def removes_materials(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.removes_materials.set(extracted)

    @factory.post_generation
    def adds_fees(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.adds_fees.set(extracted)

    @factory.post_generation
    def skips_implementations(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.skips_implementations.set(extracted)


class BundleFactory(DjangoModelFactory):
    """A bundle; pass ``implementations=[...]`` to add them in that order."""

    class Meta:
        model = Bundle
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"bundle-{n}")
    name = factory.Sequence(lambda n: f"测试一件事{n}")
    description = "一次告知、一表申请、一套材料、一窗受理"
    audience = Audience.PERSON
    region = factory.LazyFunction(region_by_code)
    lead_department = factory.SubFactory(DepartmentFactory)
    promised_limit_days = 5
    visits = 1

    @factory.post_generation
    def implementations(obj, create, extracted, **kwargs):
        if create and extracted:
            for order, implementation in enumerate(extracted, start=1):
                BundleItem.objects.create(bundle=obj, implementation=implementation, order=order)

    @factory.post_generation
    def topics(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.topics.set(extracted)


class BundleItemFactory(DjangoModelFactory):
    class Meta:
        model = BundleItem

    bundle = factory.SubFactory(BundleFactory)
    implementation = factory.SubFactory(ImplementationFactory)
    order = factory.Sequence(lambda n: n % 1000)  # the guides' 序号 is 0–999; a long session passes 1,000
