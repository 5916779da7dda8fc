#!/bin/sh
# Audit the locked dependencies for known vulnerabilities: export uv.lock as pinned
# requirements and run pip-audit (PyPI's advisory data) from a throwaway venv in /tmp,
# so neither pyproject.toml nor uv.lock gains a dependency.  Exits 1 when a locked
# package has a known vulnerability; a package PyPI cannot answer for (a version it
# does not list) is named as not audited.  `make test` runs it only in CI (CI=true).
set -eu
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/tahator-audit.XXXXXX)
trap 'rm -rf "$work"' EXIT
# The project itself is not on PyPI: audit what it depends on.
.venv/bin/uv export --frozen --no-hashes --no-emit-project --format requirements-txt \
    >"$work/requirements.txt"
.venv/bin/uv venv --quiet --python .venv/bin/python "$work/venv"
.venv/bin/uv pip install --quiet --python "$work/venv/bin/python" "pip-audit==2.9.0"
status=0
"$work/venv/bin/pip-audit" --requirement "$work/requirements.txt" --no-deps --disable-pip \
    --progress-spinner off --format json --output "$work/report.json" 2>"$work/log" || status=$?
"$work/venv/bin/python" - "$work/report.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
deps = report["dependencies"]
vulnerable = [d for d in deps if d.get("vulns")]
skipped = [d for d in deps if "skip_reason" in d]
audited = len(deps) - len(skipped)
for d in vulnerable:
    for v in d["vulns"]:
        fixed = ", ".join(v.get("fix_versions") or []) or "no fix yet"
        print(f"VULNERABLE {d['name']} {d['version']}: {v['id']} (fixed in {fixed})")
print(f"pip-audit: {len(deps)} locked packages, {audited} audited, "
      f"{len(vulnerable)} with known vulnerabilities, {len(skipped)} not audited")
if skipped:
    print("not audited (PyPI does not list these versions): "
          + ", ".join(d["name"] for d in skipped))
PY
if [ "$status" -ne 0 ]; then cat "$work/log" >&2; fi
exit "$status"
