"""The applications pages: apply and track (citizens), the public status query, the workbench (staff)."""

from .views import apply, cases, forms_admin, payments, processes, public, window, workbench

app_name = "applications"

urlpatterns = [
    *apply.urlpatterns,
    *cases.urlpatterns,
    *public.urlpatterns,
    *payments.urlpatterns,
    *forms_admin.urlpatterns,
    *workbench.urlpatterns,
    *window.urlpatterns,
    *processes.urlpatterns,
]
