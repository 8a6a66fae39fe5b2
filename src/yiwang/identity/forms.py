"""Forms of the identity pages: they parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("用户名"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("密码"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=_("动态口令（6位数字）"),
        regex=r"^\d{6}$",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        error_messages={"invalid": _("请输入6位数字动态口令")},
    )


class RegistrationForm(forms.Form):
    username = forms.CharField(
        label=_("用户名"), max_length=40, widget=forms.TextInput(attrs={"autocomplete": "username"})
    )
    surname = forms.CharField(label=_("姓"), max_length=15)
    given_name = forms.CharField(label=_("名"), max_length=15)
    id_number = forms.CharField(label=_("公民身份号码"), max_length=18, min_length=15)
    phone = forms.CharField(label=_("手机号码"), max_length=11, required=False)
    password = forms.CharField(
        label=_("密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("至少10位，不能全为数字，不能与个人信息相似"),
    )
    password_again = forms.CharField(
        label=_("再次输入密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    accept_privacy = forms.BooleanField(
        label=_("我已阅读并同意《一网通办隐私政策》"),
        help_text=_("隐私政策说明我们收集哪些个人信息、用于什么、保存多久以及您的权利；全文见注册页下方链接。"),
        error_messages={"required": _("注册前须阅读并同意隐私政策")},
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("两次输入的密码不一致"))
        return data


class PhoneForm(forms.Form):
    phone = forms.CharField(label=_("手机号码"), max_length=11)


class PhoneCodeForm(forms.Form):
    phone = forms.CharField(widget=forms.HiddenInput)
    code = forms.CharField(
        label=_("短信验证码"),
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class FaceForm(forms.Form):
    sample = forms.CharField(label=_("人脸采集数据"), max_length=200)


class BindEnterpriseForm(forms.Form):
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=18)


class MandateForm(forms.Form):
    enterprise = forms.ChoiceField(label=_("委托方"), required=False)
    agent_name = forms.CharField(label=_("经办人姓名"), max_length=30)
    agent_id_number = forms.CharField(label=_("经办人身份号码"), max_length=18)
    covers_all_items = forms.BooleanField(label=_("授权办理全部事项"), required=False)
    item_codes = forms.CharField(
        label=_("授权事项编码（每行一个）"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    valid_from = forms.DateField(label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(label=_("截止日期"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, enterprises=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].choices = [("", _("本人（个人委托）"))] + [
            (enterprise.credit_code, enterprise.name) for enterprise in enterprises
        ]


class PhoneOnlyForm(forms.Form):
    phone = forms.CharField(
        label=_("已验证的手机号码"),
        max_length=11,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "numeric"}),
    )


class SmsCodeLoginForm(forms.Form):
    phone = forms.CharField(widget=forms.HiddenInput)
    code = forms.CharField(
        label=_("短信验证码"),
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class ResetPasswordForm(SmsCodeLoginForm):
    password = forms.CharField(
        label=_("新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("至少10位，不能全为数字，不能与个人信息相似"),
    )
    password_again = forms.CharField(
        label=_("再次输入新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("两次输入的密码不一致"))
        return data


class ChangePhoneForm(forms.Form):
    new_phone = forms.CharField(
        label=_("新手机号码"), max_length=11, widget=forms.TextInput(attrs={"autocomplete": "tel"})
    )
    password = forms.CharField(
        label=_("当前密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ConfirmPhoneForm(forms.Form):
    new_phone = forms.CharField(widget=forms.HiddenInput)
    code = forms.CharField(
        label=_("新手机收到的短信验证码"),
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
