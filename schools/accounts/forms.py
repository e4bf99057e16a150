from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from schools.accounts.policy import parse_networks
from schools.permissions import READ_SCOPE_OWN_CLASSES, READ_SCOPE_SCHOOL


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


class ReadScopeForm(forms.Form):
    read_scope = forms.ChoiceField(
        label="教職員の閲覧範囲",
        choices=[
            (READ_SCOPE_SCHOOL, "学校全体: 教職員は所属校のすべての学級と児童生徒を閲覧できる"),
            (
                READ_SCOPE_OWN_CLASSES,
                "担当学級のみ: 学級担任・教科担任は担当する学級とその児童生徒だけを閲覧できる",
            ),
        ],
        widget=forms.RadioSelect,
        help_text="出欠 (備考を含む)・成績・名簿の閲覧に、画面・出力・API のすべてで適用します。"
        "学校管理者はこの設定にかかわらず自校のすべての学級を、教育委員会は全校を閲覧できます。",
    )


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
