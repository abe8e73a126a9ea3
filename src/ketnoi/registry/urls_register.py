"""URLs of the registry's register pages (mounted by registry/urls.py)."""

urlpatterns: list = []
