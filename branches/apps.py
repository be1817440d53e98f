from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BranchesConfig(AppConfig):
    name = "branches"
    verbose_name = _("Party branches")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from branches import models

        for model in (
            models.Branch,
            models.BranchGrid,
            models.PartyGroup,
            models.Registration,
            models.ServiceRecord,
            models.HouseholdLink,
            models.CoBuildingUnit,
            models.JointMeeting,
        ):
            auditlog.register(model)
        auditlog.register(models.PartyMember, mask_fields=["phone"])

        from grids.navigation import AreaLink, register_area_link
        from grids.roles import Level

        communities = frozenset({Level.COMMUNITY, Level.VILLAGE})
        register_area_link(AreaLink(_("Party branches"), "area_branches", order=10))
        register_area_link(
            AreaLink(
                _("Households linked to members"),
                "area_links",
                order=12,
                levels=frozenset({Level.COMMUNITY, Level.VILLAGE, Level.GRID}),
            )
        )
        register_area_link(
            AreaLink(
                _("In-service members registered here"),
                "area_registrations",
                order=14,
                levels=communities,
            )
        )
        register_area_link(
            AreaLink(_("Co-building units"), "area_cobuilding", order=16, levels=communities)
        )

        from grids.navigation import HouseholdPanel, register_household_panel

        register_household_panel(
            HouseholdPanel(
                _("Linked party members (党员联户)"),
                "branches/_household_members.html",
                _linked_members,
                order=20,
            )
        )


def _linked_members(user, household):
    from branches.models import HouseholdLink

    return (
        HouseholdLink.objects.visible_to(user)
        .filter(household=household)
        .select_related("member__branch")
        .order_by("since")[:10]
    )
