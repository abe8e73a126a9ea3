"""Cash at the post office (under ``/programmes/post-office/``): the counter, office lists, codes."""

from django.urls import path

from .views import cash

urlpatterns = [
    path("post-office/", cash.cash_counter_view, name="cash_counter"),
    path("post-office/pay/<str:disbursement_id>/", cash.cash_payment_view, name="cash_payment"),
    path("post-office/pay/<str:disbursement_id>/reissue/", cash.cash_reissue_view, name="cash_reissue"),
    path("post-office/batches/<int:batch_id>/", cash.cash_offices_view, name="cash_offices"),
    path(
        "post-office/batches/<int:batch_id>/<int:commune_code>/",
        cash.cash_office_list_view,
        name="cash_office_list",
    ),
    path("post-office/batches/<int:batch_id>/unclaimed/", cash.cash_unclaimed_view, name="cash_unclaimed"),
]
