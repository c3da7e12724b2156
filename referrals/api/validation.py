"""The API's answer when the template's rules refuse a save or a send (400), and its schema.

```json
{"detail": "...", "code": "invalid_template" | "warnings_unconfirmed",
 "errors": {"client.phone": ["..."]}, "error_codes": {"client.phone": ["invalid-phone"]},
 "warnings": [{"code": "duplicate-open-referral", "field": "category", "message": "...",
               "referral": "<id>", "url": "/api/v1/referrals/<id>/"}]}
```
Warnings alone answer `warnings_unconfirmed`: repeat the request with `"confirm_warnings": true` to send anyway.
"""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from ..validation.codes import Rule
from ..validation.rejection import TemplateRejected

CONFIRM_HELP = "Send despite the warnings the last attempt answered (a 400 with `warnings`)."


class TemplateWarningSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=Rule.choices, help_text="The rule, e.g. duplicate-open-referral.")
    field = serializers.CharField()
    message = serializers.CharField()
    referral = serializers.UUIDField(allow_null=True, help_text="The other referral a duplicate warning is about.")
    url = serializers.CharField(allow_null=True, help_text="Where to read that referral in the API.")


class TemplateRejectionSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(
        required=False, help_text="`invalid_template` (errors) or `warnings_unconfirmed` (only warnings)."
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field; client record fields are named `client.<field>`.",
    )
    error_codes = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False, help_text="Rule codes per field."
    )
    warnings = TemplateWarningSerializer(many=True, required=False)


def rejection_body(rejected: TemplateRejected) -> dict:
    result = rejected.result
    errors = result.message_dict()
    warnings = [
        {
            "code": p.code,
            "field": p.field,
            "message": p.message,
            "referral": str(p.referral_id) if p.referral_id else None,
            "url": reverse("api:referral-detail", args=[p.referral_id]) if p.referral_id else None,
        }
        for p in result.warnings
    ]
    if errors:
        detail = (
            "The referral cannot be sent: correct the fields listed."
            if result.mode == "submit"
            else ("The request has invalid fields.")
        )
        code = "invalid_template"
    else:
        detail = 'Check the warnings; to send anyway, repeat the request with "confirm_warnings": true.'
        code = "warnings_unconfirmed"
    return {"detail": detail, "code": code, "errors": errors, "error_codes": result.code_dict(), "warnings": warnings}
