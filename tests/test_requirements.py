"""`make install` (and CI) installs requirements-dev.txt alone; the Dockerfile installs
requirements.txt. A pin added to one and not the other breaks the side that lacks it."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _pins(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-") and "==" in line:
            package, version = line.split("==", 1)
            pins[package.split("[", 1)[0].strip().lower()] = version.strip()
    return pins


def test_every_production_pin_is_installed_by_make_install_at_the_same_version():
    production, development = _pins("requirements.txt"), _pins("requirements-dev.txt")
    missing = sorted(set(production) - set(development))
    differing = sorted(
        p for p in production if p in development and production[p] != development[p]
    )
    assert not missing, f"in requirements.txt but not requirements-dev.txt: {missing}"
    assert not differing, f"pinned differently: {differing}"
