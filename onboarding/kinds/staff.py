"""Staff and their posts: one row per post (a person with two posts has two rows).

A person is found by user name when the row gives one, else by mobile number; a person not
yet known gets an account without a password (activation comes with issue 20). A post is
made with ``grids.services.appoint``, so its rules (which role at which level, who may
appoint, one open post per person, area and role) are the app's; an open post of the same
person, role and area is left as it is.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.services import create_account
from core.personal import mask_mobile
from grids import services as grid_services
from grids.models import Post
from grids.policy import TerritoryCapability
from grids.roles import Role
from onboarding.kinds.support import (
    BAD,
    MASK,
    area_cell,
    areas_by_code,
    duplicate,
    full_personal,
    label,
    mobile_cell,
    read_row,
    report_invalid,
    usable,
)
from onboarding.spec import CREATED, UNCHANGED, Column, Job, Kind, Sheet, date

STAFF = Sheet(
    "staff",
    "Staff",
    "人员",
    (
        Column(
            "name",
            "Name",
            "姓名",
            required=True,
            example="王芳",
            help=gettext_lazy("The person's name as colleagues know it."),
        ),
        Column(
            "mobile",
            "Mobile",
            "手机号码",
            text=True,
            example="13812345678",
            help=gettext_lazy(
                "11-digit mobile number; finds the person when no user name is given. "
                "Required, except for an existing account named by its user name."
            ),
        ),
        Column(
            "username",
            "User name",
            "用户名",
            text=True,
            example="wangfang",
            help=gettext_lazy(
                "Optional: the sign-in name of an existing account, or the one to create. "
                "Empty: the mobile number."
            ),
        ),
        Column(
            "role",
            "Role",
            "岗位",
            required=True,
            choices=lambda: Role.choices,
            example="grid_worker",
            width=24,
            help=gettext_lazy("Grid leader, full-time grid worker, community staff…"),
        ),
        Column(
            "area",
            "Area code",
            "区域编码",
            required=True,
            text=True,
            example="G-0101",
            help=gettext_lazy("Code of the grid, community or street where the post is held."),
        ),
        Column(
            "started_on",
            "Start date",
            "任职日期",
            example="2024-03-01",
            help=gettext_lazy("Empty: today."),
        ),
        Column("note", "Note", "备注", width=24, help=gettext_lazy("Up to 200 characters.")),
    ),
)


class StaffKind(Kind):
    name = "staff"
    capability = TerritoryCapability.MANAGE_POSTS
    label = gettext_lazy("Staff and posts")
    sheets = (STAFF,)
    personal = True
    notes = (
        gettext_lazy(
            "One row per post: a person with two posts has two rows. A person is found by "
            "user name if given, else by mobile number; a new person gets an account that "
            "cannot sign in until it is activated. An open post of the same person, role "
            "and area is left unchanged; an import does not end posts."
        ),
        gettext_lazy(
            "An exported file shows mobile numbers masked unless you may see them in full; "
            "a masked number that matches the person's own is kept."
        ),
    )

    def check(self, job: Job) -> None:
        sheet = STAFF
        parsers = {
            "name": None,
            "mobile": mobile_cell,
            "username": None,
            "role": None,
            "area": None,
            "started_on": date,
            "note": None,
        }
        read = [read_row(job, sheet, row, parsers) for row in job.rows.get("staff", [])]
        areas = areas_by_code(values["area"] for values in read)
        usernames = {v["username"] for v in read if v["username"]}
        mobiles = {v["mobile"] for v in read if v["mobile"] and v["mobile"] is not BAD}
        User = get_user_model()
        by_username = {u.username: u for u in User.objects.filter(username__in=usernames | mobiles)}
        by_mobile: dict[str, list] = {}
        for user in User.objects.filter(phone__in=[m for m in mobiles if MASK not in m]):
            by_mobile.setdefault(user.phone, []).append(user)

        plan: list[dict] = []
        seen: dict = {}
        new_people: dict[str, dict] = {}  # the key of a person to create -> first row's values
        for values in read:
            row = values["row"]
            values["area"] = area_cell(job, sheet, row, "area", values["area"], areas)
            user = self._person(job, values, by_username, by_mobile)
            if user is BAD or not usable(values):
                continue
            key = user.pk if user is not None else f"new:{values['username'] or values['mobile']}"
            if user is None:
                account = get_user_model()(
                    username=values["username"] or values["mobile"],
                    phone=values["mobile"],
                    display_name=values["name"],
                )
                try:  # the account to create: a user name Django accepts, a name that fits
                    account.full_clean(exclude=["password"], validate_unique=False)
                except ValidationError as exc:
                    report_invalid(
                        job, sheet, row, exc, {"display_name": "name", "phone": "mobile"}
                    )
                    continue
                first = new_people.setdefault(key, values)
                if first is not values and first["mobile"] != values["mobile"]:
                    job.report.cell(
                        sheet,
                        row,
                        "mobile",
                        _("Row %(row)s gives this person another mobile number.")
                        % {"row": first["row"].number},
                    )
                    continue
            if duplicate(job, sheet, row, "role", seen, (key, values["role"], values["area"].pk)):
                continue
            values["user"] = user
            # The appointment's own rules (role at this level…), seen before anything is written.
            probe = Post(
                area=values["area"],
                role=values["role"],
                note=values["note"],
                started_on=values["started_on"] or Post._meta.get_field("started_on").default(),
            )
            try:
                probe.full_clean(exclude=["user", "area"], validate_constraints=False)
            except ValidationError as exc:
                report_invalid(job, sheet, row, exc, {"started_on": "started_on"})
                continue
            plan.append(values)

        held = set()
        known_users = [v["user"].pk for v in plan if v["user"] is not None]
        if known_users:
            held = set(
                Post.objects.filter(
                    user__in=known_users,
                    area__in={v["area"].pk for v in plan},
                    ended_on__isnull=True,
                ).values_list("user_id", "area_id", "role")
            )
        kept = []
        for values in plan:
            user = values["user"]
            outcome = (
                UNCHANGED
                if user is not None and (user.pk, values["area"].pk, values["role"]) in held
                else CREATED
            )
            # An officer's post is given from above (grids.services.appoint): a held one
            # comes back unchanged, a new one is refused here rather than at the write.
            if outcome == CREATED and not grid_services.may_give(
                job.by, values["role"], values["area"]
            ):
                job.report.cell(
                    sheet,
                    values["row"],
                    "role",
                    _("Only an officer above this area can give this post."),
                )
                continue
            values["outcome"] = outcome
            job.tallies["staff"].add(outcome)
            kept.append(values)
        job.plan = kept

    def _person(self, job: Job, values: dict, by_username: dict, by_mobile: dict):
        """The existing account the row names, None for one to create, BAD if it cannot be
        told (reported)."""
        sheet, row = STAFF, values["row"]
        username, mobile = values["username"], values["mobile"]
        if mobile is BAD:
            return BAD
        masked = MASK in mobile
        if username:
            user = by_username.get(username)
            if user is not None:
                if masked:
                    if mask_mobile(user.phone) != mobile:
                        job.report.cell(
                            sheet,
                            row,
                            "mobile",
                            _("A masked mobile number is kept only if it is this person's own."),
                        )
                        return BAD
                elif mobile and user.phone and user.phone != mobile:
                    job.report.cell(
                        sheet,
                        row,
                        "mobile",
                        _("The account %(user)s has another mobile number.") % {"user": username},
                    )
                    return BAD
                return user
        if masked:
            job.report.cell(
                sheet,
                row,
                "mobile",
                _("A masked mobile number cannot be imported; type it in full."),
            )
            return BAD
        if not mobile:
            job.report.cell(
                sheet, row, "mobile", _("Give the mobile number of a person not yet known.")
            )
            return BAD
        holders = by_mobile.get(mobile, [])
        if username:  # a new account: its mobile must not be someone else's
            if holders:
                job.report.cell(
                    sheet,
                    row,
                    "username",
                    _("No account has this user name, but %(user)s has this mobile number.")
                    % {"user": holders[0].username},
                )
                return BAD
            return None
        if len(holders) > 1:
            job.report.cell(
                sheet,
                row,
                "username",
                _("Several accounts have this mobile number; give the user name."),
            )
            return BAD
        if holders:
            return holders[0]
        if mobile in by_username:
            job.report.cell(
                sheet,
                row,
                "username",
                _("The mobile number is another account's user name; give a user name."),
            )
            return BAD
        return None

    def write(self, job: Job) -> None:
        created: dict[str, object] = {}
        total = len(job.plan)
        for position, values in enumerate(job.plan, 1):
            job.progress(position, total)
            if values["outcome"] == UNCHANGED:
                continue
            row = values["row"]
            try:
                user = values["user"]
                if user is None:
                    username = values["username"] or values["mobile"]
                    user = created.get(username)
                    if user is None:
                        user = created[username] = create_account(
                            username=username,
                            phone=values["mobile"],
                            display_name=values["name"],
                        )
                grid_services.appoint(
                    by=job.by,
                    user=user,
                    area=values["area"],
                    role=values["role"],
                    started_on=values["started_on"],
                    note=values["note"],
                )
            except ValidationError as exc:
                report_invalid(job, STAFF, row, exc, {"phone": "mobile"})
        if job.report:  # roll the whole import back
            raise ValidationError(_("Some rows could not be written; nothing was imported."))

    def export(self, job: Job):
        full = full_personal(job)
        posts = (
            Post.objects.filter(area__path__startswith=job.area.path, ended_on__isnull=True)
            .select_related("user", "area")
            .defer("area__boundary")
            .order_by("area__path", "role", "user__username")
        )

        def rows():
            for post in posts.iterator(chunk_size=1000):
                user = post.user
                yield [
                    user.display_name or user.get_full_name() or user.username,
                    user.phone if full else mask_mobile(user.phone),
                    user.username,
                    label(Role, post.role),
                    post.area.code,
                    post.started_on,
                    post.note,
                ]

        return {"staff": rows()}
