"""URLs of the registry's officer pages (mounted by registry/urls.py)."""

urlpatterns: list = []
