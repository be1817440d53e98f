from tests.access import FOUND, LOGIN, MISSING, OK

# Staff import (district, street, community): a grid worker meets a 404, as does another
# street's officer at this street's community.
IMPORTER = (MISSING, MISSING, OK, MISSING, OK, LOGIN)
IMPORTER_POST = (MISSING, MISSING, FOUND, MISSING, FOUND, LOGIN)
# An empty template is for anyone who may import somewhere.
ANY_IMPORTER = (MISSING, MISSING, OK, OK, OK, LOGIN)


def _run(run):
    return {"code": run.area.code, "pk": run.pk}


CASES = {
    "import_hub": ("get", "territory", lambda t: {"code": t.community.code}, IMPORTER),
    "import_run": ("get", "import_run", _run, IMPORTER),
    "import_progress": ("get", "import_run", _run, IMPORTER),
    "import_confirm": ("post", "import_run", _run, IMPORTER_POST),
    "import_report": ("get", "import_run", _run, IMPORTER),
    "import_export": (
        "get",
        "territory",
        lambda t: {"code": t.community.code, "kind": "areas"},
        IMPORTER,
    ),
    "import_template": (
        "get",
        "territory",
        lambda t: {"kind": "areas", "lang": "zh"},
        ANY_IMPORTER,
    ),
}
