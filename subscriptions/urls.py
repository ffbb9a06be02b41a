"""Each page module keeps its own URL patterns; they are joined here."""

from subscriptions.views import detail, sell

app_name = "subscriptions"

urlpatterns = [*sell.urlpatterns, *detail.urlpatterns]
