"""The programme officer's pages: programmes at the root of /programmes/, a programme at
``<code>/`` and its cycles at ``<code>/cycles/<number>/``.

A programme's code shares the first path segment with the other flows'
pages (``batches/``, ``complaints/``…), so the ``programme`` converter
never matches those words and ``services.programmes`` refuses them as codes.
"""

from django.urls import path, register_converter

from .services.programmes import RESERVED_CODES
from .views import officer


class ProgrammeCodeConverter:
    """A programme's code: lower-case letters, digits and inner dashes; never a reserved word."""

    regex = r"(?!(?:{})/)[a-z0-9]+(?:-[a-z0-9]+)*".format("|".join(sorted(RESERVED_CODES)))

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ProgrammeCodeConverter, "programme")

urlpatterns = [
    path("", officer.programme_list_view, name="programme_list"),
    path("new/", officer.programme_new_view, name="programme_new"),
    path("<programme:code>/", officer.programme_detail_view, name="programme_detail"),
    path("<programme:code>/edit/", officer.programme_edit_view, name="programme_edit"),
    path("<programme:code>/activate/", officer.programme_activate_view, name="programme_activate"),
    path("<programme:code>/close/", officer.programme_close_view, name="programme_close"),
    path("<programme:code>/cycles/open/", officer.cycle_open_view, name="cycle_open"),
    path("<programme:code>/cycles/<int:number>/", officer.cycle_detail_view, name="cycle_detail"),
    path("<programme:code>/cycles/<int:number>/enrol/", officer.cycle_enrol_view, name="cycle_enrol"),
    path("<programme:code>/cycles/<int:number>/submit/", officer.cycle_submit_view, name="cycle_submit"),
    path("<programme:code>/cycles/<int:number>/approve/", officer.cycle_approve_view, name="cycle_approve"),
    path("<programme:code>/cycles/<int:number>/return/", officer.cycle_return_view, name="cycle_return"),
    path("<programme:code>/cycles/<int:number>/close/", officer.cycle_close_view, name="cycle_close"),
]
