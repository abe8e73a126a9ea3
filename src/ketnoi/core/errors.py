"""The one exception a service raises when a rule of the domain says no."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise


class DomainError(Exception):
    """A refusal the user can act on.

    ``message`` is a lazy translation (``gettext_lazy``) so it is rendered in
    the language of whoever reads it, not of whoever raised it. ``params``
    fill ``%(name)s`` placeholders. ``status`` is the HTTP status a view or
    the API answers with.
    """

    status = 400

    def __init__(
        self,
        message: str | Promise,
        *,
        code: str = "invalid",
        params: dict[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        self.message = message
        self.code = code
        self.params = params or {}
        if status is not None:
            self.status = status
        super().__init__(str(message))

    def __str__(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text


class PermissionDenied(DomainError):
    """The user is known but her role or area does not allow this."""

    status = 403


class NotFound(DomainError):
    """Nothing there, or nothing the user may know exists."""

    status = 404
