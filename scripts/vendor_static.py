"""Copy the front-end files we serve from node_modules into static/vendor/, and build the
dashboards' ECharts from only the parts they use (scripts/echarts-entry.js, with esbuild).

Run after changing package.json: ``npm ci && python scripts/vendor_static.py``.
static/vendor/ is committed so an intranet install never needs npm or a CDN; esbuild's output
is the same byte for byte from the same package-lock.json, so CI can rebuild and compare.
"""

import shutil
import subprocess
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
    # Dashboards: charts and the areas' map from their own boundaries (no tile server). Pages
    # load the custom build below; the full bundle stays for anything not yet in it.
    "echarts": ["dist/echarts.min.js", "LICENSE"],
    # Browser tests only (tests/browser/test_accessibility.py injects it); never sent to users.
    "axe-core": ["axe.min.js", "LICENSE"],
}
ECHARTS_ENTRY = ROOT / "scripts" / "echarts-entry.js"
ECHARTS_CUSTOM = "echarts/echarts.custom.min.js"


def build_echarts(target_root: Path) -> int:
    esbuild = ROOT / "node_modules" / ".bin" / "esbuild"
    if not esbuild.exists():
        print(f"missing {esbuild}: run npm ci first", file=sys.stderr)
        return 1
    command = [
        str(esbuild),
        str(ECHARTS_ENTRY.relative_to(ROOT)),
        "--bundle",
        "--minify",
        "--format=iife",
        "--global-name=echarts",
        "--target=es2017",
        "--legal-comments=none",
        "--charset=utf8",
        '--define:process.env.NODE_ENV="production"',
        "--log-level=warning",
        f"--outfile={(target_root / ECHARTS_CUSTOM).relative_to(ROOT)}",
    ]
    # A fixed command line: the repository's own esbuild on its own entry file.
    return subprocess.run(command, cwd=ROOT, check=False).returncode  # noqa: S603


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
    if build_echarts(target_root):
        return 1
    print(f"copied {sum(len(f) for f in FILES.values())} files into {target_root}")
    print(f"built {target_root / ECHARTS_CUSTOM}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
