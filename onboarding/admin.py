"""Imports and exports are audit records: readable, never edited or deleted here."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin as ReadOnly
from onboarding.models import ExportRecord, ImportRun


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnly):
    list_display = ("created_at", "kind", "area", "created_by", "file_name", "status", "rows")
    list_filter = ("kind", "status")
    search_fields = ("file_name", "file_sha256", "area__code", "created_by__username")
    list_select_related = ("area", "created_by")
    exclude = ("file", "report")


@admin.register(ExportRecord)
class ExportRecordAdmin(ReadOnly):
    list_display = ("at", "kind", "area", "by", "rows", "full_personal", "remote_addr")
    list_filter = ("kind", "full_personal")
    list_select_related = ("area", "by")
