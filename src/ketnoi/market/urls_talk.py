"""URLs of conversations and reviews (mounted by market/urls.py)."""

from django.urls import path

from .views import conversations, reviews

urlpatterns = [
    path("messages/", conversations.conversation_list_view, name="talk_list"),
    path("messages/open/", conversations.conversation_open_view, name="talk_open"),
    path("messages/<int:conversation_id>/", conversations.conversation_view, name="talk_detail"),
    path("reviews/orders/<str:reference>/", reviews.review_order_view, name="review_order"),
    path("reviews/lines/<int:line_id>/", reviews.review_create_view, name="review_create"),
]
