"""The officers' admin groups, built after every migrate from the policy table.

Each app's ``policy`` module declares the admin model permissions of the staff roles it
concerns (``grids.policy.register``); a group holds exactly their union, so a permission
added by hand is taken away again. Scope still comes from posts (``ScopedAdmin``).
"""

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from grids import policy


def _last_app_named(labels: set[str]) -> str | None:
    named = [config.label for config in apps.get_app_configs() if config.label in labels]
    return named[-1] if named else None


def ensure_groups(sender, **kwargs) -> None:
    """Django creates an app's permissions in that app's own post_migrate, app by app in
    INSTALLED_APPS order: by the last app the groups name, all of theirs exist."""
    wanted = {role: policy.admin_permissions(role) for role in policy.ADMIN_GROUPS}
    labels = {label for permissions in wanted.values() for label in permissions}
    if sender.label != _last_app_named(labels):
        return
    for role, name in policy.ADMIN_GROUPS.items():
        group, _created = Group.objects.get_or_create(name=name)
        condition = Q(pk__in=[])
        for app_label, codenames in wanted[role].items():
            condition |= Q(content_type__app_label=app_label, codename__in=codenames)
        group.permissions.set(Permission.objects.filter(condition))
