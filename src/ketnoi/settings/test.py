"""Settings for the test suite: fast hashing, isolated files, no outside network."""

from __future__ import annotations

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import PASSWORD_HASHERS as _HASHERS

# Argon2 stays available (tests check it) but a cheap hasher goes first so
# that thousands of test logins do not spend minutes hashing.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *_HASHERS]

_tmp = Path(tempfile.mkdtemp(prefix="ketnoi-test-"))
MEDIA_ROOT = _tmp / "media"
NOTIFY_OUTBOX = _tmp / "outbox"
NOTIFY_ADAPTER = "ketnoi.core.notify.MemorySender"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DEBUG = False
STATIC_ROOT = _tmp / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
