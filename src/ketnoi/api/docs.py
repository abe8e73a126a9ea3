"""The API reference page, rendered on the server from the OpenAPI schema.

ninja's Swagger and Redoc pages load from a CDN unless ``ninja`` is in
``INSTALLED_APPS`` (our CSP forbids the CDN, and offices on 3G cannot count
on it); served locally they are 1–1.5 MB of JavaScript each, and Redoc's
inline script and injected styles break under our CSP. This page is plain
HTML in our own layout: no script of its own, nothing from outside, a few
kilobytes, and in the reader's language. Tools read ``openapi.json``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from ninja.openapi.docs import DocsBase

if TYPE_CHECKING:
    from ninja import NinjaAPI

TAG_TITLES = {
    "accounts": _("Tài khoản và mã truy cập"),
    "places": _("Địa danh: tỉnh, xã/phường, địa chỉ số"),
}
_METHODS = ("get", "post", "put", "patch", "delete")
_STATUS_TEXT = {
    "200": _("Thành công"),
    "201": _("Đã tạo"),
    "204": _("Thành công, không có nội dung"),
    "400": _("Yêu cầu sai: xem “detail”"),
    "401": _("Chưa gửi mã truy cập, hoặc mã sai, hết hạn, đã thu hồi"),
    "403": _("Vai trò hoặc địa bàn không cho phép"),
    "404": _("Không tìm thấy"),
    "422": _("Dữ liệu không đúng kiểu hoặc quá dài: xem “errors”"),
    "429": _("Sai quá nhiều lần: tạm khoá"),
}
_CODE_SPAN = re.compile(r"`([^`]+)`")


@dataclass
class Field:
    name: str
    type: str
    required: bool
    where: str = ""
    description: str | SafeString = ""
    constraints: list[str] = field(default_factory=list)


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    description: str | SafeString
    needs_token: bool
    anchor: str
    parameters: list[Field]
    body: TypeRef | None
    responses: list[tuple[str, str, TypeRef | None]]  # status, meaning, body


@dataclass
class TypeRef:
    label: str
    model: str  # the component it names, to link to; "" for none


@dataclass
class Section:
    tag: str
    title: str
    operations: list[Operation] = field(default_factory=list)


@dataclass
class Model:
    name: str
    description: str
    fields: list[Field]


class ServerRenderedDocs(DocsBase):
    """``/docs``: every path and method with its summary, parameters, body and answers."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        schema = api.get_openapi_schema(path_params=kwargs)
        context = {
            "api": api,
            "openapi_url": reverse(f"{api.urls_namespace}:openapi-json", kwargs=kwargs),
            "base_path": api.get_root_path(kwargs),
            "sections": _sections(schema),
            "models": _models(schema),
        }
        return render(request, "api/docs.html", context)


def _sections(schema: dict[str, Any]) -> list[Section]:
    sections: dict[str, Section] = {}
    for path, item in schema.get("paths", {}).items():
        for method in _METHODS:
            spec = item.get(method)
            if spec is None:
                continue
            tag = (spec.get("tags") or ["other"])[0]
            section = sections.setdefault(tag, Section(tag=tag, title=str(TAG_TITLES.get(tag, tag))))
            section.operations.append(_operation(method, path, spec))
    return list(sections.values())


def _operation(method: str, path: str, spec: dict[str, Any]) -> Operation:
    parameters = [
        Field(
            name=p["name"],
            type=_type_label(p.get("schema", {})),
            required=bool(p.get("required")),
            where=p.get("in", ""),
            description=_inline_code(p.get("description", "") or p.get("schema", {}).get("description", "")),
            constraints=_constraints(p.get("schema", {})),
        )
        for p in spec.get("parameters", [])
    ]
    body_schema = spec.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    responses = []
    for status, answer in sorted(spec.get("responses", {}).items()):
        content = answer.get("content", {}).get("application/json", {}).get("schema")
        meaning = str(_STATUS_TEXT.get(str(status), answer.get("description", "")))
        responses.append((str(status), meaning, _type_ref(content)))
    return Operation(
        method=method.upper(),
        path=path,
        summary=str(spec.get("summary", "")),
        description=_inline_code(str(spec.get("description", ""))),
        needs_token=bool(spec.get("security")),
        anchor=spec.get("operationId", f"{method}-{path}"),
        parameters=parameters,
        body=_type_ref(body_schema),
        responses=responses,
    )


def _models(schema: dict[str, Any]) -> list[Model]:
    models = []
    for name, spec in sorted(schema.get("components", {}).get("schemas", {}).items()):
        required = set(spec.get("required", []))
        fields = [
            Field(
                name=prop_name,
                type=_type_label(prop),
                required=prop_name in required,
                description=_inline_code(str(prop.get("description", ""))),
                constraints=_constraints(prop),
            )
            for prop_name, prop in spec.get("properties", {}).items()
        ]
        models.append(Model(name=name, description=str(spec.get("description", "")), fields=fields))
    return models


def _type_ref(spec: dict[str, Any] | None) -> TypeRef | None:
    if not spec:
        return None
    target = spec.get("items", spec) if spec.get("type") == "array" else spec
    model = str(target["$ref"]).rsplit("/", 1)[-1] if "$ref" in target else ""
    return TypeRef(label=_type_label(spec), model=model)


def _inline_code(text: Any) -> SafeString:
    """Escape ``text`` (a string or a lazy translation) and show its `backticked` words as code."""
    return mark_safe(_CODE_SPAN.sub(r"<code>\1</code>", escape(str(text))))  # noqa: S308 - escaped first


def _type_label(spec: dict[str, Any] | None) -> str:
    if not spec:
        return ""
    if "$ref" in spec:
        return str(spec["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in spec:
        return " | ".join(_type_label(option) for option in spec["anyOf"])
    if spec.get("type") == "array":
        return f"list[{_type_label(spec.get('items', {}))}]"
    kind = str(spec.get("type", "any"))
    if kind == "null":
        return "null"
    return f"{kind} ({spec['format']})" if "format" in spec else kind


def _constraints(spec: dict[str, Any]) -> list[str]:
    notes = []
    for key, label in (
        ("minLength", _("ít nhất %s ký tự")),
        ("maxLength", _("tối đa %s ký tự")),
        ("minimum", _("≥ %s")),
        ("maximum", _("≤ %s")),
        ("default", _("mặc định: %s")),
    ):
        if key in spec and spec[key] not in ("", None):
            notes.append(str(label) % spec[key])
    for option in spec.get("anyOf", []):
        notes.extend(_constraints(option))
    return notes
