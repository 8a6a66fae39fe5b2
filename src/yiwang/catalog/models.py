"""The service catalog: items (事项), regional implementations (实施清单) and their guides (办事指南),
situations (情形), topics (主题) and life-event bundles (一件事)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.models import TimeStampedModel
from yiwang.regions.models import Department, Region

from .constants import (
    Audience,
    DayUnit,
    ExerciseLevel,
    HandlingType,
    ItemKind,
    ItemType,
    MaterialForm,
    MaterialMedium,
    MaterialRequirement,
    MaterialSource,
    OnlineDepth,
    TopicKind,
)


class Topic(models.Model):
    """A theme or life event under which citizens and enterprises look for services."""

    code = models.SlugField(_("编码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    audience = models.CharField(_("服务对象"), max_length=16, choices=Audience.choices)
    kind = models.CharField(_("类别"), max_length=16, choices=TopicKind.choices, default=TopicKind.THEME)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("主题")
        verbose_name_plural = _("主题")
        ordering = ["audience", "order", "code"]

    def __str__(self) -> str:
        return self.name


class ServiceItem(TimeStampedModel):
    """A catalog item: basic item (主项), sub-item (子项) or handling item (业务办理项)."""

    code = models.CharField(_("事项编码"), max_length=64, unique=True)
    name = models.CharField(_("事项名称"), max_length=200)
    kind = models.CharField(_("层级"), max_length=16, choices=ItemKind.choices, default=ItemKind.SUB)
    handling_type = models.CharField(
        _("业务办理项类型"),
        max_length=16,
        choices=HandlingType.choices,
        blank=True,
        default=HandlingType.NONE,
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级事项"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    item_type = models.PositiveSmallIntegerField(_("事项类型"), choices=ItemType.choices)
    exercise_level = models.PositiveSmallIntegerField(
        _("行使层级"), choices=ExerciseLevel.choices, default=ExerciseLevel.COUNTY
    )
    competent_department = models.CharField(_("主管部门"), max_length=100, blank=True)
    audiences = models.JSONField(_("服务对象"), default=list, help_text=_('如 ["person"] 或 ["enterprise"]'))
    topics = models.ManyToManyField(Topic, verbose_name=_("主题"), blank=True, related_name="items")
    legal_basis = models.TextField(_("设定依据"), blank=True)
    implementation_basis = models.TextField(_("实施依据"), blank=True)
    required_assurance_level = models.PositiveSmallIntegerField(
        _("所需实名等级"),
        default=2,
        help_text=_("2 格式校验，3 两项比对加短信，4 人像比对，5 证书或现场核验"),
    )
    keywords = models.CharField(
        _("检索关键词"), max_length=300, blank=True, help_text=_("群众常用的说法，用空格分隔")
    )
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("事项")
        verbose_name_plural = _("事项")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Implementation(TimeStampedModel):
    """An item as implemented by one body in one region (实施清单), carrying the whole guide."""

    code = models.CharField(_("实施编码"), max_length=100, unique=True)
    item = models.ForeignKey(
        ServiceItem, verbose_name=_("事项"), on_delete=models.PROTECT, related_name="implementations"
    )
    name = models.CharField(_("实施名称"), max_length=200)
    region = models.ForeignKey(
        Region, verbose_name=_("实施区划"), on_delete=models.PROTECT, related_name="implementations"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("实施主体"), on_delete=models.PROTECT, related_name="implementations"
    )
    conditions = models.TextField(_("受理条件"), blank=True)
    process_description = models.TextField(_("办理流程说明"), blank=True)
    statutory_limit_days = models.PositiveSmallIntegerField(_("法定办结时限"), null=True, blank=True)
    statutory_limit_unit = models.CharField(
        _("法定办结时限单位"), max_length=16, choices=DayUnit.choices, default=DayUnit.WORKING
    )
    promised_limit_days = models.PositiveSmallIntegerField(_("承诺办结时限"), null=True, blank=True)
    promised_limit_unit = models.CharField(
        _("承诺办结时限单位"), max_length=16, choices=DayUnit.choices, default=DayUnit.WORKING
    )
    supplement_notice_days = models.PositiveSmallIntegerField(
        _("补正告知时限"),
        null=True,
        blank=True,
        help_text=_(
            "材料不齐全或不符合法定形式时，一次性告知需要补正的全部内容的期限（行政许可法第三十二条）"
        ),
    )
    supplement_notice_unit = models.CharField(
        _("补正告知时限单位"), max_length=16, choices=DayUnit.choices, default=DayUnit.WORKING
    )
    is_free = models.BooleanField(_("不收费"), default=True)
    fee_basis = models.TextField(_("收费依据"), blank=True)
    place = models.CharField(_("办理地点"), max_length=300, blank=True)
    hours = models.CharField(_("办理时间"), max_length=200, blank=True)
    phone = models.CharField(_("咨询电话"), max_length=100, blank=True)
    complaint_channel = models.CharField(_("监督投诉渠道"), max_length=300, blank=True)
    online_depth = models.PositiveSmallIntegerField(
        _("网上办理深度"), choices=OnlineDepth.choices, null=True, blank=True
    )
    visits = models.PositiveSmallIntegerField(
        _("到现场次数"), null=True, blank=True, choices=[(0, "0 次"), (1, "1 次"), (2, "2 次")]
    )
    result_name = models.CharField(_("审批结果名称"), max_length=200, blank=True)
    result_license_type = models.CharField(_("结果电子证照类型代码"), max_length=64, blank=True)
    completeness = models.PositiveSmallIntegerField(_("要素完整度（%）"), default=0, db_index=True)
    missing_elements = models.JSONField(_("缺失要素"), default=list, blank=True)
    consistency_problems = models.JSONField(
        _("自洽检查问题"),
        default=list,
        blank=True,
        help_text=_("指南自洽检查发现的错误（error）和待核实问题（flag），保存时重新计算"),
    )
    view_count = models.PositiveIntegerField(_("浏览次数"), default=0)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("实施清单")
        verbose_name_plural = _("实施清单")
        ordering = ["code"]
        indexes = [models.Index(fields=["region", "item"]), models.Index(fields=["-view_count"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.region.name}）" if "region" in self.__dict__ else self.name

    @property
    def is_online(self) -> bool:
        return (self.online_depth or 0) >= OnlineDepth.ONLINE_SUBMISSION


class GuideVersion(models.Model):
    """How many times an implementation's guide changed: part of the key of its cached renderings.

    Bumped by the catalog's write services in the editing transaction (``guide_cache.bump_guide_versions``),
    so every node's next request after the commit reads a new key (ADR 0012). A separate one-row-per-guide
    table, not a column: adding a column would rewrite the implementations table on SQLite.
    """

    implementation = models.OneToOneField(
        Implementation, on_delete=models.CASCADE, primary_key=True, related_name="guide_version"
    )
    version = models.PositiveBigIntegerField(_("指南版本"), default=0)

    class Meta:
        verbose_name = _("指南版本")
        verbose_name_plural = _("指南版本")

    def __str__(self) -> str:
        return f"{self.implementation_id} v{self.version}"


class Material(models.Model):
    """A material the applicant provides (申请材料), with every attribute the guide standard lists."""

    implementation = models.ForeignKey(Implementation, on_delete=models.CASCADE, related_name="materials")
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    key = models.SlugField(
        _("材料标识"),
        max_length=64,
        blank=True,
        help_text=_("同一种材料在不同事项中使用同一标识，用于“一件事”去重"),
    )
    name = models.CharField(_("材料名称"), max_length=200)
    form = models.CharField(
        _("材料形式"), max_length=24, choices=MaterialForm.choices, default=MaterialForm.ORIGINAL
    )
    copies = models.PositiveSmallIntegerField(_("份数"), default=1)
    medium = models.CharField(
        _("载体"), max_length=16, choices=MaterialMedium.choices, default=MaterialMedium.BOTH
    )
    requirement = models.CharField(
        _("必要性"), max_length=16, choices=MaterialRequirement.choices, default=MaterialRequirement.REQUIRED
    )
    source = models.CharField(
        _("来源渠道"), max_length=16, choices=MaterialSource.choices, default=MaterialSource.APPLICANT
    )
    source_detail = models.CharField(_("出具单位"), max_length=200, blank=True)
    blank_form_url = models.CharField(_("空白表格"), max_length=300, blank=True)
    sample_url = models.CharField(_("示例样表"), max_length=300, blank=True)
    license_type_code = models.CharField(_("可替代的电子证照类型代码"), max_length=64, blank=True)
    license_type_name = models.CharField(_("可替代的电子证照名称"), max_length=100, blank=True)
    notes = models.TextField(_("填报须知"), blank=True)

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["implementation_id", "order", "id"]

    def __str__(self) -> str:
        return self.name


class Fee(models.Model):
    implementation = models.ForeignKey(Implementation, on_delete=models.CASCADE, related_name="fees")
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    name = models.CharField(_("收费项目"), max_length=200)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    description = models.CharField(_("收费标准"), max_length=300, blank=True)
    basis = models.TextField(_("收费依据"), blank=True)
    is_by_situation = models.BooleanField(_("仅特定情形收取"), default=False)

    class Meta:
        verbose_name = _("收费项目")
        verbose_name_plural = _("收费项目")
        ordering = ["implementation_id", "order", "id"]

    def __str__(self) -> str:
        return self.name


class ProcessStep(models.Model):
    implementation = models.ForeignKey(Implementation, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    name = models.CharField(_("环节名称"), max_length=100)
    description = models.TextField(_("办理标准"), blank=True)
    limit_days = models.PositiveSmallIntegerField(_("环节时限"), null=True, blank=True)
    limit_unit = models.CharField(
        _("环节时限单位"), max_length=16, choices=DayUnit.choices, default=DayUnit.WORKING
    )

    class Meta:
        verbose_name = _("办理环节")
        verbose_name_plural = _("办理环节")
        ordering = ["implementation_id", "order", "id"]

    def __str__(self) -> str:
        return self.name


class SpecialStep(models.Model):
    """A special procedure (特别程序): site inspection, expert review, public notice, hearing …"""

    implementation = models.ForeignKey(Implementation, on_delete=models.CASCADE, related_name="special_steps")
    name = models.CharField(_("特别程序名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    limit_days = models.PositiveSmallIntegerField(_("时限"), null=True, blank=True)
    limit_unit = models.CharField(
        _("时限单位"), max_length=16, choices=DayUnit.choices, default=DayUnit.WORKING
    )
    counts_toward_limit = models.BooleanField(_("计入法定办结时限"), default=False)

    class Meta:
        verbose_name = _("特别程序")
        verbose_name_plural = _("特别程序")
        ordering = ["implementation_id", "id"]

    def __str__(self) -> str:
        return self.name


class FAQ(models.Model):
    implementation = models.ForeignKey(Implementation, on_delete=models.CASCADE, related_name="faqs")
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    question = models.CharField(_("问题"), max_length=300)
    answer = models.TextField(_("解答"))

    class Meta:
        verbose_name = _("常见问题")
        verbose_name_plural = _("常见问题")
        ordering = ["implementation_id", "order", "id"]

    def __str__(self) -> str:
        return self.question


class SituationQuestion(models.Model):
    """A question of the situation wizard (情形引导)."""

    # A question belongs to one guide, or to one bundle (一件事), whose answers choose the member items.
    implementation = models.ForeignKey(
        Implementation, on_delete=models.CASCADE, related_name="questions", null=True, blank=True
    )
    bundle = models.ForeignKey(
        "Bundle",
        verbose_name=_("一件事"),
        on_delete=models.CASCADE,
        related_name="questions",
        null=True,
        blank=True,
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    code = models.SlugField(_("编码"), max_length=64)
    text = models.CharField(_("问题"), max_length=200)
    help_text = models.CharField(_("说明"), max_length=300, blank=True)
    shown_when = models.ForeignKey(
        "SituationOption",
        verbose_name=_("仅在选择该选项时显示"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_up_questions",
    )

    class Meta:
        verbose_name = _("情形问题")
        verbose_name_plural = _("情形问题")
        ordering = ["implementation_id", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["implementation", "code"], name="question_code_unique"),
            models.UniqueConstraint(fields=["bundle", "code"], name="bundle_question_code_unique"),
            models.CheckConstraint(
                condition=models.Q(implementation__isnull=False, bundle__isnull=True)
                | models.Q(implementation__isnull=True, bundle__isnull=False),
                name="question_has_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.text


class SituationOption(models.Model):
    """An answer that adds or removes materials and changes fees and the time limit."""

    question = models.ForeignKey(SituationQuestion, on_delete=models.CASCADE, related_name="options")
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    code = models.SlugField(_("编码"), max_length=64)
    label = models.CharField(_("选项"), max_length=200)
    explanation = models.CharField(
        _("原因说明"), max_length=300, blank=True, help_text=_("向申请人解释为什么需要或不需要这些材料")
    )
    adds_materials = models.ManyToManyField(
        Material, verbose_name=_("增加材料"), blank=True, related_name="added_by"
    )
    removes_materials = models.ManyToManyField(
        Material, verbose_name=_("免交材料"), blank=True, related_name="removed_by"
    )
    adds_fees = models.ManyToManyField(Fee, verbose_name=_("增加收费"), blank=True, related_name="added_by")
    skips_implementations = models.ManyToManyField(
        Implementation,
        verbose_name=_("无需办理的事项"),
        blank=True,
        related_name="skipped_by",
        help_text=_("仅用于一件事的情形问题：选择此项的申请人无需办理这些包含事项"),
    )
    waives_fees = models.BooleanField(_("免收全部费用"), default=False)
    promised_limit_days = models.PositiveSmallIntegerField(_("此情形承诺时限"), null=True, blank=True)
    promised_limit_unit = models.CharField(
        _("此情形承诺时限单位"), max_length=16, choices=DayUnit.choices, default=DayUnit.WORKING
    )

    class Meta:
        verbose_name = _("情形选项")
        verbose_name_plural = _("情形选项")
        ordering = ["question_id", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["question", "code"], name="option_code_unique")]

    def __str__(self) -> str:
        return self.label


class Bundle(TimeStampedModel):
    """A life-event bundle (一件事): several implementations served as one, materials de-duplicated."""

    code = models.SlugField(_("编码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    audience = models.CharField(_("服务对象"), max_length=16, choices=Audience.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("实施区划"), on_delete=models.PROTECT, related_name="bundles"
    )
    lead_department = models.ForeignKey(
        Department, verbose_name=_("牵头部门"), on_delete=models.PROTECT, related_name="led_bundles"
    )
    implementations = models.ManyToManyField(
        Implementation, through="BundleItem", related_name="bundles", verbose_name=_("包含事项")
    )
    topics = models.ManyToManyField(Topic, verbose_name=_("主题"), blank=True, related_name="bundles")
    keywords = models.CharField(_("检索关键词"), max_length=300, blank=True)
    promised_limit_days = models.PositiveSmallIntegerField(_("承诺办结时限"), null=True, blank=True)
    promised_limit_unit = models.CharField(
        _("承诺办结时限单位"), max_length=16, choices=DayUnit.choices, default=DayUnit.WORKING
    )
    visits = models.PositiveSmallIntegerField(_("到现场次数"), null=True, blank=True)
    place = models.CharField(_("办理地点"), max_length=300, blank=True)
    view_count = models.PositiveIntegerField(_("浏览次数"), default=0)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("一件事")
        verbose_name_plural = _("一件事")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class BundleItem(models.Model):
    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="bundle_items")
    implementation = models.ForeignKey(Implementation, on_delete=models.PROTECT, related_name="bundle_items")
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("一件事包含事项")
        verbose_name_plural = _("一件事包含事项")
        ordering = ["bundle_id", "order"]
        constraints = [
            models.UniqueConstraint(fields=["bundle", "implementation"], name="bundle_item_unique")
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.implementation_id}"


class LegalInstrument(TimeStampedModel):
    """A law, regulation, rule or normative document that guides cite (法律法规及规范性文件)."""

    code = models.SlugField(_("编码"), max_length=64, unique=True)
    name = models.CharField(
        _("名称"), max_length=200, help_text=_("含书名号，如《中华人民共和国居民身份证法》")
    )
    document_number = models.CharField(
        _("文号"),
        max_length=100,
        blank=True,
        help_text=_("如 国务院令第804号、财税〔2016〕36号；法律填主席令号"),
    )
    revised_on = models.DateField(_("最新修订（发布）日期"), null=True, blank=True)
    source_url = models.URLField(_("权威来源链接"), max_length=300, blank=True)
    is_in_force = models.BooleanField(_("现行有效"), default=True)
    replaced_by = models.ForeignKey(
        "self", verbose_name=_("被替代为"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("法律法规及文件")
        verbose_name_plural = _("法律法规及文件")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Citation(models.Model):
    """One statement of a guide resting on one article of one instrument, with when it was last checked."""

    implementation = models.ForeignKey(Implementation, on_delete=models.CASCADE, related_name="citations")
    instrument = models.ForeignKey(
        LegalInstrument, verbose_name=_("法律法规及文件"), on_delete=models.PROTECT, related_name="citations"
    )
    article = models.CharField(_("条款"), max_length=100, help_text=_("如 第二十一条、第七条第二款、附件3"))
    statement = models.CharField(_("引用内容"), max_length=300, help_text=_("指南中依据该条款的表述"))
    checked_on = models.DateField(_("核对日期"), null=True, blank=True, help_text=_("空表示尚未核对"))
    source_url = models.URLField(_("核对来源链接"), max_length=300, blank=True)
    needs_review = models.BooleanField(_("待复核"), default=False)
    review_reason = models.CharField(_("复核原因"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("引用依据")
        verbose_name_plural = _("引用依据")
        ordering = ["implementation_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["implementation", "instrument", "article", "statement"], name="citation_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument.name}{self.article}"
