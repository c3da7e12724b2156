"""API tokens: issued for a username and password, hashed at rest (knox), sent as `Token <key>`."""

import math

from django.contrib.auth import authenticate
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from audit.choices import AuditAction
from audit.services import audit_record
from coordination.api.authentication import PortalTokenAuthentication
from coordination.context import set_request_user
from coordination.lockout import lockout_clear, lockout_message, lockout_refuse, lockout_until


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class TokenObtainView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer("Token", {"token": serializers.CharField(), "expiry": serializers.DateTimeField()}),
            429: inline_serializer("LockedOut", {"detail": serializers.CharField(), "code": serializers.CharField()}),
        },
        description=(
            "Exchange a username and password for an API token (expires; see `expiry`). After too many failed "
            "attempts for a username or from an address, answers 429 with `code: locked_out` until the lockout ends."
        ),
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        username = serializer.validated_data["username"]
        until = lockout_until(username=username)
        if until is not None:
            lockout_refuse(username=username, until=until)
            return Response(
                {"detail": lockout_message(until), "code": "locked_out"},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(math.ceil((until - timezone.now()).total_seconds()))},
            )
        user = authenticate(request, **serializer.validated_data)
        if user is None:
            return Response({"detail": "Unable to sign in with those credentials."}, status=status.HTTP_400_BAD_REQUEST)
        lockout_clear(username=username)
        instance, token = AuthToken.objects.create(user)
        set_request_user(user)
        audit_record(action=AuditAction.TOKEN_ISSUED, actor=user, detail={"token_prefix": instance.token_key})
        return Response({"token": token, "expiry": instance.expiry})


class TokenRevokeView(APIView):
    authentication_classes = [PortalTokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None}, description="Revoke the token this request carries.")
    def post(self, request):
        request.auth.delete()
        audit_record(
            action=AuditAction.TOKEN_REVOKED, actor=request.user, detail={"token_prefix": request.auth.token_key}
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
