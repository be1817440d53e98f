"""Households and their residents: two sheets of one workbook.

A household is found by its number (户编号) when the row gives one, else by its grid and
address; a resident by ID number when the row gives one (unique in the district), else by
household and name. So importing the same file twice changes nothing, and a corrected file
updates the rows it matches instead of adding them again.

Everything the check needs from the database is read in a few queries keyed by the file's
numbers, addresses and ID numbers (in chunks), never per row: a street's 100,000 residents
are checked in seconds. The write goes through ``grids.services.import_households``, which
writes in bulk.

Exports show full ID numbers and mobiles only to whoever may reveal them; the others get the
masked values, and a masked value that still matches the stored one means "keep it", so the
masked export imports back unchanged.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Case, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.personal import (
    mask_id_number,
    mask_mobile,
    normalize_id_number,
    normalize_mobile,
    validate_id_number,
    validate_mobile,
)
from grids import services as grid_services
from grids.models import Area, CareCategory, Household, Resident, ResidentCare, household_q
from grids.policy import TerritoryCapability
from grids.roles import Level
from grids.scope import can
from grids.services import HouseholdImport, ResidentImport
from onboarding.spec import (
    CREATED,
    UNCHANGED,
    UPDATED,
    CellError,
    Column,
    Job,
    Kind,
    Row,
    Sheet,
    choice,
    date,
    each,
    items,
    number,
)

CHUNK = 5000  # keys per IN (…) query
NAME_LENGTH = Resident._meta.get_field("name").max_length


class _CareHelp:
    """The care column's help, listing the categories in the language of the moment."""

    def __str__(self) -> str:
        return _(
            "Several may be given in one cell, separated by 、 or commas: %(values)s. "
            "An empty cell means none."
        ) % {"values": "、".join(str(label) for _value, label in CareCategory.choices)}


HOUSEHOLDS = Sheet(
    "households",
    "Households",
    "户",
    (
        Column(
            "number",
            "Household number",
            "户编号",
            text=True,
            example="HH-0001",
            help=gettext_lazy(
                "The register's number for the household. Give it when there is one: a "
                "re-import finds the household by it. Without it, by grid and address."
            ),
        ),
        Column(
            "grid",
            "Grid code",
            "所属网格编码",
            required=True,
            text=True,
            example="G-0101",
            help=gettext_lazy("Code of the grid the household lies in."),
        ),
        Column(
            "micro_grid",
            "Micro-grid code",
            "微网格编码",
            text=True,
            example="G-0101-M1",
            help=gettext_lazy("Code of a micro-grid of that grid, if any."),
        ),
        Column(
            "address",
            "Address",
            "地址",
            required=True,
            width=36,
            example="幸福花园 3幢 2单元 501室",
            help=gettext_lazy("Compound, building, unit and room."),
        ),
        Column(
            "longitude",
            "Longitude",
            "经度",
            example="119.9731",
            help=gettext_lazy("Decimal degrees; give both or neither."),
        ),
        Column(
            "latitude",
            "Latitude",
            "纬度",
            example="31.8112",
            help=gettext_lazy("Decimal degrees; give both or neither."),
        ),
        Column("note", "Note", "备注", width=24, help=gettext_lazy("Anything worth knowing.")),
    ),
)

