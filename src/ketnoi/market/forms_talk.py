"""Forms of the conversation and review pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .richtext import MAX_LENGTH


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Tin nhắn của bạn"),
        max_length=MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_LENGTH, "aria-describedby": "body-help"}),
        error_messages={"required": _("Tin nhắn còn trống. Hãy viết vài chữ.")},
    )


class ConversationOpenForm(forms.Form):
    product = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    order = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)


STAR_CHOICES = [(n, "★" * n) for n in range(5, 0, -1)]


class ReviewForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=_("Bạn chấm mấy sao?"),
        choices=STAR_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Hãy chọn từ 1 đến 5 sao.")},
    )
    text = forms.CharField(
        label=_("Vài lời nhận xét (không bắt buộc)"),
        max_length=MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_LENGTH}),
    )
