"""The metrics have no table of their own: they are aggregates over referrals, computed on request.

`MeasuredReferral` is a proxy of `Referral` (no table, no extra columns). It exists for two reasons:
- its access policy (`metrics/access.py`) is the metrics scope, so the numbers are read through
  `MeasuredReferral.objects.visible_to(user)` like every other read, fail-closed;
- it carries the two permissions the roles grant (`coordination/roles.py`): an organization's own numbers,
  and the whole network's.
"""

from referrals.models import Referral


class MeasuredReferral(Referral):
    class Meta:
        proxy = True
        verbose_name = "measured referral"
        default_permissions = ()
        permissions = [
            ("view_referral_metrics", "View the referral performance numbers of one's own organization"),
            ("view_network_metrics", "View the referral performance numbers of the whole network"),
        ]
