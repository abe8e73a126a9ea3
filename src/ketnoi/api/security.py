"""How API callers prove who they are: ``Authorization: Bearer <token>``.

Tokens travel in a header, never in a cookie, so a browser cannot be made to
send one on another site's behalf: token-authenticated calls need no CSRF
token (ninja's operations are CSRF-exempt unless an auth class asks for it).
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from ketnoi.accounts.models import User
from ketnoi.accounts.tokens import token_find


class TokenBearer(HttpBearer):
    """Lets in the holder of a live API token.

    Sets ``request.auth`` and ``request.user`` to the token's user and
    ``request.api_token`` to the token itself (to revoke the one presented).
    """

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        api_token = token_find(token.strip())
        if api_token is None:
            return None
        request.api_token = api_token  # type: ignore[attr-defined]
        request.user = api_token.user
        return api_token.user


bearer = TokenBearer()
