"""投诉、咨询、建议: what citizens file, where it is routed, its history, and FAQ offers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..constants import FaqOfferStatus, FeedbackEventKind, FeedbackKind, FeedbackStatus, FeedbackSubject


class Feedback(models.Model):
    """A complaint, question or suggestion about an item, a case or a department."""

    number = models.CharField(_("编号"), max_length=32, unique=True)
    query_code_hash = models.CharField(_("查询码摘要"), max_length=64, blank=True)
    kind = models.CharField(_("类型"), max_length=16, choices=FeedbackKind.choices)
    subject = models.CharField(_("对象"), max_length=16, choices=FeedbackSubject.choices)
    item = models.ForeignKey(
        "catalog.ServiceItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        "applications.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "regions.Department", verbose_name=_("承办部门"), on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+"
    )
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("内容"))
    idempotency_key = models.CharField(max_length=100, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=FeedbackStatus.choices, default=FeedbackStatus.OPEN
    )
    expected_on = models.DateField(_("预计答复日期"))
    answer = models.TextField(_("答复"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("重新办理次数"), default=0)
    publish_allowed = models.BooleanField(_("同意公开答复"), default=False)
    published_question = models.TextField(_("公开的问题（已脱敏）"), blank=True)
    published_answer = models.TextField(_("公开的答复"), blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("投诉咨询建议")
        verbose_name_plural = _("投诉咨询建议")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["citizen", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="feedback_idempotency_key_unique",
            )
        ]
        indexes = [
            models.Index(fields=["department", "status", "expected_on"], name="feedback_queue_idx"),
            models.Index(fields=["citizen", "-created_at"], name="feedback_citizen_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class FeedbackEvent(models.Model):
    """The history of a complaint: routed, transferred (with reason), answered, reopened, reminded."""

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事件"), max_length=20, choices=FeedbackEventKind.choices)
    text = models.CharField(_("说明"), max_length=1000, blank=True)
    from_department = models.ForeignKey(
        "regions.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_department = models.ForeignKey(
        "regions.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    expected_on = models.DateField(_("预计答复日期"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_public = models.BooleanField(_("提交人可见"), default=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("投诉咨询建议记录")
        verbose_name_plural = _("投诉咨询建议记录")
        ordering = ["feedback_id", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.feedback_id} {self.kind}"


class FaqOffer(models.Model):
    """A published consultation answer offered to the item's guide FAQ; the guide's editors decide."""

    feedback = models.OneToOneField(Feedback, on_delete=models.CASCADE, related_name="faq_offer")
    item = models.ForeignKey("catalog.ServiceItem", on_delete=models.PROTECT, related_name="+")
    question = models.TextField(_("问题"))
    answer = models.TextField(_("答复"))
    status = models.CharField(
        _("状态"), max_length=10, choices=FaqOfferStatus.choices, default=FaqOfferStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("常见问题推荐")
        verbose_name_plural = _("常见问题推荐")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.question[:40]
