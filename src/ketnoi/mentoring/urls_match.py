"""Match: needs and offers, suggestions, proposals and answers, and officers' rounds."""

from django.urls import path

from .views import match

urlpatterns = [
    path("match/", match.match_home_view, name="match_home"),
    path("match/needs/<slug:seller_slug>/", match.needs_edit_view, name="needs_edit"),
    path(
        "match/needs/<slug:seller_slug>/suggestions/",
        match.seller_suggestions_view,
        name="seller_suggestions",
    ),
    path("match/partner/new/", match.partner_edit_view, name="partner_new"),
    path("match/partner/<int:partner_id>/", match.partner_edit_view, name="partner_edit"),
    path(
        "match/partner/<int:partner_id>/suggestions/",
        match.partner_suggestions_view,
        name="partner_suggestions",
    ),
    path(
        "match/partner/<int:partner_id>/sellers/<slug:seller_slug>/",
        match.partner_seller_view,
        name="partner_seller",
    ),
    path("match/propose/", match.match_propose_view, name="match_propose"),
    path("match/<int:match_id>/answer/", match.match_answer_view, name="match_answer"),
    path("match/<int:match_id>/cancel/", match.match_cancel_view, name="match_cancel"),
    path("match/rounds/", match.round_list_view, name="round_list"),
    path("match/rounds/<int:round_id>/", match.round_detail_view, name="round_detail"),
    path("match/rounds/<int:round_id>/compute/", match.round_compute_view, name="round_compute"),
    path("match/rounds/<int:round_id>/drop/", match.round_drop_view, name="round_drop"),
    path("match/rounds/<int:round_id>/send/", match.round_send_view, name="round_send"),
]
