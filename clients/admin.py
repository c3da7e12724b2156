from django.contrib import admin

from audit.choices import AuditAction
from coordination.admin_reads import AuditedReadOnlyAdmin

from .admin_disclosures import DisclosureReportAdminMixin
from .models import Client, ClientIdentifier


class ClientIdentifierInline(admin.TabularInline):
    model = ClientIdentifier
    extra = 0
    readonly_fields = ["system", "value"]
    can_delete = False


@admin.register(Client)
class ClientAdmin(DisclosureReportAdminMixin, AuditedReadOnlyAdmin):
    """Read-only for governance, scoped and audited like the portal's own client pages; with the disclosure report."""

    list_display = ["family_name", "given_name", "birth_date", "organization", "updated_at"]
    list_filter = ["organization"]
    search_fields = ["family_name", "given_name", "identifiers__value"]
    list_select_related = ["organization"]
    inlines = [ClientIdentifierInline]
    listed_action = AuditAction.CLIENT_LISTED
    viewed_action = AuditAction.CLIENT_VIEWED

    @staticmethod
    def client_id_of(client):
        return client.pk
