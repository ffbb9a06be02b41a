"""Each page module keeps its own URL patterns; they are joined here."""

from workforce.views import board, field, orders

app_name = "workforce"

urlpatterns = [*orders.urlpatterns, *board.urlpatterns, *field.urlpatterns]
