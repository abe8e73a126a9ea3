"""Every API error is JSON ``{"detail", "code", "errors"}`` in the reader's language.

``LocaleMiddleware`` has already activated the language from
``Accept-Language`` (Vietnamese by default), so lazy messages rendered here
come out in that language.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from ketnoi.core.errors import DomainError

logger = logging.getLogger("django.request")

# Pydantic error types → a message a person can act on. ``%(name)s`` takes
# the value of the same name from the error's context.
_FIELD_MESSAGES: dict[str, str | Promise] = {
    "missing": _("Thiếu trường này."),
    "string_too_long": _("Dài quá: tối đa %(max_length)s ký tự."),
    "too_long": _("Dài quá: tối đa %(max_length)s ký tự."),
    "string_too_short": _("Ngắn quá: ít nhất %(min_length)s ký tự."),
    "too_short": _("Ngắn quá: ít nhất %(min_length)s ký tự."),
    "string_type": _("Phải là một chuỗi ký tự."),
    "int_type": _("Phải là một số nguyên."),
    "int_parsing": _("Phải là một số nguyên."),
    "int_from_float": _("Phải là một số nguyên."),
    "float_type": _("Phải là một số."),
    "float_parsing": _("Phải là một số."),
    "finite_number": _("Phải là một số hữu hạn."),
    "decimal_parsing": _("Phải là một số."),
    "decimal_type": _("Phải là một số."),
    "bool_type": _("Phải là true hoặc false."),
    "bool_parsing": _("Phải là true hoặc false."),
    "greater_than": _("Phải lớn hơn %(gt)s."),
    "greater_than_equal": _("Phải lớn hơn hoặc bằng %(ge)s."),
    "less_than": _("Phải nhỏ hơn %(lt)s."),
    "less_than_equal": _("Phải nhỏ hơn hoặc bằng %(le)s."),
    "date_parsing": _("Ngày không đúng dạng NNNN-TT-NN."),
    "date_from_datetime_parsing": _("Ngày không đúng dạng NNNN-TT-NN."),
    "datetime_parsing": _("Ngày giờ không đúng dạng ISO 8601."),
    "datetime_from_date_parsing": _("Ngày giờ không đúng dạng ISO 8601."),
    "model_attributes_type": _("Phải là một đối tượng JSON."),
    "model_type": _("Phải là một đối tượng JSON."),
    "dict_type": _("Phải là một đối tượng JSON."),
    "list_type": _("Phải là một danh sách."),
    "literal_error": _("Chỉ nhận một trong các giá trị: %(expected)s."),
    "enum": _("Chỉ nhận một trong các giá trị: %(expected)s."),
    "extra_forbidden": _("Trường này không được dùng."),
    "nul_character": _("Không được chứa ký tự NUL."),
    "json_invalid": _("Nội dung không phải JSON hợp lệ."),
}
_LIST_MESSAGES: dict[str, str | Promise] = {
    "too_long": _("Nhiều quá: tối đa %(max_length)s mục."),
    "too_short": _("Ít quá: cần ít nhất %(min_length)s mục."),
}

_HTTP_MESSAGES: dict[int, tuple[str | Promise, str]] = {
    400: (_("Yêu cầu không hợp lệ."), "bad_request"),
    401: (
        _("Cần đăng nhập: gửi mã truy cập trong tiêu đề “Authorization: Bearer <mã>”."),
        "not_authenticated",
    ),
    403: (_("Bạn không có quyền làm việc này."), "permission_denied"),
    404: (_("Không tìm thấy."), "not_found"),
    405: (_("Phương thức này không được dùng ở địa chỉ này."), "method_not_allowed"),
    429: (_("Bạn gửi quá nhiều yêu cầu. Hãy thử lại sau ít phút."), "throttled"),
}


def error_response(
    api: NinjaAPI,
    request: HttpRequest,
    *,
    status: int,
    detail: str | Promise,
    code: str,
    errors: Iterable[Mapping[str, Any]] = (),
) -> HttpResponse:
    body = {"detail": str(detail), "code": code, "errors": [dict(e) for e in errors]}
    response = api.create_response(request, body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def install_error_handlers(api: NinjaAPI) -> None:
    """Replace ninja's default handlers with ones that answer in our shape."""

    def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return error_response(api, request, status=exc.status, detail=str(exc), code=exc.code)

    def on_django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        field_errors = list(_django_field_errors(exc))
        codes = [e["code"] for e in field_errors]
        detail = " ".join(e["message"] for e in field_errors) or str(_("Dữ liệu chưa đúng."))
        return error_response(
            api,
            request,
            status=400,
            detail=detail,
            code=codes[0] if len(set(codes)) == 1 else "invalid",
            errors=[e for e in field_errors if e["field"]],
        )

    def on_ninja_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        field_errors = [_pydantic_field_error(error) for error in exc.errors]
        problems = " ".join(
            f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in field_errors
        )
        return error_response(
            api,
            request,
            status=422,
            detail=_("Dữ liệu gửi lên chưa đúng — %(problems)s") % {"problems": problems},
            code="validation_error",
            errors=field_errors,
        )

    def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        if request.headers.get("Authorization"):
            detail: str | Promise = _(
                "Mã truy cập không đúng, đã hết hạn hoặc đã bị thu hồi. Hãy lấy mã mới."
            )
            code = "invalid_token"
        else:
            detail, code = _HTTP_MESSAGES[401]
        return error_response(api, request, status=401, detail=detail, code=code)

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
            detail: str | Promise = _("Nội dung gửi lên không phải JSON hợp lệ.")
            code = "bad_json"
        elif isinstance(exc, Throttled) or exc.status_code in _HTTP_MESSAGES:
            detail, code = _HTTP_MESSAGES.get(exc.status_code, _HTTP_MESSAGES[429])
        else:
            detail, code = str(exc), "error"
        return error_response(api, request, status=exc.status_code, detail=detail, code=code)

    def on_permission_denied(request: HttpRequest, exc: Exception) -> HttpResponse:
        detail, code = _HTTP_MESSAGES[403]
        return error_response(api, request, status=403, detail=detail, code=code)

    def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        detail, code = _HTTP_MESSAGES[404]
        return error_response(api, request, status=404, detail=detail, code=code)

    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        # Logged where Django logs its own 500s, so the same alerting sees it.
        logger.error(
            "Internal Server Error: %s",
            request.path,
            exc_info=exc,
            extra={"status_code": 500, "request": request},
        )
        return error_response(
            api,
            request,
            status=500,
            detail=_("Đã có lỗi ở máy chủ. Chúng tôi đã ghi lại; hãy thử lại sau."),
            code="server_error",
        )

    handlers: list[tuple[type[Exception], Callable[[HttpRequest, Any], HttpResponse]]] = [
        (DomainError, on_domain_error),
        (DjangoValidationError, on_django_validation_error),
        (NinjaValidationError, on_ninja_validation_error),
        (AuthenticationError, on_authentication_error),
        (HttpError, on_http_error),
        (DjangoPermissionDenied, on_permission_denied),
        (Http404, on_not_found),
        (Exception, on_unexpected),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)


