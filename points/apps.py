from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    name = "points"
    verbose_name = _("Points")

    def ready(self):
        from grids.navigation import AreaLink, register_area_link
        from grids.roles import Level
        from points.policy import PointsCapability
        from stations.policy import StationCapability

        communities = frozenset({Level.COMMUNITY, Level.VILLAGE})
        above_community = frozenset({Level.DISTRICT, Level.STREET, Level.TOWN})
        units = communities | above_community
        for link in (
            AreaLink(_("Points rankings"), "points_rankings", order=40),
            AreaLink(
                _("Points to verify"),
                "points_verify",
                levels=communities,
                capability=PointsCapability.VERIFY_POINTS,
                order=41,
            ),
            AreaLink(_("Points under publicity"), "points_publicity", levels=communities, order=42),
            AreaLink(_("Rewards"), "points_rewards", levels=communities, order=43),
            AreaLink(
                _("Record residents' conduct"),
                "points_record",
                levels=communities,
                capability=StationCapability.MANAGE_STATIONS,
                order=44,
            ),
            AreaLink(
                _("In-service members' annual minimum"), "points_minimum", levels=units, order=45
            ),
            AreaLink(_("Red and black lists"), "points_honours", levels=units, order=46),
            AreaLink(
                _("Points for the annual appraisal (Excel)"),
                "points_export",
                levels=units,
                order=47,
            ),
        ):
            register_area_link(link)
