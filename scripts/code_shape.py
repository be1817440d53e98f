"""How the code is shaped: files over 500 lines, functions over 60, each app's share.

Counts non-blank lines of the project's Python (not migrations, tests or vendored files), so a
restructuring can be compared before and after: ``python scripts/code_shape.py``.
"""

from __future__ import annotations

import ast
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = {"tests", "bench", "scripts", "node_modules", "static", "templates", "locale", "var"}
FILE_LIMIT = 500
FUNCTION_LIMIT = 60


def sources() -> list[Path]:
    found = []
    for path in sorted(ROOT.glob("*/**/*.py")):
        parts = path.relative_to(ROOT).parts
        if parts[0] in SKIP or parts[0].startswith(".") or "migrations" in parts:
            continue
        found.append(path)
    return found


def main() -> int:
    per_app: Counter[str] = Counter()
    long_files, long_functions = [], []
    for path in sources():
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        name = str(path.relative_to(ROOT))
        per_app[name.split("/")[0]] += sum(1 for line in lines if line.strip())
        if len(lines) > FILE_LIMIT:
            long_files.append((len(lines), name))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > FUNCTION_LIMIT:
                    long_functions.append((length, f"{name}:{node.lineno} {node.name}"))
    total = sum(per_app.values())
    print(f"files over {FILE_LIMIT} lines: {len(long_files)}")
    for length, name in sorted(long_files, reverse=True):
        print(f"  {length:5d}  {name}")
    print(f"functions over {FUNCTION_LIMIT} lines: {len(long_functions)}")
    for length, name in sorted(long_functions, reverse=True):
        print(f"  {length:5d}  {name}")
    print(f"non-blank lines of app code: {total}")
    for app, count in per_app.most_common():
        print(f"  {app:14s} {count:6d}  {100 * count / total:5.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
