"""The Simplified Chinese catalogue is complete, compiled, and covers every string in the code."""

import os
import shutil
import sys
from pathlib import Path

import polib

from tests.conftest import _missing
from tests.waiting import run_to_completion

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def test_no_entry_is_untranslated_or_fuzzy():
    po = polib.pofile(str(PO))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated, f"untranslated: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:10]}"


def test_placeholders_survive_translation():
    import re

    pattern = re.compile(r"%\(\w+\)[sd]|\{\{ *\w+ *\}\}|%[sd]")
    for entry in polib.pofile(str(PO)):
        wanted = sorted(pattern.findall(entry.msgid))
        for text in [entry.msgstr, *entry.msgstr_plural.values()]:
            if text:
                assert sorted(pattern.findall(text)) == wanted, entry.msgid


def test_the_compiled_catalogue_matches_the_source():
    po = {
        (e.msgctxt, e.msgid): (e.msgstr, dict(e.msgstr_plural))
        for e in polib.pofile(str(PO))
        if not e.obsolete
    }
    mo = {
        (e.msgctxt, e.msgid): (e.msgstr, dict(e.msgstr_plural))
        for e in polib.mofile(str(MO))
        if e.msgid
    }
    assert mo == po, "run `make messages` to recompile locale/zh_Hans"


def test_every_string_in_the_code_is_in_the_catalogue(tmp_path):
    if not shutil.which("xgettext"):
        _missing("GNU gettext (apt-get install gettext)")
    copy = tmp_path / "project"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", "var", "node_modules", ".git", "vendor", "__pycache__", "tests", "bench"
        ),
    )
    env = {**os.environ, "DEBUG": "true", "VAR_DIR": str(tmp_path / "var")}
    env.pop("DATABASE_URL", None)
    env.pop("DATABASE_REPLICA_URL", None)  # a replica of the embedded database stops start-up
    made = run_to_completion(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "--locale",
            "zh_Hans",
            "--no-obsolete",
            "--no-location",
        ],
        what="makemessages on a copy of the project",
        cwd=copy,
        env=env,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    extracted = {(e.msgctxt, e.msgid) for e in polib.pofile(str(copy / PO.relative_to(ROOT)))}
    committed = {(e.msgctxt, e.msgid) for e in polib.pofile(str(PO)) if not e.obsolete}
    new = sorted(msgid for _ctx, msgid in extracted - committed)
    assert not new, f"run `make messages` and translate: {new[:10]}"
