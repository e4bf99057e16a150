from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from schools.accounts.policy import parse_networks


class CodeForm(forms.Form):
    code = forms.CharField(
        label="確認コード",
        max_length=32,
        help_text="認証アプリに表示された6桁の数字、またはリカバリーコード",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class EnrolForm(forms.Form):
    code = forms.CharField(
        label="確認コード (6桁)",
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class ReauthForm(forms.Form):
    secret = forms.CharField(
        label="パスワードまたは確認コード",
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


class PolicyForm(forms.Form):
    mfa_required = forms.BooleanField(
        label="全教職員に二要素認証を求める",
        required=False,
        help_text="教育委員会・学校の管理者には、この設定にかかわらず常に求めます。",
    )
    exempt_networks = forms.CharField(
        label="二要素認証を免除する学校ネットワーク",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="CIDR 表記で 1 行に 1 つ (例: 10.20.0.0/16)。校内ネットワークからの"
        "ログインだけを免除します。管理者は免除されません。",
    )

    def clean_exempt_networks(self) -> str:
        text = self.cleaned_data["exempt_networks"]
        if "\x00" in text:
            raise ValidationError("使用できない文字が含まれています。")
        parse_networks(text)
        return text


class TokenForm(forms.Form):
    name = forms.CharField(label="用途", max_length=100, help_text="例: 成績集計スクリプト")
    days = forms.IntegerField(
        label="有効期間 (日)", min_value=1, max_value=365, initial=settings.AI_API_TOKEN_DAYS
    )


class PasswordResetForm(forms.Form):
    password1 = forms.CharField(
        label="新しい初期パスワード",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        max_length=128,
    )
    password2 = forms.CharField(
        label="確認のためもう一度",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        max_length=128,
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            raise ValidationError("2つのパスワードが一致しません。")
        return data
