"""Hand-checked numbers for the referrals of tests/metrics/conftest.py (the working is in the comments).

Durations are seconds. Percentiles are percentile_cont: rank = fraction * (n - 1), interpolated linearly.
"""

from referrals.choices import CloseOutcome, DeclineReason

HOUR = 3600
ZERO_DECLINES = dict.fromkeys(DeclineReason.values, 0)
ZERO_OUTCOMES = dict.fromkeys(CloseOutcome.values, 0)
ZERO_BREACHES = {"acknowledge": 0, "first_contact": 0, "service_start": 0}
AGE_BUCKETS = [
    ("under_3_days", "Under 3 days", 0, 3),
    ("3_to_7_days", "3-7 days", 3, 8),
    ("8_to_14_days", "8-14 days", 8, 15),
    ("15_to_30_days", "15-30 days", 15, 31),
    ("31_to_90_days", "31-90 days", 31, 91),
    ("over_90_days", "Over 90 days", 91, None),
]


def age_buckets(*counts: int) -> list[dict]:
    return [
        {"bucket": key, "label": label, "min_days": low, "max_days": high, "count": count}
        for (key, label, low, high), count in zip(AGE_BUCKETS, counts, strict=True)
    ]


# The whole network (governance), and the county (it sent every one of them): R1..R11.
NETWORK = {
    "sent": 11,
    # R1, R2 (acknowledged before declining), R4 and R8 (accepting acknowledges), R6, R7, R10.
    # Not R3 and R9 (declined before acknowledgement), R5 and R11 (nothing yet).
    "acknowledged": 7,
    # All but R4 (28 h, due after 24 h); R7 at exactly its due time counts.
    "acknowledged_within_sla": 6,
    "acknowledgement_rate": 0.6364,  # 7/11
    "acknowledged_within_sla_rate": 0.5455,  # 6/11
    "accepted": 4,  # R1, R4, R7, R8
    "declined": 3,  # R2, R3, R9
    "declined_before_acknowledgement": 2,  # R3, R9
    "acceptance_rate": 0.5714,  # 4/7
    "decline_rate": 0.4286,  # 3/7
    "decline_reasons": {**ZERO_DECLINES, "no-capacity": 2, "not-eligible": 1},
    "closed": 2,  # R1, R8
    "outcomes": {**ZERO_OUTCOMES, "service-completed": 1, "unable-to-contact": 1},
    "cancelled": 1,  # R6
    "loop_closed": 6,  # R1, R8 closed; R2, R3, R9 declined; R6 cancelled
    "loop_closure_rate": 0.5455,  # 6/11
    # Acknowledged: 1h R1, 2h R2, 28h R4, 4h R6, 24h R7, 1h R8, 2h R10 -> 1,1,2,2,4,24,28 h.
    # Median rank 3 -> 2 h; p90 rank 5.4 -> 24 h + 0.4 * 4 h = 25.6 h = 92160 s.
    "time_to_acknowledge": {"median": 2 * HOUR, "p90": 92160, "count": 7},
    # First contact: 24h R1, 48h R4, 48h R7, 6h R8 -> 6,24,48,48 h. Median rank 1.5 -> 36 h; p90 rank 2.7 -> 48 h.
    "time_to_first_contact": {"median": 36 * HOUR, "p90": 48 * HOUR, "count": 4},
    # Service start: 72h R1, 120h R7. Median rank 0.5 -> 96 h; p90 rank 0.9 -> 72 + 0.9 * 48 = 115.2 h = 414720 s.
    "time_to_service_start": {"median": 96 * HOUR, "p90": 414720, "count": 2},
    # R4 and R5 acknowledge, R5 first contact, R4 service start (X1's breach is outside the period).
    "sla_breaches": {"acknowledge": 2, "first_contact": 1, "service_start": 1},
    "sla_breach_rates": {"acknowledge": 0.1818, "first_contact": 0.0909, "service_start": 0.0909},
    "exceptions_opened": 3,  # R3 once, R5 twice (X1's and the one about no referral do not count)
    "referrals_with_exceptions": 2,
    "exception_rate": 0.1818,  # 2/11
    # Open at Fri Feb 20 12:00: R4 (15 d 3 h), R5 (11 d 3 h), R7 (9 d 3 h), R10 (7 d 0 h: under 8 days),
    # R11 (4 d 12.5 h).
    "open": 5,
    "open_by_age": age_buckets(0, 2, 2, 1, 0, 0),
    "weekly": [
        # R1..R4: acknowledged R1, R2, R4; within SLA R1, R2.
        {"week_start": "2026-02-02", "sent": 4, "acknowledged": 3, "acknowledged_within_sla": 2},
        # R5..R11 (R11 is Sunday 23:30): acknowledged and within SLA R6, R7, R8, R10.
        {"week_start": "2026-02-09", "sent": 7, "acknowledged": 4, "acknowledged_within_sla": 4},
    ],
}

# Food (Harbor): R1-R9 and R11 = 10 sent, 4 accepted, 3 declined (3/7), R4 and R5 breached (2/10).
HARBOR_MEASURES = {"sent": 10, "declined": 3, "decline_rate": 0.4286, "breached": 2, "breach_rate": 0.2}

EMPTY = {
    "sent": 0,
    "acknowledged": 0,
    "acknowledged_within_sla": 0,
    "acknowledgement_rate": None,
    "acknowledged_within_sla_rate": None,
    "accepted": 0,
    "declined": 0,
    "declined_before_acknowledgement": 0,
    "acceptance_rate": None,
    "decline_rate": None,
    "decline_reasons": ZERO_DECLINES,
    "closed": 0,
    "outcomes": ZERO_OUTCOMES,
    "cancelled": 0,
    "loop_closed": 0,
    "loop_closure_rate": None,
    "time_to_acknowledge": {"median": None, "p90": None, "count": 0},
    "time_to_first_contact": {"median": None, "p90": None, "count": 0},
    "time_to_service_start": {"median": None, "p90": None, "count": 0},
    "sla_breaches": ZERO_BREACHES,
    "sla_breach_rates": {"acknowledge": None, "first_contact": None, "service_start": None},
    "exceptions_opened": 0,
    "referrals_with_exceptions": 0,
    "exception_rate": None,
    "open": 0,
    "open_by_age": age_buckets(0, 0, 0, 0, 0, 0),
    "weekly": [
        {"week_start": "2026-02-02", "sent": 0, "acknowledged": 0, "acknowledged_within_sla": 0},
        {"week_start": "2026-02-09", "sent": 0, "acknowledged": 0, "acknowledged_within_sla": 0},
    ],
    "bottlenecks": {
        "min_volume": 10,
        "categories": {"by_decline_rate": [], "by_breach_rate": []},
        "providers": {"by_decline_rate": [], "by_breach_rate": []},
    },
}
