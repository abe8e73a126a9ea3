"""Course files, read carefully: YAML with line numbers, Markdown made safe, pictures and audio checked.

A ``FileReader`` notes every problem it meets (file, line, field, message)
instead of stopping at the first, so a trainer sees all of them at once;
``CourseContentError`` carries them. Markdown is rendered with markdown-it-py
(raw HTML off) and cleaned with nh3. A picture must be a real PNG, JPEG,
WebP or GIF (or an SVG without scripts or outside links) of at most 300 KB;
it is kept under a content-addressed storage name.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, cast

import nh3
import yaml
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.core.files.storage import default_storage
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from markdown_it import MarkdownIt
from PIL import Image, UnidentifiedImageError

from ketnoi.core.errors import DomainError
from ketnoi.core.text import nfc

# Part of every content hash: a new loader version reloads every course once.

LOADER_VERSION = "1"
COURSE_FILE = "course.yaml"
SLUG_MAX = 60
IMAGE_TYPES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".gif": "GIF", ".svg": "SVG"}
AUDIO_MAGIC = {
    ".mp3": (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"),
    ".ogg": (b"OggS",),
    ".opus": (b"OggS",),
}
AUDIO_TYPES = frozenset({".mp3", ".ogg", ".opus", ".m4a"})
MAX_IMAGE_BYTES = 300 * 1024
MAX_AUDIO_BYTES = 1024 * 1024
MAX_OPTIONS = 6
ALLOWED_TAGS = {"p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "img", "a", "blockquote", "br"}
ALLOWED_ATTRIBUTES = {"img": {"src", "alt", "loading"}, "a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
KEY_RE = re.compile(r"^[a-z0-9_]{1,20}$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z]{2,4})?$")
SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
HEADING_SHIFT = {"h1": "h2", "h5": "h4", "h6": "h4"}


# --- Problems ---------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a course file, with where it is."""

    file: str
    line: int | None
    field: str
    message: str | Promise
    code: str = "invalid"

    def __str__(self) -> str:
        where = [self.file]
        if self.line:
            where.append(str(_("dòng %(line)s")) % {"line": self.line})
        if self.field:
            where.append(self.field)
        return f"{', '.join(where)}: {self.message}"


class CourseContentError(DomainError):
    """The course files have problems; nothing was loaded. ``problems`` lists them all."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(
            _("Tệp khoá học có %(count)s lỗi; chưa nạp gì."),
            code="course_invalid",
            params={"count": len(self.problems)},
            status=422,
        )

    def __str__(self) -> str:
        return "\n".join([super().__str__(), *(f"- {problem}" for problem in self.problems)])


# --- YAML with line numbers ---------------------------------------------------


class YamlMapping(dict[str, Any]):
    """A YAML mapping that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]


class _DuplicateKey(yaml.MarkedYAMLError):
    pass


class _YamlLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> YamlMapping:
    loader.flatten_mapping(node)
    result = YamlMapping()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = str(loader.construct_object(key_node, deep=True))
        if key in result:
            raise _DuplicateKey(problem=key, problem_mark=key_node.start_mark)
        result.key_lines[key] = key_node.start_mark.line + 1
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_YamlLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)  # type: ignore[arg-type]


def content_hash(folder: Path) -> str:
    """SHA-256 of every file in ``folder`` (names and bytes) and of the loader version."""
    digest = hashlib.sha256(f"ketnoi-learning-loader:{LOADER_VERSION}\n".encode())
    for path in sorted(_files(folder)):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _files(folder: Path) -> Iterable[Path]:
    for path in folder.rglob("*"):
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(folder).parts):
            yield path


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


