"""The import pages of an area: the hub (templates, upload, recent imports, exports), one
import's progress, problems or preview, and the downloads. Every view reaches its area through
``Area.objects.visible_to(user, IMPORT_DATA)``: an area or an import outside it is a 404."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from core.clientip import client_ip
from core.exports import PRIVATE, XLSX
from core.forms import apply_errors
from grids.models import Area
from grids.policy import TerritoryCapability
from grids.scope import scope_paths
from grids.views import breadcrumbs
from onboarding import engine, services
from onboarding.forms import UploadForm
from onboarding.kinds import KINDS
from onboarding.models import ImportRun
from onboarding.spec import ZH, Kind

RECENT = 20
# The engine's stages (onboarding/engine.py), as the progress line names them.
STAGES = {
    "reading": gettext_lazy("Reading the file"),
    "checking": gettext_lazy("Checking the rows"),
    "writing": gettext_lazy("Writing"),
}
LANGUAGES = {"zh": ZH, "en": "en"}  # the templates' languages, by the short code in their URL

# The pages show file names, counts and problems of personal registers: nothing cached.
PRIVATE_PAGE = cache_control(private=True, no_store=True)


def _area(request, code: str) -> Area:
    return get_object_or_404(
        Area.objects.visible_to(request.user, TerritoryCapability.IMPORT_DATA), code=code
    )


def _run(request, code: str, pk: int) -> tuple[Area, ImportRun]:
    area = _area(request, code)
    run = get_object_or_404(
        ImportRun.objects.visible_to(request.user).select_related("created_by", "confirmed_by"),
        pk=pk,
        area=area,
    )
    run.area = area
    return area, run


def _kinds(user, area: Area) -> list:
    """The kinds ``user`` may import into ``area``, in the registry's order."""
    kinds = []
    for kind in KINDS.values():
        try:
            services.allowed(user, area, kind)
        except PermissionDenied:
            continue
        kinds.append(kind)
    return kinds


def _exports(kind: Kind) -> bool:
    """Whether the kind writes its rows back out in its import layout (a kind may not)."""
    return type(kind).export is not Kind.export or hasattr(kind, "export_geojson")


def _has_template(kind: Kind) -> bool:
    """Whether the kind has a template: a workbook to fill, or for a GeoJSON kind the
    instructions (its layout, its rules, an example feature)."""
    return bool(kind.sheets)


def _language() -> str:
    return ZH if (get_language() or "").lower().startswith("zh") else "en"


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = PRIVATE
    return response


@login_required
@PRIVATE_PAGE
def hub(request, code):
    area = _area(request, code)
    kinds = _kinds(request.user, area)
    form = UploadForm(request.POST or None, request.FILES or None, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.start_import(
                by=request.user,
                area=area,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                options=form.cleaned_data["options"],
                language=_language(),
            )
        except ValidationError as error:
            apply_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error) or _("You may not import this here."))
        else:
            return redirect("import_run", code=area.code, pk=run.pk)
    runs = list(
        ImportRun.objects.visible_to(request.user)
        .filter(area__path__startswith=area.path)
        .select_related("area", "created_by")[:RECENT]
    )
    for run in runs:
        run.totals = _totals(run)
        found = KINDS.get(run.kind)
        run.kind_label = found.label if found else run.kind
    return render(
        request,
        "onboarding/hub.html",
        {
            "area": area,
            "breadcrumbs": breadcrumbs(request, area),
            "kinds": [(kind, _has_template(kind), _exports(kind)) for kind in kinds],
            "form": form,
            "runs": runs,
            "max_mb": f"{settings.IMPORT_MAX_BYTES / 1e6:.0f}",
        },
    )


def _totals(run: ImportRun) -> dict[str, int]:
    totals = {"created": 0, "updated": 0, "unchanged": 0}
    for tally in (run.tallies or {}).values():
        for key in totals:
            totals[key] += tally.get(key, 0)
    return totals