def _django_field_errors(exc: DjangoValidationError) -> Iterable[dict[str, str]]:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            name = "" if field == "__all__" else field
            for error in errors:
                yield _django_error(error, field=name)
    else:
        for error in exc.error_list:
            yield _django_error(error, field="")


def _django_error(error: DjangoValidationError, *, field: str) -> dict[str, str]:
    message = error.message
    if error.params:
        message = message % error.params
    return {"field": field, "location": "body", "message": str(message), "code": error.code or "invalid"}


def _pydantic_field_error(error: Mapping[str, Any]) -> dict[str, str]:
    loc = [str(part) for part in error.get("loc", ())]
    location = loc[0] if loc else ""
    path = loc[1:]
    kind = str(error.get("type", "invalid"))
    context = dict(error.get("ctx") or {})
    template: str | Promise | None = None
    if location == "body":
        # ninja puts the body parameter's own name ("payload") before the field.
        path = path[1:]
        if not path and kind == "missing":
            template = _("Thiếu nội dung JSON của yêu cầu.")
    if template is None and context.get("field_type") == "List":
        template = _LIST_MESSAGES.get(kind)
    template = template or _FIELD_MESSAGES.get(kind)
    if template is None and kind == "value_error" and context.get("error"):
        message = str(context["error"])
    elif template is None:
        message = str(_("Giá trị không hợp lệ."))
    else:
        try:
            message = str(template) % context
        except (KeyError, TypeError, ValueError):
            message = str(_("Giá trị không hợp lệ."))
    return {"field": ".".join(path), "location": location, "message": message, "code": kind}
