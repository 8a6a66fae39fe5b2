"""Pages of the consuming department's data administrators: subscribe a grant's system to change
notices, list the subscriptions (both sides of the grant see them), cancel one.

Each page parses, calls one service or selector, renders; who may do what is the services' answer.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yiwang.core.changes import ChangeKind
from yiwang.core.errors import DomainError
from yiwang.core.page_auth import staff_verified_required

from ..selectors import managed_department_ids
from ..selectors.subscriptions import is_live, list_subscribable_grants, list_subscriptions_for
from ..services.subscriptions import CHANGE_TOPIC, MAX_URL_LENGTH, cancel_subscription, subscribe_grant

PAGE_SIZE = 100


class GrantChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return (
            f"{obj.resource.name} · {obj.system.client_id} · {obj.consumer.name}（至 {obj.ends_on:%Y-%m-%d}）"
        )


class SubscriptionForm(forms.Form):
    grant = GrantChoice(queryset=None, label=gettext_lazy("授权"), empty_label=None)
    url = forms.CharField(
        max_length=MAX_URL_LENGTH,
        label=gettext_lazy("推送地址"),
        widget=forms.URLInput(attrs={"placeholder": "https://", "inputmode": "url"}),
        help_text=gettext_lazy("本部门业务系统接收推送的 https 地址；不接受内网、回环地址"),
    )
    kinds = forms.MultipleChoiceField(
        choices=ChangeKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("变更类型（不选为该资源的全部类型）"),
    )

    def __init__(self, *args, grants, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grant"].queryset = grants


@staff_verified_required
def subscriptions(request):
    """The subscriptions of the user's departments, and (for a consumer) the form to add one."""
    grants = list_subscribable_grants(actor=request.user)
    form = SubscriptionForm(request.POST or None, grants=grants)
    if request.method == "POST" and form.is_valid():
        try:
            subscribe_grant(
                actor=request.user,
                grant_id=form.cleaned_data["grant"].pk,
                url=form.cleaned_data["url"],
                kinds=form.cleaned_data["kinds"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("已订阅"))
            return redirect("exchange:subscriptions")
    rows = list_subscriptions_for(actor=request.user).order_by("-created_at", "-pk")[:PAGE_SIZE]
    return render(
        request,
        "exchange/subscriptions.html",
        {
            "rows": [{"subscription": row, "is_live": is_live(row)} for row in rows],
            "form": form,
            "can_subscribe": grants.exists(),
            "managed": managed_department_ids(request.user),
            "kind_labels": dict(ChangeKind.choices),
            "topic": CHANGE_TOPIC,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@staff_verified_required
def cancel(request, subscription_id: int):
    try:
        cancel_subscription(actor=request.user, subscription_id=subscription_id)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已取消订阅"))
    return redirect("exchange:subscriptions")