RESIDENTS = Sheet(
    "residents",
    "Residents",
    "居民",
    (
        Column(
            "household",
            "Household number",
            "户编号",
            text=True,
            example="HH-0001",
            help=gettext_lazy(
                "The household's number, on the households sheet or already loaded. "
                "Without it, give the household's address."
            ),
        ),
        Column(
            "household_address",
            "Household address",
            "户地址",
            width=36,
            example="幸福花园 3幢 2单元 501室",
            help=gettext_lazy("The household's address, when it has no number."),
        ),
        Column(
            "grid",
            "Grid code",
            "所属网格编码",
            text=True,
            help=gettext_lazy(
                "The household's grid, needed only when the same address is in two grids."
            ),
        ),
        Column("name", "Name", "姓名", required=True, example="张三"),
        Column(
            "id_number",
            "ID number",
            "身份证号",
            text=True,
            width=22,
            example="320412195001010011",
            help=gettext_lazy(
                "18 characters, checked. A re-import finds the resident by it. A masked number "
                "from an export keeps the stored one."
            ),
        ),
        Column(
            "phone",
            "Mobile",
            "手机号",
            text=True,
            example="13812345678",
            help=gettext_lazy(
                "11-digit mobile. A masked number from an export keeps the stored one."
            ),
        ),
        Column(
            "relationship",
            "Relationship to head",
            "与户主关系",
            choices=lambda: Resident.Relationship.choices,
            example="head",
            help=gettext_lazy("Empty: head of household for a new resident, else unchanged."),
        ),
        Column(
            "gender",
            "Gender",
            "性别",
            choices=lambda: Resident.Gender.choices,
            help=gettext_lazy("Taken from the ID number when one is given."),
        ),
        Column(
            "birth_date",
            "Date of birth",
            "出生日期",
            help=gettext_lazy("Taken from the ID number when one is given."),
        ),
        Column(
            "status",
            "Status",
            "状态",
            choices=lambda: Resident.Status.choices,
            help=gettext_lazy("Empty: lives here for a new resident, else unchanged."),
        ),
        Column("care", "Care categories", "关爱类别", width=28, help=_CareHelp()),
    ),
)

# Read through choice() one item at a time; not on the sheet, where a drop-down would refuse
# a cell holding several.
_CARE = Column("care", "Care categories", "关爱类别", choices=lambda: CareCategory.choices)

# Rows of the database as compact tuples (a street holds 100,000 residents): the last item
# says whether the row lies under the importing area.
_HOUSEHOLD_VALUES = ("pk", "number", "grid_id", "micro_grid_id", "address", "longitude")
_HOUSEHOLD_VALUES += ("latitude", "note", "inside")
_RESIDENT_VALUES = ("pk", "household_id", "name", "id_number", "phone", "relationship")
_RESIDENT_VALUES += ("gender", "birth_date", "status", "inside")
# One copy of each choice value, not one string per row read.
_CANONICAL = {
    value: value
    for value in (*Resident.Relationship.values, *Resident.Gender.values, *Resident.Status.values)
}


def _chunks(keys: Iterable) -> Iterable[list]:
    keys = list(keys)
    for start in range(0, len(keys), CHUNK):
        yield keys[start : start + CHUNK]


