from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from coordination.accounts import user_deactivate
from coordination.admin_site import is_governance
from coordination.lockout import lockout_unlock

# Searchable users for the membership form's autocomplete.
User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    """Unticking "active" here also ends the user's sessions and tokens (the post_save receiver in audit)."""

    search_fields = ["username", "first_name", "last_name", "email"]
    actions = ["unlock_sign_in", "deactivate_users"]

    def has_unlock_permission(self, request) -> bool:
        return is_governance(request.user)

    @admin.action(description="Unlock sign-in (clear failed attempts)", permissions=["unlock"])
    def unlock_sign_in(self, request, queryset) -> None:
        unlocked = [user.get_username() for user in queryset if lockout_unlock(actor=request.user, user=user)]
        if unlocked:
            self.message_user(request, f"Unlocked: {', '.join(unlocked)}.", messages.SUCCESS)
        else:
            self.message_user(request, "None of them was locked out; their failed attempts were cleared.")

    @admin.action(description="Deactivate (end their sessions and API tokens now)", permissions=["change"])
    def deactivate_users(self, request, queryset) -> None:
        users = [user for user in queryset if user.pk != request.user.pk]
        for user in users:
            user_deactivate(actor=request.user, user=user)
        self.message_user(request, f"Deactivated {len(users)} user(s); their sessions and tokens have ended.")
