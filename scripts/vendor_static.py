"""Copy the front-end files we serve from node_modules into static/vendor/.

Run after changing package.json: ``npm ci && python scripts/vendor_static.py``.
static/vendor/ is committed so an intranet install never needs npm or a CDN.
"""

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = {
    "bootstrap": [
        "dist/css/bootstrap.min.css",
        "dist/css/bootstrap.min.css.map",
        "dist/js/bootstrap.bundle.min.js",
        "dist/js/bootstrap.bundle.min.js.map",
        "LICENSE",
    ],
    "htmx.org": ["dist/htmx.min.js", "LICENSE"],
    # Dashboards: charts and the areas' map from their own boundaries (no tile server).
    "echarts": ["dist/echarts.min.js", "LICENSE"],
    # Browser tests only (tests/browser/test_accessibility.py injects it); never sent to users.
    "axe-core": ["axe.min.js", "LICENSE"],
}


def main() -> int:
    target_root = ROOT / "static" / "vendor"
    shutil.rmtree(target_root, ignore_errors=True)
    for package, files in FILES.items():
        for name in files:
            source = ROOT / "node_modules" / package / name
            if not source.exists():
                print(f"missing {source}: run npm ci first", file=sys.stderr)
                return 1
            target = target_root / package / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    print(f"copied {sum(len(f) for f in FILES.values())} files into {target_root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