def _sheets(run: ImportRun) -> list[tuple[str, dict]]:
    """(sheet title, tally) of the run's kind, in the kind's order."""
    kind = KINDS.get(run.kind)
    tallies = run.tallies or {}
    if kind is None:
        return list(tallies.items())
    language = run.language or "en"
    return [
        (sheet.title(language), tallies[sheet.key]) for sheet in kind.sheets if sheet.key in tallies
    ]


def _progress(run: ImportRun) -> dict:
    """What the progress bar shows, for the page and for its script's polling."""
    stage, done, total = engine.live_progress(run)
    percent = min(100, round(100 * done / total)) if total else None
    if stage in STAGES:
        named = str(STAGES[stage])
    elif run.status in (ImportRun.Status.QUEUED, ImportRun.Status.CONFIRMED):
        named = _("In the queue: imports run one after another.")
    else:
        named = run.get_status_display()
    if total:
        text = _("%(stage)s: %(done)s of %(total)s rows (%(percent)s%%)") % {
            "stage": named,
            "done": f"{done:,}",
            "total": f"{total:,}",
            "percent": percent,
        }
    else:
        text = named
    return {
        "status": run.status,
        "label": run.get_status_display(),
        "busy": run.busy,
        "stage": stage,
        "done": done,
        "total": total,
        "percent": percent,
        "text": text,
    }


@login_required
@PRIVATE_PAGE
def run_detail(request, code, pk):
    area, run = _run(request, code, pk)
    kind = KINDS.get(run.kind)
    return render(
        request,
        "onboarding/run.html",
        {
            "area": area,
            "breadcrumbs": breadcrumbs(request, area),
            "run": run,
            "kind_label": kind.label if kind else run.kind,
            "progress": _progress(run),
            "sheets": _sheets(run),
            "totals": _totals(run),
            # By sheet and row, as the user reads the file; problems of the whole file first.
            "problems": sorted(
                run.problems or [],
                key=lambda p: (p["row"] is not None, p["sheet"], p["row"] or 0),
            ),
            "more_problems": max(0, run.problem_count - len(run.problems or [])),
        },
    )


@login_required
@PRIVATE_PAGE
def run_progress(request, code, pk):
    run = _run(request, code, pk)[1]
    return JsonResponse(_progress(run))


@login_required
@require_POST
def run_confirm(request, code, pk):
    area, run = _run(request, code, pk)
    try:
        services.confirm_import(by=request.user, run=run)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    return redirect("import_run", code=area.code, pk=run.pk)


@login_required
def run_report(request, code, pk):
    run = _run(request, code, pk)[1]
    if not run.report:
        raise Http404
    try:
        handle = run.report.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=f"import-{run.pk}-report.xlsx", content_type=XLSX
    )
    response["Cache-Control"] = PRIVATE
    return response


@login_required
def template(request, kind, lang):
    """The empty template of ``kind``: for anyone who may import somewhere."""
    if kind not in KINDS or lang not in LANGUAGES or not _has_template(KINDS[kind]):
        raise Http404
    if scope_paths(request.user, TerritoryCapability.IMPORT_DATA) == []:
        raise Http404
    data = services.template_bytes(kind, LANGUAGES[lang])
    return _xlsx(data, f"{kind}-template-{lang}.xlsx")


@login_required
def export(request, code, kind):
    area = _area(request, code)
    if kind not in KINDS or not _exports(KINDS[kind]):
        raise Http404
    data, _record = services.export_bytes(
        by=request.user,
        area=area,
        kind=kind,
        language=_language(),
        remote_addr=client_ip(request) or None,
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if "xlsx" not in KINDS[kind].formats:  # boundaries: GeoJSON, as it is imported
        response = HttpResponse(data, content_type="application/geo+json")
        response["Content-Disposition"] = (
            f'attachment; filename="{kind}-{area.code}-{stamp}.geojson"'
        )
        response["Cache-Control"] = PRIVATE
        return response
    return _xlsx(data, f"{kind}-{area.code}-{stamp}.xlsx")
