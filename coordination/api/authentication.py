from knox.auth import TokenAuthentication

from coordination.context import set_request_user


class PortalTokenAuthentication(TokenAuthentication):
    """Knox tokens (hashed at rest, expiring), recording the user on the acting context for audit."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            set_request_user(result[0])
        return result
