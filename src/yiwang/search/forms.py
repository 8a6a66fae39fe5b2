"""Forms of the search-miss screen: a missed query becomes a synonym or an implementation's keyword."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .services.curation import MAX_OFFICIAL_LENGTH


class SynonymForm(forms.Form):
    official = forms.CharField(
        label=_("规范说法"),
        max_length=MAX_OFFICIAL_LENGTH,
        help_text=_("目录中的叫法，如“犬类准养证”；保存后，该搜索词按此说法搜索"),
    )


class KeywordForm(forms.Form):
    implementation = forms.IntegerField(label=_("事项"), min_value=1, max_value=2**31 - 1)

    def __init__(self, *args, implementations=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("请选择事项"))] + [
            (implementation.pk, f"{implementation.name}（{implementation.department.name}）")
            for implementation in implementations
        ]
        self.fields["implementation"].widget = forms.Select(choices=choices)
