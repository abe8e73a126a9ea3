"""URLs of the registry's review pages (mounted by registry/urls.py)."""

urlpatterns: list = []
