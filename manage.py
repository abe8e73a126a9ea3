#!/usr/bin/env python
"""Django's command-line utility for Kết Nối."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketnoi.settings.base")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        # A missing or wrong KETNOI_* setting: say what to fix, not a traceback.
        sys.exit(f"Kết Nối cannot start: {error}")


if __name__ == "__main__":
    main()
