"""JSON errors for every failure a client can cause: a message, and one per field where it applies."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from audit.services import audit_refused_request


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == 403:
        audit_refused_request(request=context["request"], status=403, reason=str(getattr(exc, "detail", exc)))
    if response is not None and isinstance(exc, exceptions.ValidationError) and isinstance(response.data, dict):
        response.data = {"detail": "The request has invalid fields.", "errors": response.data}
    elif response is not None and isinstance(exc, exceptions.ValidationError):
        response.data = {"detail": "The request is invalid.", "errors": {"non_field_errors": response.data}}
    return response
