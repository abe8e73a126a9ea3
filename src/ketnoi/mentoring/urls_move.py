"""Move: outcomes per seller (revenue, baseline, graduation, product feed) and the 4M dashboard."""

from django.urls import path

from .views import dashboard, move

urlpatterns = [
    path("move/", move.outcomes_list_view, name="move_sellers"),
    path("move/<slug:seller_slug>/", move.outcomes_seller_view, name="move_seller"),
    path("move/<slug:seller_slug>/revenue/", move.revenue_set_view, name="move_revenue"),
    path("move/<slug:seller_slug>/baseline/", move.baseline_set_view, name="move_baseline"),
    path("move/<slug:seller_slug>/refresh/", move.revenue_refresh_view, name="move_refresh"),
    path("move/<slug:seller_slug>/graduation/", move.graduation_check_view, name="move_graduation"),
    path("move/<slug:seller_slug>/feed.<str:fmt>", move.product_feed_view, name="move_feed"),
    path("dashboard/", dashboard.dashboard_view, name="dashboard"),
    path("dashboard.xlsx", dashboard.dashboard_xlsx_view, name="dashboard_xlsx"),
]
