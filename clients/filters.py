import django_filters

from .models import Client
from .selectors import clients_matching_text, clients_with_identifier


class ClientFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", max_length=200, label="Name or identifier")
    birth_date = django_filters.DateFilter()
    identifier = django_filters.CharFilter(method="filter_identifier", max_length=64)

    class Meta:
        model = Client
        fields = ["q", "birth_date", "identifier"]

    def filter_text(self, queryset, name, value):
        return clients_matching_text(queryset, value)

    def filter_identifier(self, queryset, name, value):
        return clients_with_identifier(queryset, value)
