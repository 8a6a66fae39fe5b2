"""Forms of the portal: search filters and the situation wizard."""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from yiwang.catalog.constants import Audience, ItemType
from yiwang.catalog.models import Implementation, SituationOption, SituationQuestion

SEARCH_PAGE_SIZE = 20


class SearchForm(forms.Form):
    """The search box and its filters; every filter is optional."""

    q = forms.CharField(label=_("搜索事项"), required=False, strip=True)
    audience = forms.ChoiceField(
        label=_("服务对象"), required=False, choices=[("", _("不限")), *Audience.choices]
    )
    department = forms.ChoiceField(label=_("部门"), required=False)
    item_type = forms.TypedChoiceField(
        label=_("事项类型"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("不限")), *ItemType.choices],
    )
    topic = forms.ChoiceField(label=_("主题"), required=False)
    online = forms.BooleanField(label=_("可网上办理"), required=False)
    zero_visit = forms.BooleanField(label=_("零跑动（不用到现场）"), required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=500)

    def __init__(self, data: QueryDict, *, departments, topics) -> None:
        super().__init__(data)
        self.fields["department"].choices = [("", _("不限"))] + [(d.credit_code, d.name) for d in departments]
        self.fields["topic"].choices = [("", _("不限"))] + [(t.code, t.name) for t in topics]

    def filters(self) -> dict:
        """Keyword arguments for search_catalog (without the query, region and paging)."""
        data = self.cleaned_data
        return {
            "audience": data.get("audience") or None,
            "department": data.get("department") or None,
            "item_type": data.get("item_type"),
            "topic": data.get("topic") or None,
            "online": True if data.get("online") else None,
            "zero_visit": True if data.get("zero_visit") else None,
        }

    @property
    def page_number(self) -> int:
        return (self.cleaned_data.get("page") if self.is_valid() else None) or 1

    @property
    def has_filters(self) -> bool:
        return self.is_valid() and any(value is not None for value in self.filters().values())


@dataclass
class WizardQuestion:
    """A situation question with what the visitor answered and the answer that reveals it."""

    question: SituationQuestion
    options: list[SituationOption]
    selected: list[str] = field(default_factory=list)
    trigger_question: str = ""
    trigger_option: str = ""
    trigger_label: str = ""
    is_shown: bool = True

    @property
    def is_follow_up(self) -> bool:
        return bool(self.trigger_question)


class SituationForm:
    """The wizard's questions bound to the answers in a query string (question code → option code)."""

    def __init__(
        self,
        *,
        implementation: Implementation | None = None,
        questions: list[SituationQuestion] | None = None,
        data: QueryDict | None = None,
    ) -> None:
        """Questions of a guide (``implementation``) or given directly (a bundle's, 一件事的情形)."""
        if questions is None:
            questions = list(implementation.questions.all()) if implementation is not None else []
        owner = {option.pk: (question, option) for question in questions for option in question.options.all()}
        self.questions: list[WizardQuestion] = []
        self.answers: dict[str, str | list[str]] = {}
        for question in questions:
            options = list(question.options.all())
            valid = {option.code for option in options}
            # Unknown codes (an old bookmark, a hand-edited link) are dropped rather than refused.
            selected = [code for code in (data.getlist(question.code) if data else []) if code in valid]
            entry = WizardQuestion(question=question, options=options, selected=selected)
            if question.shown_when_id in owner:
                trigger_question, trigger_option = owner[question.shown_when_id]
                entry.trigger_question = trigger_question.code
                entry.trigger_option = trigger_option.code
                entry.trigger_label = trigger_option.label
            self.questions.append(entry)
            if selected:
                self.answers[question.code] = selected[0] if len(selected) == 1 else selected

    @property
    def is_bound(self) -> bool:
        return bool(self.answers)

    def show_only(self, visible: list[SituationQuestion]) -> None:
        """Mark the questions the catalog says apply to these answers; hidden ones lose their answer."""
        visible_ids = {question.pk for question in visible}
        for entry in self.questions:
            entry.is_shown = entry.question.pk in visible_ids
            if not entry.is_shown:
                entry.selected = []
