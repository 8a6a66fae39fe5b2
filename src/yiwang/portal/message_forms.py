"""The form of a person's message settings (/me/messages/settings): channels, digest, topics, language."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from yiwang.notifications.constants import MessageTopic


class MessageSettingsForm(forms.Form):
    sms = forms.BooleanField(label=_("短信通知"), required=False)
    email = forms.BooleanField(label=_("邮件通知"), required=False)
    daily_digest = forms.BooleanField(
        label=_("邮件每日汇总"), required=False, help_text=_("每天一封邮件汇总当天的消息（需开启邮件通知）")
    )
    muted_topics = forms.MultipleChoiceField(
        label=_("以下类别不发短信和邮件（站内消息照常保留）"),
        choices=MessageTopic.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    language = forms.ChoiceField(label=_("短信和邮件的语言"), choices=settings.LANGUAGES)
