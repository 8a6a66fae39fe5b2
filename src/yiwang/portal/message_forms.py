"""The form of a person's message settings (/me/messages/settings): channels, digest, topics, language."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from yiwang.notifications.constants import STAFF_MESSAGE_TOPICS, MessageTopic


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

    def __init__(self, *args, staff: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not staff:  # a citizen is never sent a staff topic: don't offer to mute one
            field = self.fields["muted_topics"]
            field.choices = [  # type: ignore[attr-defined]
                (value, label) for value, label in MessageTopic.choices if value not in STAFF_MESSAGE_TOPICS
            ]
