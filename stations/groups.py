"""Admin permissions for the officer groups that ``grids.groups`` creates.

Scope still comes from posts (``ScopedAdmin``); these only open the admin pages. Grids
resets its groups first on every migrate, then this adds the station models.
"""

from django.contrib.auth.models import Group, Permission

GROUP_PERMISSIONS = {
    "District staff": {
        "station": "v",
        "inspection": "v",
        "activity": "v",
        "monthlyserved": "v",
        "servicetype": "vac",
        "facility": "vac",
    },
    "Street staff": {"station": "v", "inspection": "v", "activity": "v", "monthlyserved": "v"},
    "Community staff": {
        "station": "vc",
        "stationstaff": "vacd",
        "inspection": "v",
        "activity": "vc",
        "monthlyserved": "vc",
    },
}
_ACTIONS = {"v": "view", "a": "add", "c": "change", "d": "delete"}


def ensure_permissions(**kwargs) -> None:
    for name, models in GROUP_PERMISSIONS.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        codenames = [
            f"{_ACTIONS[letter]}_{model}" for model, letters in models.items() for letter in letters
        ]
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="stations", codename__in=codenames)
        )
