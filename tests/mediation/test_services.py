import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from mediation import services
from mediation.models import Case, Outcome, Risk, Status
from mediation.tasks import remind_follow_ups
from notifications.models import NoticeKind, Notification
from visits.models import Visit, VisitKind

pytestmark = pytest.mark.django_db


def test_a_neighbouring_worker_may_not_open_a_case_in_another_grid(territory, neighbour_worker):
    with pytest.raises(PermissionDenied):
        services.open_case(
            by=neighbour_worker, grid=territory.grid, type="family", risk="low", summary="x"
        )


def test_a_case_is_opened_in_a_grid_only(territory, own_worker, street_officer):
    with pytest.raises(ValidationError) as error:
        services.open_case(
            by=street_officer, grid=territory.community, type="family", risk="low", summary="x"
        )
    assert "grid" in error.value.message_dict


def test_the_opener_mediates_unless_someone_is_named(mediation_case, own_worker):
    assert mediation_case.mediator == own_worker
    assert mediation_case.status == Status.OPEN


def test_a_party_phone_is_checked_and_masked(mediation_case, own_worker):
    with pytest.raises(ValidationError):
        services.add_party(
            by=own_worker, case=mediation_case, role="respondent", name="李", phone="123"
        )
    party = services.add_party(
        by=own_worker,
        case=mediation_case,
        role="respondent",
        name="李秀英",
        phone="+86 139-1234-5678",
    )
    assert party.phone == "13912345678"
    assert party.masked_phone == "139****5678"


def test_the_first_step_starts_mediating(mediation_case, own_worker):
    services.record_step(
        by=own_worker, case=mediation_case, date=dt.date.today(), kind="talk", notes="谈话"
    )
    mediation_case.refresh_from_db()
    assert mediation_case.status == Status.MEDIATING


def test_a_step_cannot_be_in_the_future(mediation_case, own_worker):
    with pytest.raises(ValidationError):
        services.record_step(
            by=own_worker,
            case=mediation_case,
            date=dt.date.today() + dt.timedelta(days=2),
            kind="talk",
            notes="x",
        )


@pytest.mark.parametrize(
    "outcome, fields, missing",
    [
        (Outcome.AGREEMENT, {}, "agreement_text"),
        (Outcome.COURT, {}, "referred_to"),
        (Outcome.POLICE, {"agreement_text": "ignored"}, "referred_to"),
    ],
)
def test_closing_needs_what_the_outcome_needs(mediation_case, own_worker, outcome, fields, missing):
    with pytest.raises(ValidationError) as error:
        services.close_case(by=own_worker, case=mediation_case, outcome=outcome, **fields)
    assert missing in error.value.message_dict


def test_closing_sets_the_follow_up_thirty_days_later(mediation_case, own_worker, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 5, 10, tzinfo=dt.UTC))
    case = services.close_case(
        by=own_worker, case=mediation_case, outcome=Outcome.COURT, referred_to="区法院"
    )
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    assert case.follow_up_due == dt.date(2026, 12, 5)
    assert not case.follow_up_overdue(dt.date(2026, 12, 5))
    assert case.follow_up_overdue(dt.date(2026, 12, 6))
    with pytest.raises(ValidationError):
        services.close_case(by=own_worker, case=case, outcome=Outcome.NO_AGREEMENT)


def test_the_signed_copy_is_kept_privately(closed_mediation_case):
    assert closed_mediation_case.signed_copy.name.startswith("mediation/")
    with pytest.raises(ValueError):
        closed_mediation_case.signed_copy.url  # noqa: B018


def test_a_junk_signed_copy_is_refused(mediation_case, own_worker):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationError):
        services.close_case(
            by=own_worker,
            case=mediation_case,
            outcome=Outcome.AGREEMENT,
            agreement_text="x",
            signed_copy=SimpleUploadedFile("a.jpg", b"not an image"),
        )


def test_the_follow_up_is_a_mediation_visit_to_the_household(closed_mediation_case, own_worker):
    case = services.record_follow_up(by=own_worker, case=closed_mediation_case, notes="履行良好")
    visit = Visit.objects.get(pk=case.follow_up_visit_id)
    assert visit.kind == VisitKind.MEDIATION and visit.household == case.household
    assert case.followed_up_at is not None
    with pytest.raises(ValidationError):
        services.record_follow_up(by=own_worker, case=case, notes="again")


def test_an_open_case_is_not_followed_up(mediation_case, own_worker):
    with pytest.raises(ValidationError):
        services.record_follow_up(by=own_worker, case=mediation_case, notes="x")


def test_a_high_risk_case_is_reported_to_the_officers_over_the_grid(
    territory, own_worker, community_officer, street_officer, other_street_officer
):
    case = services.open_case(
        by=own_worker, grid=territory.grid, type="labour", risk=Risk.HIGH, summary="讨薪"
    )
    told = set(
        Notification.objects.filter(kind=NoticeKind.HIGH_RISK_DISPUTE).values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"community_officer", "street_officer"}
    from auditlog.models import LogEntry

    assert LogEntry.objects.get_for_object(case).filter(changes__has_key="reported_up").exists()


def test_raising_the_risk_to_high_reports_it_once(mediation_case, own_worker, street_officer):
    services.set_risk(by=own_worker, case=mediation_case, risk=Risk.HIGH)
    services.set_risk(by=own_worker, case=mediation_case, risk=Risk.HIGH)
    assert Notification.objects.filter(kind=NoticeKind.HIGH_RISK_DISPUTE).count() == 1


def test_the_mediator_hears_of_a_follow_up_falling_due(closed_mediation_case, own_worker):
    due = closed_mediation_case.follow_up_due
    assert remind_follow_ups(due - dt.timedelta(days=10)) == 0
    assert remind_follow_ups(due - dt.timedelta(days=1)) == 1
    assert remind_follow_ups(due) == 0  # once per case and due date
    call_command("remind_mediation_follow_ups", "--today", due.isoformat())
    assert (
        Notification.objects.filter(kind=NoticeKind.FOLLOW_UP_DUE, recipient=own_worker).count()
        == 1
    )


def test_a_studio_must_serve_the_grid(territory, street_officer):
    from mediation.models import Studio

    studio = Studio.objects.create(name="初心茶社", area=territory.other_street)
    with pytest.raises(ValidationError):
        services.open_case(
            by=street_officer,
            grid=territory.grid,
            type="family",
            risk="low",
            summary="x",
            studio=studio,
        )


def test_the_demo_seeds_a_year_of_cases(demo):
    cases = Case.objects.all()
    assert cases.count() >= 60
    assert cases.filter(risk=Risk.HIGH).exclude(status=Status.CLOSED).count() == 2
    assert (
        cases.filter(outcome=Outcome.AGREEMENT).count()
        > cases.filter(outcome=Outcome.COURT).count()
    )


def test_a_mediation_visit_logged_from_the_visits_form_is_the_follow_up(
    closed_mediation_case, own_worker
):
    import uuid

    from visits.services import log_visit

    log_visit(
        by=own_worker,
        client_id=uuid.uuid4(),
        kind=VisitKind.ROUTINE,
        household=closed_mediation_case.household,
    )
    closed_mediation_case.refresh_from_db()
    assert closed_mediation_case.followed_up_at is None
    logged = log_visit(
        by=own_worker,
        client_id=uuid.uuid4(),
        kind=VisitKind.MEDIATION,
        household=closed_mediation_case.household,
        findings="双方已和好",
    )
    closed_mediation_case.refresh_from_db()
    assert closed_mediation_case.follow_up_visit == logged.visit
    assert closed_mediation_case.follow_up_notes == "双方已和好"
