"""The first account of a district that has no superuser, or any account from a console.

A district's first officer cannot be appointed from the product (nobody there manages posts
yet), so whoever runs the server gives the first post here; everyone after that is appointed
on the people pages by the officers above them.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from grids.models import Area
from grids.roles import Level, Role
from grids.services import NewPerson, create_area, give_post


class Command(BaseCommand):
    help = (
        "Give a post to a new person (printing a temporary password, to be replaced at the "
        "first sign-in), e.g. the district's first officer: "
        "create_officer --area 330100 --role district_staff --name 王芳 --phone 13800138000"
    )

    def add_arguments(self, parser):
        parser.add_argument("--area", required=True, help="the area's code")
        parser.add_argument(
            "--role", default=Role.DISTRICT_STAFF, choices=Role.values, help="the post's role"
        )
        parser.add_argument("--name", required=True, help="the name colleagues know")
        parser.add_argument("--phone", default="", help="mobile number (sign-in by mobile)")
        parser.add_argument("--username", default="", help="user name (default: the mobile)")
        parser.add_argument(
            "--new-district",
            metavar="NAME",
            default="",
            help="on an empty database: first add the district with the code --area and this name",
        )

    def handle(self, *args, area, role, name, phone, username, new_district, **options):
        found = Area.objects.filter(code=area).first()
        try:
            if found is None and new_district:
                if Area.objects.get_root_nodes().exists():
                    raise CommandError("There is a district already: give its code.")
                found = create_area(
                    by=None, parent=None, code=area, name=new_district, level=Level.DISTRICT
                )
            if found is None:
                raise CommandError(f"No area with the code {area!r}.")
            # by=None: the console acts as the system, as imports and the sweep do.
            post, password = give_post(
                by=None,
                area=found,
                role=role,
                new=NewPerson(display_name=name, phone=phone, username=username),
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(
            f"{post.user.username}: {post.get_role_display()} of {found.name}. "
            f"Temporary password (shown once, replaced at the first sign-in): {password}"
        )
