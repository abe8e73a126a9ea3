"""URLs of the registry's insight pages (mounted by registry/urls.py)."""

urlpatterns: list = []
