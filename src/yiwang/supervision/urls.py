"""The supervision pages: cards (staff), 好差评 (citizens and staff), complaints, dashboards."""

from .views import cards, dashboards, evaluations, feedback

app_name = "supervision"

urlpatterns = [
    *cards.urlpatterns,
    *evaluations.urlpatterns,
    *feedback.urlpatterns,
    *dashboards.urlpatterns,
]
