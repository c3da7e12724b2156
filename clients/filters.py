import django_filters

from .models import Client


class ClientFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", max_length=200, label="Name or identifier")
    birth_date = django_filters.DateFilter()
    identifier = django_filters.CharFilter(method="filter_identifier", max_length=64)

    class Meta:
        model = Client
        fields = ["q", "birth_date", "identifier"]

    def filter_text(self, queryset, name, value):
        from django.db.models import Q

        for term in value.split()[:5]:
            queryset = queryset.filter(
                Q(given_name__icontains=term) | Q(family_name__icontains=term) | Q(identifiers__value__iexact=term)
            )
        return queryset.distinct()

    def filter_identifier(self, queryset, name, value):
        return queryset.filter(identifiers__value__iexact=value.strip()).distinct()
