"""The ``/api/v1`` API, assembled from each app's ``api.py`` router."""

from ninja import NinjaAPI

api = NinjaAPI(title="Kết Nối API", version="1", urls_namespace="api-v1")
