"""WSGI entry point (``granian --interface wsgi ketnoi.wsgi:application``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketnoi.settings.base")
application = get_wsgi_application()
