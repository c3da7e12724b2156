"""The shape of `GET /api/v1/metrics/referrals/` (the answer is passed through it, so schema and output agree)."""

from __future__ import annotations

from rest_framework import serializers

from referrals.choices import CloseOutcome, DeclineReason
from sla.stages import Stage


def _counts(codes: list[str], what: str) -> serializers.DictField:
    return serializers.DictField(
        child=serializers.IntegerField(),
        help_text=f"{what} by code; every code is present (0 when none): {', '.join(codes)}.",
    )


def _rates(codes: list[str], what: str) -> serializers.DictField:
    return serializers.DictField(
        child=serializers.FloatField(allow_null=True), help_text=f"{what} by code ({', '.join(codes)})."
    )


def _rate(help_text: str) -> serializers.FloatField:
    return serializers.FloatField(
        allow_null=True, help_text=f"{help_text} A fraction (0-1); null when the denominator is 0."
    )


class MetricsPeriodSerializer(serializers.Serializer):
    since = serializers.DateField(help_text="First day (referrals sent from 00:00 of it).")
    until = serializers.DateField(help_text="Last day, included (referrals sent until 24:00 of it).")
    time_zone = serializers.CharField(help_text="The portal's time zone the days are counted in.")


class MetricsOrganizationRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class MetricsFiltersSerializer(serializers.Serializer):
    receiving_organization = MetricsOrganizationRefSerializer(allow_null=True)
    referring_organization = MetricsOrganizationRefSerializer(allow_null=True)
    category = serializers.CharField(allow_null=True)
    urgency = serializers.CharField(allow_null=True)


class MetricsScopeSerializer(serializers.Serializer):
    network = serializers.BooleanField(help_text="True for governance: every referral of the network.")
    organizations = MetricsOrganizationRefSerializer(
        many=True, help_text="Otherwise the organizations whose referrals (sent or received) are counted."
    )


class MetricsDurationSerializer(serializers.Serializer):
    median = serializers.FloatField(allow_null=True, help_text="Seconds; null when no referral reached the event.")
    p90 = serializers.FloatField(allow_null=True, help_text="90th percentile in seconds; null when none.")
    count = serializers.IntegerField(help_text="Referrals measured (those that reached the event).")


class MetricsAgeBucketSerializer(serializers.Serializer):
    bucket = serializers.CharField()
    label = serializers.CharField()
    min_days = serializers.IntegerField(help_text="Whole days since sending, from (included).")
    max_days = serializers.IntegerField(allow_null=True, help_text="To (excluded); null: no upper bound.")
    count = serializers.IntegerField()


class MetricsWeekSerializer(serializers.Serializer):
    week_start = serializers.DateField(help_text="Monday of the week (portal time).")
    sent = serializers.IntegerField()
    acknowledged = serializers.IntegerField()
    acknowledged_within_sla = serializers.IntegerField()


class MetricsBottleneckMeasuresSerializer(serializers.Serializer):
    sent = serializers.IntegerField()
    declined = serializers.IntegerField()
    decline_rate = serializers.FloatField(allow_null=True, help_text="Declined / (accepted + declined).")
    breached = serializers.IntegerField(help_text="Referrals with at least one SLA breach.")
    breach_rate = serializers.FloatField(allow_null=True, help_text="Breached / sent.")


class MetricsCategoryBottleneckSerializer(MetricsBottleneckMeasuresSerializer):
    category = serializers.CharField()
    label = serializers.CharField()


class MetricsProviderBottleneckSerializer(MetricsBottleneckMeasuresSerializer):
    organization = MetricsOrganizationRefSerializer()


class MetricsCategoryRankingSerializer(serializers.Serializer):
    by_decline_rate = MetricsCategoryBottleneckSerializer(many=True)
    by_breach_rate = MetricsCategoryBottleneckSerializer(many=True)


class MetricsProviderRankingSerializer(serializers.Serializer):
    by_decline_rate = MetricsProviderBottleneckSerializer(many=True)
    by_breach_rate = MetricsProviderBottleneckSerializer(many=True)


class MetricsBottlenecksSerializer(serializers.Serializer):
    min_volume = serializers.IntegerField(help_text="Only needs and providers with at least this many sent.")
    categories = MetricsCategoryRankingSerializer()
    providers = MetricsProviderRankingSerializer()


class ReferralMetricsSerializer(serializers.Serializer):
    definitions_version = serializers.CharField(help_text="Version of the definitions (see the dashboard).")
    as_of = serializers.DateTimeField(help_text="When the numbers were computed (open referrals' age).")
    period = MetricsPeriodSerializer()
    filters = MetricsFiltersSerializer()
    scope = MetricsScopeSerializer()
    sent = serializers.IntegerField(help_text="Referrals sent in the period (not entered in error).")
    acknowledged = serializers.IntegerField(help_text="Acknowledged or accepted; declined-first is not.")
    acknowledged_within_sla = serializers.IntegerField(help_text="Acknowledged by the acknowledgement due time.")
    acknowledgement_rate = _rate("Acknowledged / sent.")
    acknowledged_within_sla_rate = _rate("Acknowledged within SLA / sent.")
    accepted = serializers.IntegerField()
    declined = serializers.IntegerField()
    declined_before_acknowledgement = serializers.IntegerField()
    acceptance_rate = _rate("Accepted / (accepted + declined).")
    decline_rate = _rate("Declined / (accepted + declined).")
    decline_reasons = _counts(DeclineReason.values, "Declined referrals")
    closed = serializers.IntegerField(help_text="Closed with an outcome.")
    outcomes = _counts(CloseOutcome.values, "Closed referrals")
    cancelled = serializers.IntegerField()
    loop_closed = serializers.IntegerField(help_text="Closed, declined or cancelled, with a code.")
    loop_closure_rate = _rate("Loop closed / sent.")
    time_to_acknowledge = MetricsDurationSerializer()
    time_to_first_contact = MetricsDurationSerializer()
    time_to_service_start = MetricsDurationSerializer()
    sla_breaches = _counts(Stage.values, "SLA breaches")
    sla_breach_rates = _rates(Stage.values, "Breaches / sent")
    exceptions_opened = serializers.IntegerField(help_text="Exception queue items concerning these referrals.")
    referrals_with_exceptions = serializers.IntegerField()
    exception_rate = _rate("Referrals with an exception / sent.")
    open = serializers.IntegerField(help_text="Still open now.")
    open_by_age = MetricsAgeBucketSerializer(many=True)
    weekly = MetricsWeekSerializer(many=True)
    bottlenecks = MetricsBottlenecksSerializer()


class MetricsErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False, help_text="Messages per parameter."
    )
