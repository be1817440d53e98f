"""Admin groups for officers: coarse model permissions; scope still comes from posts."""

from django.contrib.auth.models import Group, Permission

GROUP_PERMISSIONS = {
    "District staff": {
        "grids": {
            "area": "vac",
            "household": "v",
            "resident": "v",
            "residentcare": "v",
            "post": "vac",
        },
        "accounts": {"user": "v"},
    },
    "Street staff": {
        "grids": {
            "area": "v",
            "household": "v",
            "resident": "v",
            "residentcare": "v",
            "post": "vac",
        },
        "accounts": {"user": "v"},
    },
    "Community staff": {
        "grids": {
            "area": "v",
            "household": "vac",
            "resident": "vac",
            "residentcare": "vacd",
            "post": "vac",
        },
        "accounts": {"user": "v"},
    },
}
_ACTIONS = {"v": "view", "a": "add", "c": "change", "d": "delete"}


def ensure_groups(**kwargs) -> None:
    for name, apps in GROUP_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        codenames = [
            (app, f"{_ACTIONS[letter]}_{model}")
            for app, models in apps.items()
            for model, letters in models.items()
            for letter in letters
        ]
        wanted = Permission.objects.none()
        for app, codename in codenames:
            wanted |= Permission.objects.filter(content_type__app_label=app, codename=codename)
        group.permissions.set(wanted)
