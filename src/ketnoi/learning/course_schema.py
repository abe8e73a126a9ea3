"""What a course folder says: ``course.yaml`` read field by field into plain specs, checked.

The schema is described in ``ketnoi.learning.loader`` and, for trainers, in
``content/learning/README.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.files.storage import default_storage
from django.utils.translation import gettext_lazy as _

from .course_files import (
    KEY_RE,
    LANGUAGE_RE,
    MAX_OPTIONS,
    SLUG_MAX,
    SLUG_RE,
    FileReader,
    YamlMapping,
    content_hash,
    join_path,
)
from .grading import (
    DEFAULT_SERIOUS_HINTS,
    DEFAULT_STORY_QUESTIONS,
    NUMBER_KEYWORD,
    PHOTO_HINT_CODES,
    searchable,
)
from .models import Activity

# Part of every content hash: a new loader version reloads every course once.

COMMON_ACTIVITY_KEYS = frozenset(
    {"slug", "kind", "prompt", "prompt_en", "explanation", "explanation_en", "points"}
)
KIND_KEYS: dict[str, frozenset[str]] = {
    Activity.Kind.CHOICE: frozenset({"options", "correct"}),
    Activity.Kind.PICTURE_CHOICE: frozenset({"options", "correct"}),
    Activity.Kind.SCAM: frozenset({"verdict", "options", "correct"}),
    Activity.Kind.PRACTICE_PHOTO: frozenset({"serious"}),
    Activity.Kind.PRACTICE_STORY: frozenset({"min_words", "questions"}),
    Activity.Kind.PRACTICE_REPLY: frozenset({"min_words", "required"}),
}
SCAM_OPTIONS = (
    {"key": "safe", "text": "An toàn", "text_en": "Safe"},
    {"key": "scam", "text": "Lừa đảo", "text_en": "Scam"},
)


# --- What a course folder says --------------------------------------------------


@dataclass
class ActivitySpec:
    slug: str
    kind: str
    prompt: str
    prompt_en: str
    options: list[dict[str, str]]
    answer_key: dict[str, Any]
    explanation: str
    explanation_en: str
    points: int


@dataclass
class LessonSpec:
    slug: str
    title: str
    title_en: str
    body_html: str
    body_en_html: str
    audio: str
    minutes: int
    activities: list[ActivitySpec] = field(default_factory=list)


@dataclass
class CourseSpec:
    slug: str
    title: str
    title_en: str
    summary: str
    summary_en: str
    language: str
    audience: str
    pass_percent: int
    position: int
    published: bool
    content_hash: str
    lessons: list[LessonSpec] = field(default_factory=list)
    assets: dict[str, bytes] = field(default_factory=dict)  # storage name → bytes

    @property
    def package_bytes(self) -> int:
        """What a learner downloads for the course offline: lesson bodies (both languages) and files."""
        text = sum(
            len(lesson.body_html.encode()) + len(lesson.body_en_html.encode()) for lesson in self.lessons
        )
        return text + sum(len(data) for data in self.assets.values())


class CourseReader(FileReader):
    """Reads and checks one course folder into a ``CourseSpec``."""

    def read(self) -> CourseSpec | None:
        document = self.load_yaml()
        return None if document is None else self._course(document)

    def _course(self, doc: YamlMapping) -> CourseSpec:
        self.keys_known(
            doc,
            (
                "slug",
                "title",
                "title_en",
                "summary",
                "summary_en",
                "language",
                "audience",
                "pass_percent",
                "position",
                "published",
                "lessons",
            ),
            "",
        )
        if not SLUG_RE.match(self.slug) or len(self.slug) > SLUG_MAX:
            self.problem(
                None,
                None,
                "",
                _("Tên thư mục khoá học chỉ dùng chữ thường không dấu, số và gạch ngang."),
                "bad_slug",
                line=None,
            )
        if "slug" in doc and doc["slug"] != self.slug:
            self.problem(doc, "slug", "slug", _("Phải trùng với tên thư mục: %(slug)s") % {"slug": self.slug})
        title, title_en = self.bilingual(doc, "title", "", max_length=200)
        summary, summary_en = self.bilingual(doc, "summary", "", max_length=1000)
        language = self.text(doc, "language", "", required=False, max_length=8) or "vi"
        if not LANGUAGE_RE.match(language):
            self.problem(doc, "language", "language", _("Mã ngôn ngữ như vi hoặc en."), "bad_language")
        spec = CourseSpec(
            slug=self.slug,
            title=title,
            title_en=title_en,
            summary=summary,
            summary_en=summary_en,
            language=language,
            audience=self.text(doc, "audience", "", required=False, max_length=200),
            pass_percent=self.integer(doc, "pass_percent", "", default=70, low=1, high=100),
            position=self.integer(doc, "position", "", default=0, low=0, high=32767),
            published=self.boolean(doc, "published", "", default=False),
            content_hash=content_hash(self.folder),
        )
        seen: set[str] = set()
        for index, lesson_doc in enumerate(self.mappings(doc, "lessons", "", required=True)):
            lesson = self._lesson(lesson_doc, f"lessons[{index}]")
            if lesson.slug and lesson.slug in seen:
                self.problem(
                    lesson_doc, "slug", f"lessons[{index}].slug", _("Trùng mã bài học."), "duplicate_slug"
                )
            seen.add(lesson.slug)
            spec.lessons.append(lesson)
        spec.assets = self.assets
        return spec

    def _lesson(self, doc: YamlMapping, path: str) -> LessonSpec:
        self.keys_known(
            doc, ("slug", "title", "title_en", "minutes", "body", "body_en", "audio", "activities"), path
        )
        slug = self.slug_of(doc, path)
        title, title_en = self.bilingual(doc, "title", path, max_length=200)
        audio = ""
        if "audio" in doc:
            audio = (
                self.asset(
                    doc["audio"],
                    file=self.yaml_name,
                    line=doc.key_lines["audio"],
                    path=join_path(path, "audio"),
                    audio=True,
                )
                or ""
            )
        lesson = LessonSpec(
            slug=slug,
            title=title,
            title_en=title_en,
            body_html="",
            body_en_html="",
            audio=audio,
            minutes=self.integer(doc, "minutes", path, default=5, low=1, high=120),
        )
        if slug:
            for key, default, english in (
                ("body", f"{slug}.vi.md", False),
                ("body_en", f"{slug}.en.md", True),
            ):
                html = self.markdown(
                    doc.get(key, default),
                    line=doc.key_lines.get(key, doc.line),
                    path=join_path(path, key),
                    english=english,
                )
                if english:
                    lesson.body_en_html = html
                else:
                    lesson.body_html = html
        seen: set[str] = set()
        for index, activity_doc in enumerate(self.mappings(doc, "activities", path, required=False)):
            activity_path = f"{path}.activities[{index}]"
            activity = self._activity(activity_doc, activity_path)
            if activity is None:
                continue
            if activity.slug and activity.slug in seen:
                self.problem(
                    activity_doc, "slug", f"{activity_path}.slug", _("Trùng mã câu hỏi."), "duplicate_slug"
                )
            seen.add(activity.slug)
            lesson.activities.append(activity)
        return lesson

    def _activity(self, doc: YamlMapping, path: str) -> ActivitySpec | None:
        kind = doc.get("kind")
        if kind not in KIND_KEYS:
            self.problem(
                doc,
                "kind" if "kind" in doc else None,
                join_path(path, "kind"),
                _("Loại hoạt động không có: %(kind)s. Dùng một trong: %(kinds)s.")
                % {"kind": kind, "kinds": ", ".join(KIND_KEYS)},
                "unknown_kind",
            )
            return None
        self.keys_known(doc, COMMON_ACTIVITY_KEYS | KIND_KEYS[kind], path)
        prompt, prompt_en = self.bilingual(doc, "prompt", path)
        explanation, explanation_en = self.bilingual(doc, "explanation", path)
        spec = ActivitySpec(
            slug=self.slug_of(doc, path),
            kind=kind,
            prompt=prompt,
            prompt_en=prompt_en,
            options=[],
            answer_key={},
            explanation=explanation,
            explanation_en=explanation_en,
            points=self.integer(doc, "points", path, default=1, low=1, high=100),
        )
        if kind in (Activity.Kind.CHOICE, Activity.Kind.PICTURE_CHOICE):
            spec.options = self._options(doc, path, pictures=kind == Activity.Kind.PICTURE_CHOICE)
            spec.answer_key = {"correct": self._correct(doc, path, spec.options)}
        elif kind == Activity.Kind.SCAM:
            self._scam(doc, path, spec)
        elif kind == Activity.Kind.PRACTICE_PHOTO:
            spec.answer_key = {"serious": self._serious(doc, path)}
        elif kind == Activity.Kind.PRACTICE_STORY:
            spec.options = self._questions(doc, path)
            spec.answer_key = {"min_words": self.integer(doc, "min_words", path, default=4, low=1, high=50)}
        else:
            spec.answer_key = {
                "min_words": self.integer(doc, "min_words", path, default=5, low=1, high=200),
                "required": self._required(doc, path),
            }
        return spec

    def _options(self, doc: YamlMapping, path: str, *, pictures: bool) -> list[dict[str, str]]:
        items = self.mappings(doc, "options", path, required=True)
        if items and not 2 <= len(items) <= MAX_OPTIONS:
            self.problem(
                doc, "options", join_path(path, "options"), _("Cần từ 2 đến 6 lựa chọn."), "option_count"
            )
        options: list[dict[str, str]] = []
        for index, item in enumerate(items):
            option_path = f"{path}.options[{index}]"
            self.keys_known(item, ("key", "text", "text_en", *(("image",) if pictures else ())), option_path)
            key = item.get("key")
            if not isinstance(key, str) or not KEY_RE.match(key):
                self.problem(
                    item,
                    "key" if "key" in item else None,
                    join_path(option_path, "key"),
                    _("Mã lựa chọn: chữ thường không dấu hoặc số, ví dụ a, b, c."),
                    "bad_key",
                )
                key = ""
            elif any(option["key"] == key for option in options):
                self.problem(
                    item, "key", join_path(option_path, "key"), _("Trùng mã lựa chọn."), "duplicate_key"
                )
            text, text_en = self.bilingual(item, "text", option_path, max_length=300)
            option = {"key": key, "text": text, "text_en": text_en}
            if pictures:
                if "image" not in item:
                    self.problem(
                        item,
                        None,
                        join_path(option_path, "image"),
                        _("Thiếu trường bắt buộc này."),
                        "missing",
                    )
                else:
                    stored = self.asset(
                        item["image"],
                        file=self.yaml_name,
                        line=item.key_lines["image"],
                        path=join_path(option_path, "image"),
                    )
                    option["image"] = default_storage.url(stored) if stored else ""
            options.append(option)
        return options

    def _correct(self, doc: YamlMapping, path: str, options: list[dict[str, str]]) -> list[str]:
        raw = doc.get("correct")
        correct = [raw] if isinstance(raw, str) else raw
        if not correct or not isinstance(correct, list):
            self.problem(
                doc,
                "correct" if "correct" in doc else None,
                join_path(path, "correct"),
                _("Câu hỏi chưa có đáp án đúng (correct)."),
                "no_right_answer",
            )
            return []
        keys = {option["key"] for option in options}
        for key in correct:
            if not isinstance(key, str) or key not in keys:
                self.problem(
                    doc,
                    "correct",
                    join_path(path, "correct"),
                    _("Đáp án %(key)s không có trong các lựa chọn.") % {"key": key},
                    "no_right_answer",
                )
        return sorted({str(key) for key in correct})

    def _scam(self, doc: YamlMapping, path: str, spec: ActivitySpec) -> None:
        if "verdict" in doc and ("options" in doc or "correct" in doc):
            self.problem(
                doc,
                "verdict",
                join_path(path, "verdict"),
                _("Dùng verdict hoặc options + correct, không dùng cả hai."),
            )
            return
        if "options" in doc or "correct" in doc:
            spec.options = self._options(doc, path, pictures=False)
            spec.answer_key = {"correct": self._correct(doc, path, spec.options)}
            return
        verdict = doc.get("verdict")
        if verdict not in ("scam", "safe"):
            self.problem(
                doc,
                "verdict" if "verdict" in doc else None,
                join_path(path, "verdict"),
                _("Câu hỏi chưa có đáp án đúng: ghi verdict: scam hoặc verdict: safe."),
                "no_right_answer",
            )
            return
        spec.options = [dict(option) for option in SCAM_OPTIONS]
        spec.answer_key = {"correct": [verdict]}

    def _serious(self, doc: YamlMapping, path: str) -> list[str]:
        value = doc.get("serious", list(DEFAULT_SERIOUS_HINTS))
        if not isinstance(value, list) or not all(code in PHOTO_HINT_CODES for code in value):
            self.problem(
                doc,
                "serious",
                join_path(path, "serious"),
                _("Chỉ dùng các mã: %(codes)s.") % {"codes": ", ".join(PHOTO_HINT_CODES)},
                "bad_hint",
            )
            return list(DEFAULT_SERIOUS_HINTS)
        return list(value)

    def _questions(self, doc: YamlMapping, path: str) -> list[dict[str, str]]:
        if "questions" not in doc:
            return [dict(question) for question in DEFAULT_STORY_QUESTIONS]
        items = self.mappings(doc, "questions", path, required=True)
        if len(items) > MAX_OPTIONS:
            self.problem(
                doc, "questions", join_path(path, "questions"), _("Tối đa 6 câu hỏi."), "option_count"
            )
        questions: list[dict[str, str]] = []
        for index, item in enumerate(items):
            question_path = f"{path}.questions[{index}]"
            self.keys_known(item, ("key", "text", "text_en", "hint", "hint_en"), question_path)
            key = item.get("key")
            if not isinstance(key, str) or not KEY_RE.match(key):
                self.problem(
                    item,
                    "key" if "key" in item else None,
                    join_path(question_path, "key"),
                    _("Mã câu hỏi: chữ thường không dấu hoặc số, ví dụ who."),
                    "bad_key",
                )
                key = ""
            elif any(question["key"] == key for question in questions):
                self.problem(
                    item, "key", join_path(question_path, "key"), _("Trùng mã câu hỏi."), "duplicate_key"
                )
            text, text_en = self.bilingual(item, "text", question_path, max_length=300)
            question = {"key": key, "text": text, "text_en": text_en}
            if "hint" in item or "hint_en" in item:
                question["hint"], question["hint_en"] = self.bilingual(
                    item, "hint", question_path, max_length=300
                )
            questions.append(question)
        return questions

    def _required(self, doc: YamlMapping, path: str) -> list[dict[str, Any]]:
        items = self.mappings(doc, "required", path, required=True)
        groups: list[dict[str, Any]] = []
        for index, item in enumerate(items):
            group_path = f"{path}.required[{index}]"
            self.keys_known(item, ("name", "label", "label_en", "keywords"), group_path)
            name = item.get("name")
            if not isinstance(name, str) or not KEY_RE.match(name):
                self.problem(
                    item,
                    "name" if "name" in item else None,
                    join_path(group_path, "name"),
                    _("Tên phần: chữ thường không dấu, ví dụ greeting."),
                    "bad_key",
                )
                name = ""
            elif any(group["name"] == name for group in groups):
                self.problem(
                    item, "name", join_path(group_path, "name"), _("Trùng tên phần."), "duplicate_key"
                )
            label, label_en = self.bilingual(item, "label", group_path, max_length=120)
            keywords = item.get("keywords")
            folded: list[str] = []
            if isinstance(keywords, list):
                for keyword in keywords:
                    if isinstance(keyword, (str, int)) and not isinstance(keyword, bool):
                        text = str(keyword).strip()
                        value = NUMBER_KEYWORD if text == NUMBER_KEYWORD else searchable(text)
                        if value:
                            folded.append(value)
            if not folded or not isinstance(keywords, list) or len(folded) != len(keywords):
                self.problem(
                    item,
                    "keywords" if "keywords" in item else None,
                    join_path(group_path, "keywords"),
                    _("Cần một danh sách từ khoá (chữ), ít nhất một từ."),
                    "bad_keywords",
                )
            groups.append({"name": name, "label": label, "label_en": label_en, "keywords": folded})
        return groups