class FileReader:
    """Reads the files of one course folder, noting every problem instead of stopping at the first."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.slug = folder.name
        self.yaml_name = f"{self.slug}/{COURSE_FILE}"
        self.problems: list[Problem] = []
        self.assets: dict[str, bytes] = {}
        self._asset_names: dict[str, str | None] = {}

    # -- problems and plain fields --

    def problem(
        self,
        where: YamlMapping | None,
        key: str | None,
        path: str,
        message: str | Promise,
        code: str = "invalid",
        *,
        file: str | None = None,
        line: int | None = None,
    ) -> None:
        if line is None and where is not None:
            line = where.key_lines.get(key, where.line) if key else where.line
        self.problems.append(Problem(file or self.yaml_name, line, path, message, code))

    def keys_known(self, mapping: YamlMapping, allowed: Iterable[str], path: str) -> None:
        allowed_set = set(allowed)
        for key in mapping:
            if key not in allowed_set:
                self.problem(
                    mapping,
                    key,
                    join_path(path, key),
                    _("Trường lạ (viết sai tên?). Các trường được dùng: %(allowed)s.")
                    % {"allowed": ", ".join(sorted(allowed_set))},
                    "unknown_key",
                )

    def text(
        self, mapping: YamlMapping, key: str, path: str, *, required: bool = True, max_length: int = 5000
    ) -> str:
        value = mapping.get(key)
        if value is None or value == "":
            if required:
                code = "missing_english" if key.endswith("_en") else "missing"
                message = (
                    _("Thiếu bản tiếng Anh.") if key.endswith("_en") else _("Thiếu trường bắt buộc này.")
                )
                self.problem(mapping, key if key in mapping else None, join_path(path, key), message, code)
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.problem(mapping, key, join_path(path, key), _("Phải là chữ."), "not_text")
            return ""
        result = nfc(str(value))
        if len(result) > max_length:
            self.problem(
                mapping,
                key,
                join_path(path, key),
                _("Dài quá: tối đa %(max)s chữ cái.") % {"max": max_length},
                "too_long",
            )
        return result

    def bilingual(
        self, mapping: YamlMapping, key: str, path: str, *, max_length: int = 5000
    ) -> tuple[str, str]:
        """The Vietnamese text ``key`` and its English twin ``key_en``; both required."""
        return (
            self.text(mapping, key, path, max_length=max_length),
            self.text(mapping, f"{key}_en", path, max_length=max_length),
        )

    def integer(self, mapping: YamlMapping, key: str, path: str, *, default: int, low: int, high: int) -> int:
        value = mapping.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.problem(
                mapping,
                key,
                join_path(path, key),
                _("Phải là một số nguyên từ %(low)s đến %(high)s.") % {"low": low, "high": high},
                "not_integer",
            )
            return default
        return value

    def boolean(self, mapping: YamlMapping, key: str, path: str, *, default: bool) -> bool:
        value = mapping.get(key, default)
        if not isinstance(value, bool):
            self.problem(mapping, key, join_path(path, key), _("Phải là true hoặc false."), "not_boolean")
            return default
        return value

    def slug_of(self, mapping: YamlMapping, path: str) -> str:
        value = mapping.get("slug")
        if value is None or value == "":
            self.problem(mapping, None, join_path(path, "slug"), _("Thiếu trường bắt buộc này."), "missing")
            return ""
        if not isinstance(value, str) or len(value) > SLUG_MAX or not SLUG_RE.match(value):
            self.problem(
                mapping,
                "slug",
                join_path(path, "slug"),
                _("Chỉ dùng chữ thường không dấu, số và gạch ngang, tối đa 60 ký tự."),
                "bad_slug",
            )
            return ""
        return value

    def mappings(self, mapping: YamlMapping, key: str, path: str, *, required: bool) -> list[YamlMapping]:
        value = mapping.get(key)
        if value is None:
            if required:
                self.problem(mapping, None, join_path(path, key), _("Thiếu trường bắt buộc này."), "missing")
            return []
        if not isinstance(value, list) or not all(isinstance(item, YamlMapping) for item in value):
            self.problem(mapping, key, join_path(path, key), _("Phải là một danh sách các mục."), "not_list")
            return []
        if required and not value:
            self.problem(mapping, key, join_path(path, key), _("Danh sách không được để trống."), "empty")
        return cast(list[YamlMapping], value)

    # -- files --

    def relative_file(
        self, name: Any, *, file: str, line: int | None, path: str, missing: str | Promise
    ) -> Path | None:
        """The file ``name`` inside the course folder, or ``None`` with a problem noted."""
        if not isinstance(name, str) or not name.strip():
            self.problem(None, None, path, _("Phải là tên một tệp."), "not_text", file=file, line=line)
            return None
        posix = PurePosixPath(name.strip())
        if SCHEME_RE.match(name) or posix.is_absolute() or ".." in posix.parts:
            self.problem(
                None,
                None,
                path,
                _("Tệp phải nằm trong thư mục khoá học: %(name)s") % {"name": name},
                "outside",
                file=file,
                line=line,
            )
            return None
        candidate = self.folder.joinpath(*posix.parts)
        if not candidate.is_file():
            self.problem(None, None, path, missing % {"name": name}, "file_missing", file=file, line=line)
            return None
        return candidate

    def asset(self, name: Any, *, file: str, line: int | None, path: str, audio: bool = False) -> str | None:
        """The storage name of an image (or audio file) of the course, checked; ``None`` if it is bad."""
        cache_key = f"{'audio' if audio else 'image'}:{name}"
        if cache_key in self._asset_names:
            return self._asset_names[cache_key]
        result = self._asset(name, file=file, line=line, path=path, audio=audio)
        self._asset_names[cache_key] = result
        return result

    def _asset(self, name: Any, *, file: str, line: int | None, path: str, audio: bool) -> str | None:
        missing = _("Không thấy tệp âm thanh %(name)s.") if audio else _("Không thấy ảnh %(name)s.")
        found = self.relative_file(name, file=file, line=line, path=path, missing=missing)
        if found is None:
            return None
        extension = found.suffix.lower()
        data = found.read_bytes()
        error = audio_problem(extension, data) if audio else image_problem(extension, data)
        if error is not None:
            self.problem(None, None, path, f"{name}: {error}", "bad_file", file=file, line=line)
            return None
        extension = ".jpg" if extension == ".jpeg" else extension
        storage_name = f"learning/{self.slug}/{hashlib.sha256(data).hexdigest()[:32]}{extension}"
        self.assets[storage_name] = data
        return storage_name

    def markdown(self, name: Any, *, line: int | None, path: str, english: bool) -> str:
        """The lesson body in ``name``, rendered and cleaned; images checked and pointed at storage."""
        missing = (
            _("Thiếu bản tiếng Anh: không thấy tệp %(name)s.")
            if english
            else _("Không thấy tệp bài học %(name)s.")
        )
        found = self.relative_file(name, file=self.yaml_name, line=line, path=path, missing=missing)
        if found is None:
            return ""
        file = f"{self.slug}/{found.relative_to(self.folder).as_posix()}"
        try:
            source = found.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            self.problem(None, None, "", _("Tệp phải được lưu dạng UTF-8."), "not_utf8", file=file, line=None)
            return ""
        md = _markdown()
        tokens = md.parse(nfc(source))
        for token in tokens:
            if token.type in ("heading_open", "heading_close"):
                token.tag = HEADING_SHIFT.get(token.tag, token.tag)
            if token.type != "inline" or not token.children:
                continue
            token_line = token.map[0] + 1 if token.map else None
            for child in token.children:
                if child.type != "image":
                    continue
                src = child.attrGet("src")
                alt = "".join(grandchild.content for grandchild in child.children or [])
                if not alt.strip():
                    self.problem(
                        None,
                        None,
                        str(src),
                        _("Ảnh cần có lời mô tả: ![mô tả](%(src)s)") % {"src": src},
                        "image_alt_missing",
                        file=file,
                        line=token_line,
                    )
                stored = self.asset(src, file=file, line=token_line, path=str(src))
                child.attrSet("src", default_storage.url(stored) if stored else "")
                child.attrSet("loading", "lazy")
        html = md.renderer.render(tokens, md.options, {})
        if not html.strip():
            self.problem(None, None, "", _("Bài học trống."), "empty", file=file, line=None)
        return nh3.clean(
            html,
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes=URL_SCHEMES,
            link_rel="noopener noreferrer",
        )

    # -- the course --

    def load_yaml(self) -> YamlMapping | None:
        """``course.yaml`` as mappings that know their lines; ``None`` (problem noted) if unreadable."""
        course_file = self.folder / COURSE_FILE
        if not course_file.is_file():
            self.problem(
                None, None, "", _("Thiếu tệp course.yaml trong thư mục khoá học."), "file_missing", line=None
            )
            return None
        try:
            document = yaml.load(course_file.read_text(encoding="utf-8"), Loader=_YamlLoader)  # noqa: S506 (a SafeLoader)
        except _DuplicateKey as error:
            mark = error.problem_mark
            self.problem(
                None,
                None,
                str(error.problem),
                _("Trường này được viết hai lần."),
                "duplicate_key",
                line=mark.line + 1 if mark else None,
            )
            return None
        except UnicodeDecodeError:
            self.problem(None, None, "", _("Tệp phải được lưu dạng UTF-8."), "not_utf8", line=None)
            return None
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            self.problem(
                None,
                None,
                "",
                _("Tệp YAML viết sai: %(detail)s") % {"detail": getattr(error, "problem", None) or error},
                "yaml",
                line=mark.line + 1 if mark else None,
            )
            return None
        if not isinstance(document, YamlMapping):
            self.problem(None, None, "", _("Tệp phải bắt đầu bằng các trường của khoá học."), "not_mapping")
            return None
        return document


def join_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def image_problem(extension: str, data: bytes) -> Promise | None:
    if extension not in IMAGE_TYPES:
        return _("chỉ dùng ảnh .png, .jpg, .webp, .gif hoặc .svg.")
    if len(data) > MAX_IMAGE_BYTES:
        return _("ảnh nặng quá (tối đa 300 KB): hãy thu nhỏ ảnh.")
    if extension == ".svg":
        return svg_problem(data)
    try:
        with Image.open(io.BytesIO(data), formats=[IMAGE_TYPES[extension]]) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return _("tệp không phải ảnh hoặc bị hỏng.")
    return None


def svg_problem(data: bytes) -> Promise | None:
    """SVG is drawn as an image in lessons but opens as a page on its own: no scripts, no outside links."""
    try:
        root = ElementTree.fromstring(data)
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        return _("tệp SVG bị hỏng.")
    if not root.tag.endswith("svg"):
        return _("tệp SVG bị hỏng.")
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1].lower()
        if tag in ("script", "foreignobject", "iframe", "embed", "object"):
            return _("ảnh SVG không được chứa mã chạy được (script).")
        for name, value in element.attrib.items():
            attribute = name.rsplit("}", 1)[-1].lower()
            if attribute.startswith("on"):
                return _("ảnh SVG không được chứa mã chạy được (script).")
            if attribute == "href" and not value.strip().startswith("#"):
                return _("ảnh SVG không được dẫn tới tệp hay trang khác.")
    return None


def audio_problem(extension: str, data: bytes) -> Promise | None:
    if extension not in AUDIO_TYPES:
        return _("chỉ dùng âm thanh .mp3, .ogg, .opus hoặc .m4a.")
    if len(data) > MAX_AUDIO_BYTES:
        return _("tệp âm thanh nặng quá (tối đa 1 MB).")
    magic = AUDIO_MAGIC.get(extension)
    valid = data[4:8] == b"ftyp" if extension == ".m4a" else bool(magic) and data.startswith(magic or ())
    return None if valid else _("tệp âm thanh bị hỏng.")
