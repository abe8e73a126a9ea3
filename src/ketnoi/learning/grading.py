"""Grading one response against an activity's answer key, on the server only.

Each kind reads only what the learner chose or wrote (``response``) and the
key stored with the activity; nothing the browser says about scores or
right answers is ever looked at. A response that does not fit the activity
(an option that does not exist, a missing photo) is refused with a
``DomainError`` and nothing is stored.

Shapes of ``response`` by kind:

- ``choice``, ``picture_choice``, ``scam``: ``{"choice": "b"}`` or, for a
  question with several right options, ``{"choices": ["a", "c"]}``;
- ``practice_photo``: ``{"photo": <uploaded file | bytes | data: URL>}``; the
  photo is checked and dropped, only its hint codes and size are kept;
- ``practice_story``: ``{"answers": {"who": "…", "how": "…", "from": "…"}}``;
- ``practice_reply``: ``{"text": "…"}``.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ketnoi.core.errors import DomainError
from ketnoi.core.text import fold, nfc

# The market's own photo checks: the same hints a seller gets on a product photo.
from ketnoi.market.services.photos import photo_hint_messages, photo_upload_hints

from .models import Activity

CHOICE_KINDS = frozenset({Activity.Kind.CHOICE, Activity.Kind.PICTURE_CHOICE, Activity.Kind.SCAM})
PHOTO_HINT_CODES = ("dark", "blurry", "small", "off_centre")
DEFAULT_SERIOUS_HINTS = ("dark", "blurry", "small")
DEFAULT_STORY_MIN_WORDS = 4
DEFAULT_REPLY_MIN_WORDS = 5
MAX_TEXT_LENGTH = 2000  # characters in one written answer
MAX_PHOTO_BYTES = 15 * 1024 * 1024

# The catalogue's guided questions (market forms: story_who, story_how, story_from).
DEFAULT_STORY_QUESTIONS: tuple[dict[str, str], ...] = (
    {
        "key": "who",
        "text": "Ai làm ra sản phẩm?",
        "text_en": "Who makes the product?",
        "hint": "Ví dụ: Chị Lò Thị Ơn và 20 chị em trong bản.",
        "hint_en": "For example: Lò Thị Ơn and twenty women of her village.",
    },
    {
        "key": "how",
        "text": "Làm như thế nào?",
        "text_en": "How is it made?",
        "hint": "Ví dụ: Dệt tay trên khung gỗ, mỗi tấm mất ba ngày.",
        "hint_en": "For example: woven by hand on a wooden loom, three days for each piece.",
    },
    {
        "key": "from",
        "text": "Làm từ nguyên liệu gì?",
        "text_en": "What is it made from?",
        "hint": "Ví dụ: Sợi bông tự trồng, nhuộm lá chàm.",
        "hint_en": "For example: cotton we grow ourselves, dyed with indigo leaves.",
    },
)

NUMBER_KEYWORD = "#"  # in a reply's keyword group: any number, such as a price

_WORD = re.compile(r"\w+", re.UNICODE)
_NOT_WORD = re.compile(r"[^\w]+")
_NUMBER_THEN_LETTER = re.compile(r"(\d)([^\W\d_])")
_LETTER_THEN_NUMBER = re.compile(r"([^\W\d_])(\d)")


@dataclass(frozen=True)
class Grade:
    correct: bool
    score: int
    feedback: list[str] = field(default_factory=list)  # codes, turned into words by feedback_messages
    response: dict[str, Any] = field(default_factory=dict)  # what is stored


def grade(activity: Activity, response: Any) -> Grade:
    """The grade of ``response`` to ``activity``; ``DomainError`` (422) when it does not fit."""
    if not isinstance(response, dict):
        raise _unfit(_("Câu trả lời không đúng dạng."))
    if activity.kind in CHOICE_KINDS:
        return _grade_choice(activity, response)
    if activity.kind == Activity.Kind.PRACTICE_PHOTO:
        return _grade_photo(activity, response)
    if activity.kind == Activity.Kind.PRACTICE_STORY:
        return _grade_story(activity, response)
    if activity.kind == Activity.Kind.PRACTICE_REPLY:
        return _grade_reply(activity, response)
    raise _unfit(_("Không chấm được loại câu hỏi này."))


def _unfit(message: str | Promise, code: str = "response_invalid") -> DomainError:
    return DomainError(message, code=code, status=422)


def _grade_choice(activity: Activity, response: dict[str, Any]) -> Grade:
    raw = response.get("choices", response.get("choice"))
    chosen = [raw] if isinstance(raw, str) else raw
    if not isinstance(chosen, list) or not chosen or not all(isinstance(key, str) for key in chosen):
        raise _unfit(_("Hãy chọn một câu trả lời."), "choice_missing")
    keys = {option["key"] for option in activity.options}
    picked = sorted(set(chosen))
    if not set(picked) <= keys:
        raise _unfit(_("Câu trả lời này không có trong các lựa chọn."), "choice_unknown")
    correct = set(picked) == set(activity.answer_key.get("correct", []))
    return Grade(correct=correct, score=activity.points if correct else 0, response={"choices": picked})


def photo_bytes(value: Any) -> io.BytesIO:
    """The photo in a response as a stream: an uploaded file, raw bytes or a ``data:`` URL."""
    if isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    elif isinstance(value, str):
        header, comma, payload = value.partition(",")
        if not comma or not header.startswith("data:") or not header.endswith(";base64"):
            raise _unfit(_("Hãy chọn một ảnh chụp sản phẩm."), "photo_missing")
        if len(payload) > MAX_PHOTO_BYTES * 4 // 3 + 4:
            raise DomainError(
                _("Ảnh quá lớn (tối đa 15 MB). Hãy chụp lại ở cỡ bình thường."),
                code="photo_too_large",
                status=413,
            )
        try:
            data = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise _unfit(_("Ảnh bị hỏng. Hãy chọn ảnh khác."), "photo_broken") from None
    elif hasattr(value, "read"):
        if getattr(value, "size", 0) > MAX_PHOTO_BYTES:
            raise DomainError(
                _("Ảnh quá lớn (tối đa 15 MB). Hãy chụp lại ở cỡ bình thường."),
                code="photo_too_large",
                status=413,
            )
        value.seek(0)
        data = value.read(MAX_PHOTO_BYTES + 1)
    else:
        raise _unfit(_("Hãy chọn một ảnh chụp sản phẩm."), "photo_missing")
    return io.BytesIO(data)


def _grade_photo(activity: Activity, response: dict[str, Any]) -> Grade:
    stream = photo_bytes(response.get("photo"))
    hints, original_size = photo_upload_hints(stream)
    serious = set(activity.answer_key.get("serious", DEFAULT_SERIOUS_HINTS))
    correct = not serious.intersection(hints)
    return Grade(
        correct=correct,
        score=activity.points if correct else 0,
        feedback=hints,
        response={"hints": hints, "width": original_size[0], "height": original_size[1]},
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _unfit(_("Câu trả lời phải là chữ."))
    text = nfc(value)
    if len(text) > MAX_TEXT_LENGTH:
        raise _unfit(_("Câu trả lời dài quá (tối đa 2000 chữ cái)."), "text_too_long")
    return text


def words(text: str) -> list[str]:
    """The folded words of ``text`` that contain at least one letter."""
    return [word for word in _WORD.findall(fold(text)) if any(ch.isalpha() for ch in word)]


def _grade_story(activity: Activity, response: dict[str, Any]) -> Grade:
    answers = response.get("answers")
    if not isinstance(answers, dict):
        raise _unfit(_("Hãy trả lời các câu hỏi."), "story_missing")
    keys = [question["key"] for question in activity.options]
    min_words = int(activity.answer_key.get("min_words", DEFAULT_STORY_MIN_WORDS))
    stored = {key: _text(answers.get(key)) for key in keys}
    hints = {question["key"]: " ".join(words(question.get("hint", ""))) for question in activity.options}
    feedback: list[str] = []
    seen: set[str] = set()
    for key in keys:
        text_words = words(stored[key])
        folded = " ".join(text_words)
        if not text_words:
            feedback.append(f"empty:{key}")
        elif len(text_words) < min_words:
            feedback.append(f"short:{key}")
        elif len(set(text_words)) < min(3, min_words) or folded in seen or folded in hints[key]:
            # The same word over and over, the same answer twice, or the example copied.
            feedback.append(f"unclear:{key}")
        seen.add(folded)
    correct = not feedback
    return Grade(
        correct=correct,
        score=activity.points if correct else 0,
        feedback=feedback,
        response={"answers": stored},
    )


def searchable(text: str) -> str:
    """``text`` folded, numbers split from letters ("150k" → "150 k"), punctuation as spaces."""
    folded = _NUMBER_THEN_LETTER.sub(r"\1 \2", fold(text))
    folded = _LETTER_THEN_NUMBER.sub(r"\1 \2", folded)
    return " ".join(_NOT_WORD.sub(" ", folded).split())


def keyword_found(keyword: str, text: str) -> bool:
    """Whether ``keyword`` (already ``searchable``; ``#`` is any number) is in ``text`` as whole words."""
    pattern = r"\d+" if keyword == NUMBER_KEYWORD else re.escape(keyword)
    return re.search(rf"(?<!\w){pattern}(?!\w)", text) is not None


def _grade_reply(activity: Activity, response: dict[str, Any]) -> Grade:
    text = _text(response.get("text"))
    if not text:
        raise _unfit(_("Hãy viết câu trả lời cho người mua."), "reply_missing")
    folded = searchable(text)
    feedback: list[str] = []
    min_words = int(activity.answer_key.get("min_words", DEFAULT_REPLY_MIN_WORDS))
    if len(words(text)) < min_words:
        feedback.append("too_short")
    for group in activity.answer_key.get("required", []):
        if not any(keyword_found(keyword, folded) for keyword in group["keywords"]):
            feedback.append(f"missing:{group['name']}")
    correct = not feedback
    return Grade(
        correct=correct,
        score=activity.points if correct else 0,
        feedback=feedback,
        response={"text": text},
    )


def feedback_messages(activity: Activity, codes: list[str], *, english: bool = False) -> list[str]:
    """What the codes of a graded answer say to the learner, in her language."""
    if activity.kind == Activity.Kind.PRACTICE_PHOTO:
        return [str(message) for message in photo_hint_messages(codes)]
    labels: dict[str, str] = {}
    if activity.kind == Activity.Kind.PRACTICE_STORY:
        for question in activity.options:
            labels[question["key"]] = question.get("text_en") if english else question.get("text", "")
    elif activity.kind == Activity.Kind.PRACTICE_REPLY:
        for group in activity.answer_key.get("required", []):
            labels[group["name"]] = group.get("label_en") if english else group.get("label", "")
    messages: list[str] = []
    for code in codes:
        what, _sep, key = code.partition(":")
        label = labels.get(key) or key
        if what == "empty":
            messages.append(str(_("Chưa trả lời: %(question)s") % {"question": label}))
        elif what == "short":
            messages.append(str(_("Viết thêm vài từ cho câu: %(question)s") % {"question": label}))
        elif what == "unclear":
            messages.append(
                str(_("Hãy trả lời rõ hơn, bằng lời của chị: %(question)s") % {"question": label})
            )
        elif what == "missing":
            messages.append(str(_("Câu trả lời còn thiếu: %(element)s") % {"element": label}))
        elif what == "too_short":
            messages.append(str(_("Câu trả lời ngắn quá. Hãy viết thêm.")))
    return messages
