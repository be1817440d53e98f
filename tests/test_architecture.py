"""The house rules the code's shape must keep, checked on every run.

- apps import only from apps to their left, and no app's modules import each other in a
  loop: the contracts in ``.importlinter``;
- no view, module or template of an app names a URL of an app to its right: a lower app
  that must link upwards is handed the URL (a registered link, a context value), so it can
  be read, tested and reused without the apps above it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parent.parent


def _layers() -> list[str]:
    """The apps from left (lowest) to right, as the layers contract lists them."""
    text = (ROOT / ".importlinter").read_text(encoding="utf-8")
    block = text.split("[importlinter:contract:layers]", 1)[1].split("layers =", 1)[1]
    names = []
    for line in block.splitlines()[1:]:
        if not line.startswith((" ", "\t")) or not line.strip():
            break
        names.append(line.strip())
    return list(reversed(names))


APPS = _layers()


def test_the_layers_are_the_installed_project_apps_in_order():
    from django.conf import settings

    installed = [app for app in settings.INSTALLED_APPS if app in APPS]
    assert installed == APPS


def test_imports_keep_the_layers_and_have_no_cycles():
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.skip("import-linter is not installed in this environment")
    result = subprocess.run(
        [str(lint), "--no-cache", str(ROOT / ".importlinter")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def _url_owners() -> dict[str, str]:
    """Each named URL and the app whose view serves it."""

    def walk(resolver):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield pattern

    owners = {}
    for pattern in walk(get_resolver()):
        module = getattr(pattern.callback, "__module__", "") or ""
        owners[pattern.name] = module.split(".")[0]
    return owners


# {% url 'name' %}, reverse("name"), reverse_lazy, redirect("name"), resolve_url("name") and
# the registries' url_name="name".
URL_NAME = re.compile(
    r"""(?:\{%\s*url\s+|\breverse(?:_lazy)?\(\s*|\bredirect\(\s*|\bresolve_url\(\s*|"""
    r"""\burl_name\s*=\s*)["']([\w:.-]+)["']"""
)


def _sources(app: str) -> list[Path]:
    files = [p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts]
    for pattern in ("*.html", "*.txt", "*.js"):
        files += (ROOT / "templates" / app).rglob(pattern)
    return files


def test_no_app_names_a_url_of_an_app_to_its_right():
    owners = _url_owners()
    wrong = []
    for rank, app in enumerate(APPS):
        for path in _sources(app):
            for match in URL_NAME.finditer(path.read_text(encoding="utf-8")):
                owner = owners.get(match.group(1))
                if owner in APPS and APPS.index(owner) > rank:
                    wrong.append(f"{path.relative_to(ROOT)} names {match.group(1)!r} of {owner}")
    assert wrong == []


def test_the_url_check_sees_a_link_upwards():
    """The scanner itself: a template naming a higher app's URL would be caught."""
    owners = _url_owners()
    sample = "{% url 'dashboard_home' %} reverse(\"ticket_board\")"
    names = [m.group(1) for m in URL_NAME.finditer(sample)]
    assert names == ["dashboard_home", "ticket_board"]
    assert {owners.get(name) for name in names} <= set(APPS)