def _inside(queryset, root: Area, via: str = ""):
    inside = Case(
        When(household_q([root.path], via), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    return queryset.annotate(inside=inside)


def _resident_tuple(found: tuple) -> tuple:
    canonical = _CANONICAL
    return (
        *found[:5],
        canonical.get(found[5], found[5]),
        canonical.get(found[6], found[6]),
        found[7],
        canonical.get(found[8], found[8]),
        found[9],
    )


@dataclass(slots=True)
class _Person:
    """A residents row as read, before it is matched."""

    name: str
    id_number: str
    id_masked: bool
    phone: str
    phone_masked: bool
    relationship: str | None
    gender: str | None
    birth_date: Any
    status: str | None
    care: frozenset


_PLAIN_ID = re.compile(r"^[0-9X]*$")


def _id_cell(value: str) -> str:
    # Most cells are already as stored: no second copy of 100,000 strings.
    return value if _PLAIN_ID.match(value) else normalize_id_number(value)


def _masked(value: str) -> bool:
    return "*" in value


def _mask_fits(masked: str, stored: str) -> bool:
    """Whether a masked value from an export (``3204**********0011``, ``138****5678``) is the
    stored value: same length, every shown character in its place."""
    return (
        bool(stored)
        and len(masked) == len(stored)
        and all(shown in ("*", real) for shown, real in zip(masked, stored, strict=True))
    )


@dataclass(slots=True)
class _Home:
    """A household as the residents sheet reaches it."""

    key: int | None  # its row on the households sheet
    pk: int | None  # the existing household
    bad: bool = False  # its row has problems: its residents are not checked against it

    @property
    def identity(self) -> tuple:
        return ("pk", self.pk) if self.pk else ("row", self.key)


class HouseholdsKind(Kind):
    name = "households"
    label = gettext_lazy("Households and residents")
    sheets = (HOUSEHOLDS, RESIDENTS)
    formats = ("xlsx",)
    personal = True
    notes = (
        gettext_lazy(
            "Two sheets: households, and residents linked to a household by its number (or "
            "its address) on the households sheet or already loaded."
        ),
        gettext_lazy(
            "A household is found by its number, else by grid and address; a resident by ID "
            "number, else by household and name. Found rows are updated, others added; "
            "nothing is deleted."
        ),
        gettext_lazy(
            "An empty cell clears the stored value, except the household number, the "
            "relationship and the status, which then stay as they are."
        ),
    )

    # --- Checking -----------------------------------------------------------------------

    def check(self, job: Job) -> None:
        check = _Check(job)
        check.households()
        check.residents()
        job.plan = (check.household_plan, check.resident_plan)

    def write(self, job: Job) -> None:
        households, residents = job.plan
        grid_services.import_households(
            by=job.by,
            area=job.area,
            households=households,
            residents=residents,
            progress=job.progress,
        )

    # --- Exporting ----------------------------------------------------------------------

    def export(self, job: Job) -> dict[str, Iterable[list[Any]]]:
        area = job.area
        full = job.by is None or can(job.by, TerritoryCapability.REVEAL_PERSONAL, area)
        if full:
            job.options["full_personal"] = True
        households = (
            Household.objects.under(area)
            .order_by("grid__path", "address", "pk")
            .values_list(
                "number",
                "grid__code",
                "micro_grid__code",
                "address",
                "longitude",
                "latitude",
                "note",
            )
        )
        residents = (
            Resident.objects.filter(household_q([area.path], "household__"))
            .order_by("household__grid__path", "household__address", "household_id", "pk")
            .values_list(
                "pk",
                "household__number",
                "household__address",
                "household__grid__code",
                "name",
                "id_number",
                "phone",
                "relationship",
                "gender",
                "birth_date",
                "status",
            )
        )
        relationship = dict(Resident.Relationship.choices)
        gender = dict(Resident.Gender.choices)
        status = dict(Resident.Status.choices)
        care_label = dict(CareCategory.choices)

        def household_rows():
            for row in households.iterator(chunk_size=CHUNK):
                yield [value if value is not None else "" for value in row]

        def resident_rows():
            batch: list[tuple] = []

            def flush():
                care: defaultdict[int, list[str]] = defaultdict(list)
                for resident_id, category in (
                    ResidentCare.objects.filter(resident_id__in=[r[0] for r in batch])
                    .order_by("category")
                    .values_list("resident_id", "category")
                ):
                    care[resident_id].append(str(care_label.get(category, category)))
                for r in batch:
                    yield [
                        r[1],
                        r[2],
                        r[3],
                        r[4],
                        r[5] if full else mask_id_number(r[5]),
                        r[6] if full else mask_mobile(r[6]),
                        str(relationship.get(r[7], r[7])),
                        str(gender.get(r[8], "")) if r[8] else "",
                        r[9] or "",
                        str(status.get(r[10], r[10])),
                        "、".join(care.get(r[0], ())),
                    ]

            for row in residents.iterator(chunk_size=CHUNK):
                batch.append(row)
                if len(batch) >= CHUNK:
                    yield from flush()
                    batch = []
            if batch:
                yield from flush()

        return {"households": household_rows(), "residents": resident_rows()}


class _Check:
    """One check of one file: what was read, what it matches, what is wrong."""

    def __init__(self, job: Job):
        self.job = job
        self.report = job.report
        self.root: Area = job.area
        self.household_plan: list[HouseholdImport] = []
        self.resident_plan: list[ResidentImport] = []
        # Grids and micro-grids of the importing area, by code (a district has ~1,000).
        self.places: dict[str, Area] = {
            place.code: place
            for place in Area.objects.under(self.root).filter(
                level__in=[Level.GRID, Level.MICRO_GRID]
            )
        }
        self.grid_codes = {place.pk: place.code for place in self.places.values()}
        hrows = job.rows.get("households", [])
        rrows = job.rows.get("residents", [])
        codes = {row.get("grid") for row in hrows} | {row.get("micro_grid") for row in hrows}
        codes |= {row.get("grid") for row in rrows}
        codes -= {""}
        unknown = codes - set(self.places)
        self.elsewhere: set[str] = set()
        for chunk in _chunks(unknown):
            self.elsewhere |= set(
                Area.objects.filter(code__in=chunk).values_list("code", flat=True)
            )
        # Existing households the file may mean: by number and by address.
        self.existing: dict[int, tuple] = {}
        numbers = {row.get("number") for row in hrows} | {row.get("household") for row in rrows}
        numbers -= {""}
        for chunk in _chunks(numbers):
            for found in _inside(Household.objects.filter(number__in=chunk), self.root).values_list(
                *_HOUSEHOLD_VALUES
            ):
                self.existing[found[0]] = found
        addresses = {row.get("address") for row in hrows}
        addresses |= {row.get("household_address") for row in rrows}
        addresses -= {""}
        grid_ids = [place.pk for place in self.places.values() if place.level == Level.GRID]
        for chunk in _chunks(addresses):
            for found in _inside(
                Household.objects.filter(grid_id__in=grid_ids, address__in=chunk), self.root
            ).values_list(*_HOUSEHOLD_VALUES):
                self.existing[found[0]] = found
        self.by_number = {found[1]: pk for pk, found in self.existing.items() if found[1]}
        self.by_grid_address = {(found[2], found[4]): pk for pk, found in self.existing.items()}
        self.by_address: defaultdict[str, list[int]] = defaultdict(list)
        for pk, found in self.existing.items():
            if found[8]:
                self.by_address[found[4]].append(pk)
        # Households of the file, as the residents sheet reaches them.
        self.file_by_number: dict[str, _Home] = {}
        self.file_by_grid_address: dict[tuple[str, str], _Home] = {}
        self.file_by_address: defaultdict[str, list[_Home]] = defaultdict(list)
        self.care_sets: dict[frozenset, frozenset] = {}

    def bad(self, sheet: Sheet, row: Row, key: str | None, message: str) -> None:
        self.report.cell(sheet, row, key, message)

    def place(self, sheet: Sheet, row: Row, key: str, level: str) -> Area | None:
        """The grid or micro-grid a cell names, or None (reported) if it is not one here."""
        code = row.get(key)
        found = self.places.get(code)
        if found is not None and found.level == level:
            return found
        if found is not None:
            message = (
                _("This is not a grid's code.")
                if level == Level.GRID
                else _("This is not a micro-grid's code.")
            )
        elif code in self.elsewhere:
            message = _("This area lies outside %(area)s.") % {"area": self.root.name}
        else:
            message = _("No area has this code.")
        self.bad(sheet, row, key, message)
        return None

    # --- The households sheet -------------------------------------------------------------

    def households(self) -> None:
        sheet, job = HOUSEHOLDS, self.job
        rows = job.rows.get("households", [])
        tally = job.tallies["households"]
        problems_before = len(self.report)
        same_number: defaultdict[str, list[Row]] = defaultdict(list)
        same_place: defaultdict[tuple[str, str], list[Row]] = defaultdict(list)
        for row in rows:
            if row.get("number"):
                same_number[row.get("number")].append(row)
            if row.get("grid") and row.get("address"):
                same_place[(row.get("grid"), row.get("address"))].append(row)
        doubled: set[int] = set()
        for groups, key, message in (
            (same_number, "number", _("The same household number is on row %(rows)s.")),
            (same_place, "address", _("The same grid and address are on row %(rows)s.")),
        ):
            for group in groups.values():
                if len(group) < 2:
                    continue
                for row in group:
                    others = ", ".join(str(r.number) for r in group if r is not row)
                    self.bad(sheet, row, key, message % {"rows": others})
                    doubled.add(row.number)
        claimed: dict[int, int] = {}  # existing household pk -> the row that matched it
        targets: dict[tuple[int, str], int] = {}
        for row in each(rows, job):
            home = _Home(key=row.number, pk=None)
            self._register(row, home)
            count = len(self.report)
            outcome = self._household(row, home, claimed, targets)
            if outcome is None or len(self.report) != count or row.number in doubled:
                home.bad = True
                continue
            tally.add(outcome)
        if len(self.report) != problems_before:
            self.household_plan = []

    def _register(self, row: Row, home: _Home) -> None:
        if row.get("number"):
            self.file_by_number.setdefault(row.get("number"), home)
        if row.get("address"):
            self.file_by_grid_address.setdefault((row.get("grid"), row.get("address")), home)
            self.file_by_address[row.get("address")].append(home)

    def _household(self, row, home, claimed, targets) -> str | None:
        sheet = HOUSEHOLDS
        for key in ("grid", "address"):
            if not row.get(key):
                self.bad(sheet, row, key, _("This cell is required."))
        grid = self.place(sheet, row, "grid", Level.GRID) if row.get("grid") else None
        micro = (
            self.place(sheet, row, "micro_grid", Level.MICRO_GRID)
            if row.get("micro_grid")
            else None
        )
        coordinates = {}
        for key, low, high in (("longitude", -180, 180), ("latitude", -90, 90)):
            try:
                coordinates[key] = number(row.get(key), low=low, high=high)
            except CellError as exc:
                self.bad(sheet, row, key, str(exc))
        number_cell, address = row.get("number"), row.get("address")
        # The model's own rules, for every cell that could be read (so each bad cell of the
        # row is reported, not only the first): lengths, both coordinates or neither, the
        # micro-grid in the grid, the location in the grid.
        probe = Household(
            grid=grid,
            micro_grid=micro,
            number=number_cell,
            address=address,
            note=row.get("note"),
            longitude=coordinates.get("longitude"),
            latitude=coordinates.get("latitude"),
        )
        quiet = set() if len(coordinates) == 2 else {"longitude", "latitude"}  # reported above
        if not address:
            quiet.add("address")
        try:
            probe.full_clean(
                exclude=["grid", "micro_grid"], validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                if field in quiet:
                    continue
                key = field if field in {c.key for c in sheet.columns} else None
                for message in messages:
                    self.bad(sheet, row, key, message)
            return None
        if grid is None or (row.get("micro_grid") and micro is None) or quiet:
            return None
        # Which household the row means.
        match = None
        if number_cell and number_cell in self.by_number:
            match = self.by_number[number_cell]
            if not self.existing[match][8]:
                self.bad(
                    sheet,
                    row,
                    "number",
                    _("This number belongs to a household outside %(area)s.")
                    % {"area": self.root.name},
                )
                return None
        occupant = self.by_grid_address.get((grid.pk, address))
        if match is None and occupant is not None:
            if number_cell and self.existing[occupant][1]:
                self.bad(
                    sheet,
                    row,
                    "address",
                    _("Household %(number)s is already at this address in this grid.")
                    % {"number": self.existing[occupant][1]},
                )
                return None
            match = occupant
        elif match is not None and occupant is not None and occupant != match:
            self.bad(
                sheet,
                row,
                "address",
                _("Another household is already at this address in this grid."),
            )
            return None
        if match is not None:
            if match in claimed:
                self.bad(
                    sheet,
                    row,
                    None,
                    _("Row %(row)s is the same household.") % {"row": claimed[match]},
                )
                return None
            claimed[match] = row.number
            home.pk = match
        target = (grid.pk, address)
        if target in targets:
            return None  # two rows at one address: reported above
        targets[target] = row.number
        values = (
            # A blank number never clears one: the number is how the register finds it.
            number_cell or (self.existing[match][1] if match else ""),
            grid.pk,
            micro.pk if micro else None,
            address,
            probe.longitude,
            probe.latitude,
            probe.note,
        )
        if match is None:
            outcome = CREATED
        elif values == self.existing[match][1:8]:
            return UNCHANGED
        else:
            outcome = UPDATED
        self.household_plan.append(
            HouseholdImport(
                key=row.number,
                pk=match,
                grid_id=values[1],
                micro_grid_id=values[2],
                number=values[0],
                address=address,
                longitude=values[4],
                latitude=values[5],
                note=values[6],
            )
        )
        return outcome

    # --- The residents sheet --------------------------------------------------------------

    def residents(self) -> None:
        """In chunks of the file: each chunk's existing residents are read, compared and
        let go, so memory holds one chunk of the database at a time, not the street."""
        sheet, job = RESIDENTS, self.job
        rows = job.rows.get("residents", [])
        # Duplicate ID numbers first (one pass over the file), reported on every such row.
        counts = Counter(_id_cell(row.get("id_number")) for row in rows)
        doubled = {key for key, n in counts.items() if n > 1 and key and not _masked(key)}
        del counts
        rows_of: defaultdict[str, list[int]] = defaultdict(list)
        if doubled:
            for row in rows:
                if _id_cell(row.get("id_number")) in doubled:
                    rows_of[_id_cell(row.get("id_number"))].append(row.number)
        claimed: dict[int, int] = {}
        tally = job.tallies["residents"]
        for start in range(0, len(rows), CHUNK):
            parsed: list[tuple[Row, _Home, _Person]] = []
            for row in rows[start : start + CHUNK]:
                count = len(self.report)
                home = self._home(row)
                values = self._resident_cells(row)
                if values.id_number in doubled:
                    others = ", ".join(str(n) for n in rows_of[values.id_number] if n != row.number)
                    self.bad(
                        sheet,
                        row,
                        "id_number",
                        _("The same ID number is on row %(rows)s.") % {"rows": others},
                    )
                if len(self.report) == count and home is not None and not home.bad:
                    parsed.append((row, home, values))
            self._residents_chunk(parsed, claimed, tally)
            job.progress(min(start + CHUNK, len(rows)), len(rows))

    def _residents_chunk(self, parsed, claimed: dict[int, int], tally) -> None:
        # Existing residents: by ID number, then by household for the rows without one.
        known: dict[int, tuple] = {}
        ids = [values.id_number for _row, _home, values in parsed if values.id_number]
        for found in _inside(
            Resident.objects.filter(id_number__in=[i for i in ids if not _masked(i)]),
            self.root,
            "household__",
        ).values_list(*_RESIDENT_VALUES):
            known[found[0]] = _resident_tuple(found)
        by_id = {found[3]: pk for pk, found in known.items()}
        homes = {
            home.pk
            for _row, home, values in parsed
            if home.pk and (values.id_masked or values.id_number not in by_id)
        }
        by_home_name: defaultdict[tuple[int, str], list[int]] = defaultdict(list)
        if homes:
            for found in _inside(
                Resident.objects.filter(household_id__in=homes), self.root, "household__"
            ).values_list(*_RESIDENT_VALUES):
                found = known.setdefault(found[0], _resident_tuple(found))
                by_home_name[(found[1], found[2])].append(found[0])
        matches = [
            self._match(row, home, values, known, by_id, by_home_name, claimed)
            for row, home, values in parsed
        ]
        care: defaultdict[int, set[str]] = defaultdict(set)
        matched = [pk for pk in matches if pk]
        if matched:
            for resident_id, category in ResidentCare.objects.filter(
                resident_id__in=matched
            ).values_list("resident_id", "category"):
                care[resident_id].add(category)
        for (row, home, values), match in zip(parsed, matches, strict=True):
            if match is False:
                continue
            outcome = self._resident(row, home, values, known.get(match), care.get(match, set()))
            if outcome:
                tally.add(outcome)

    def _home(self, row: Row) -> _Home | None:
        sheet = RESIDENTS
        number_cell = row.get("household")
        address = row.get("household_address")
        grid_code = row.get("grid")
        if number_cell:
            home = self.file_by_number.get(number_cell)
            if home is not None:
                return home
            pk = self.by_number.get(number_cell)
            if pk is None:
                self.bad(
                    sheet, row, "household", _("No household has this number, here or in the file.")
                )
                return None
            return self._existing_home(row, "household", pk)
        if not address:
            self.bad(sheet, row, "household", _("Give the household's number or its address."))
            return None
        if grid_code:
            home = self.file_by_grid_address.get((grid_code, address))
            if home is not None:
                return home
            grid = self.place(sheet, row, "grid", Level.GRID)
            if grid is None:
                return None
            pk = self.by_grid_address.get((grid.pk, address))
            if pk is None:
                self.bad(
                    sheet,
                    row,
                    "household_address",
                    _("No household is at this address in this grid, here or in the file."),
                )
                return None
            return self._existing_home(row, "household_address", pk)
        candidates = {home.identity: home for home in self.file_by_address.get(address, ())}
        for pk in self.by_address.get(address, ()):
            candidates.setdefault(("pk", pk), _Home(key=None, pk=pk))
        if len(candidates) > 1:
            self.bad(
                sheet,
                row,
                "household_address",
                _(
                    "Several households are at this address (ambiguous); give the household "
                    "number or the grid code."
                ),
            )
            return None
        if not candidates:
            self.bad(
                sheet,
                row,
                "household_address",
                _("No household is at this address, here or in the file."),
            )
            return None
        return next(iter(candidates.values()))

    def _existing_home(self, row: Row, key: str, pk: int) -> _Home | None:
        if not self.existing[pk][8]:
            self.bad(
                RESIDENTS,
                row,
                key,
                _("This household lies outside %(area)s.") % {"area": self.root.name},
            )
            return None
        return _Home(key=None, pk=pk)

    def _resident_cells(self, row: Row) -> _Person:
        sheet = RESIDENTS
        name = row.get("name")
        if not name:
            self.bad(sheet, row, "name", _("This cell is required."))
        elif len(name) > NAME_LENGTH:
            self.bad(sheet, row, "name", _("At most %(n)s characters.") % {"n": NAME_LENGTH})
        id_number = _id_cell(row.get("id_number"))
        id_masked = _masked(id_number)
        if id_number and not id_masked:
            try:
                validate_id_number(id_number)
            except ValidationError as exc:
                self.bad(sheet, row, "id_number", exc.messages[0])
        phone = normalize_mobile(row.get("phone"))
        phone_masked = _masked(phone)
        if phone and not phone_masked:
            try:
                validate_mobile(phone)
            except ValidationError as exc:
                self.bad(sheet, row, "phone", exc.messages[0])
        chosen: dict[str, str | None] = {}
        for key in ("relationship", "gender", "status"):
            try:
                chosen[key] = choice(sheet.column(key), row.get(key))
            except CellError as exc:
                self.bad(sheet, row, key, str(exc))
                chosen[key] = None
        try:
            born = date(row.get("birth_date"))
        except CellError as exc:
            self.bad(sheet, row, "birth_date", str(exc))
            born = None
        care: set[str] = set()
        wrong: list[str] = []
        for part in items(row.get("care")):
            try:
                care.add(choice(_CARE, part))
            except CellError:
                wrong.append(part)
        if wrong:
            self.bad(
                sheet,
                row,
                "care",
                _("Not a care category: %(items)s. Allowed: %(values)s.")
                % {
                    "items": "、".join(wrong),
                    "values": "、".join(str(label) for _value, label in CareCategory.choices),
                },
            )
        frozen = frozenset(care)
        return _Person(
            name=name,
            id_number=id_number,
            id_masked=id_masked,
            phone=phone,
            phone_masked=phone_masked,
            relationship=chosen["relationship"],
            gender=chosen["gender"],
            birth_date=born,
            status=chosen["status"],
            care=self.care_sets.setdefault(frozen, frozen),  # one object per combination
        )

    def _match(self, row, home, values, known, by_id, by_home_name, claimed) -> int | bool | None:
        """The existing resident the row means, None for a new one, False when reported."""
        sheet = RESIDENTS
        match = None
        id_number = values.id_number
        if id_number and not values.id_masked and id_number in by_id:
            match = by_id[id_number]
            if not known[match][9]:
                self.bad(
                    sheet,
                    row,
                    "id_number",
                    _("A resident outside %(area)s already has this ID number.")
                    % {"area": self.root.name},
                )
                return False
        elif home.pk:
            candidates = by_home_name.get((home.pk, values.name), [])
            if id_number and not values.id_masked:
                # Someone of the same name with another ID number is someone else.
                candidates = [pk for pk in candidates if not known[pk][3]]
            elif len(candidates) > 1:
                # Two of a name in one household (a father and son, say): a row without an
                # ID number is the one stored without one, and a masked number (from an
                # export) names the one it masks.
                if values.id_masked:
                    narrowed = [
                        pk for pk in candidates if _mask_fits(id_number, known[pk][3] or "")
                    ]
                else:
                    narrowed = [pk for pk in candidates if not known[pk][3]]
                if len(narrowed) == 1:
                    candidates = narrowed
            if len(candidates) > 1:
                self.bad(
                    sheet,
                    row,
                    "name",
                    _(
                        "Several residents of this household have this name (ambiguous); "
                        "give the ID number."
                    ),
                )
                return False
            match = candidates[0] if candidates else None
        if match is not None:
            if match in claimed:
                self.bad(
                    sheet,
                    row,
                    None,
                    _("Row %(row)s is the same resident.") % {"row": claimed[match]},
                )
                return False
            claimed[match] = row.number
        return match

    def _resident(self, row, home, values, found, care) -> str | None:
        sheet = RESIDENTS
        problems = len(self.report)
        id_number, phone = values.id_number, values.phone
        # A masked value is what an export showed: it keeps the stored value, if it is it.
        for key, masked, stored_at in (
            ("id_number", values.id_masked, 3),
            ("phone", values.phone_masked, 4),
        ):
            if not masked:
                continue
            if found is None:
                self.bad(
                    sheet,
                    row,
                    key,
                    _("A masked number cannot be loaded for a new resident; type the full number."),
                )
            elif not _mask_fits(getattr(values, key), found[stored_at]):
                self.bad(
                    sheet,
                    row,
                    key,
                    _("This masked number is not the stored one; type the full number."),
                )
            elif key == "id_number":
                id_number = found[3]
            else:
                phone = found[4]
        probe = Resident(
            name=values.name,
            id_number=id_number,
            phone=phone,
            relationship=values.relationship or (found[5] if found else Resident.Relationship.HEAD),
            gender=values.gender,
            birth_date=values.birth_date,
            status=values.status or (found[8] if found else Resident.Status.LIVING),
        )
        probe.take_from_id_number()
        if values.gender and probe.gender != values.gender:
            self.bad(
                sheet,
                row,
                "gender",
                _("The ID number says %(gender)s.") % {"gender": probe.get_gender_display()},
            )
        if values.birth_date and probe.birth_date != values.birth_date:
            self.bad(
                sheet,
                row,
                "birth_date",
                _("The ID number says %(date)s.") % {"date": probe.birth_date.isoformat()},
            )
        if len(self.report) != problems:
            return None
        fields = (
            probe.name,
            probe.id_number,
            probe.phone,
            probe.relationship,
            probe.gender,
            probe.birth_date,
            probe.status,
        )
        if found is None:
            outcome = CREATED
        elif home.pk == found[1] and fields == found[2:9] and values.care == care:
            return UNCHANGED
        else:
            outcome = UPDATED
        self.resident_plan.append(
            ResidentImport(
                pk=found[0] if found else None,
                household_pk=home.pk,
                household_key=None if home.pk else home.key,
                name=probe.name,
                id_number=probe.id_number,
                phone=probe.phone,
                relationship=probe.relationship,
                gender=probe.gender,
                birth_date=probe.birth_date,
                status=probe.status,
                care=values.care,
                key=row.number,
            )
        )
        return outcome
