#!/usr/bin/env bash
# Prints one closing line for the meson test runs of the build directories
# given: "suite: N passed, N failed, N skipped" from their testlog.json.
#
# Usage: test-summary.sh DIR[:SUITE[,SUITE...]]...
# SUITEs are the suites that were run in DIR (all of them when none is
# given). The expected tests are meson's own list for them (meson test
# --list), so a run that stopped early or ran fewer tests than the build
# defines fails. Exits non-zero if any test failed, if any expected test
# did not run, if no test passed, or if, run as root, every integration
# test of a directory skipped (a machine that cannot make a network
# namespace tests nothing real) or one skipped saying it needs root.
set -euo pipefail
for arg in "$@"; do
	dir=${arg%%:*}
	suites=()
	if [ "$dir" != "$arg" ]; then
		IFS=, read -r -a names <<<"${arg#*:}"
		for s in "${names[@]}"; do suites+=(--suite "$s"); done
	fi
	echo "@@ $dir"
	meson test -C "$dir" --list --no-rebuild "${suites[@]}" 2>/dev/null ||
		echo "@@ list-failed"
done >"${TMPDIR:-/tmp}/test-summary.$$"
trap 'rm -f "${TMPDIR:-/tmp}/test-summary.$$"' EXIT
python3 - "${TMPDIR:-/tmp}/test-summary.$$" <<'PY'
import json, os, sys

expected, order, cur = {}, [], None
for line in open(sys.argv[1]).read().splitlines():
    if line.startswith("@@ list-failed"):
        expected[cur] = None
    elif line.startswith("@@ "):
        cur = line[3:]
        order.append(cur)
        expected[cur] = set()
    elif line.strip() and expected.get(cur) is not None:
        expected[cur].add(line.strip())

passed = failed = skipped = 0
problems = []
for d in order:
    if expected[d] is None:
        problems.append("%s: meson cannot list its tests" % d)
        continue
    results = {}
    try:
        lines = open(os.path.join(d, "meson-logs", "testlog.json")).read().splitlines()
    except OSError:
        problems.append("%s: no test log: its tests did not run" % d)
        continue
    rootless = []
    for line in lines:
        r = json.loads(line)
        results[r["name"]] = r["result"]
        # A test that says it needs root, in a run by root: something
        # took the privilege away.
        if (r["result"] == "SKIP" and ":integration / " in r["name"] and
                "SKIP: needs root" in (r.get("stdout") or "")):
            rootless.append(r["name"])
    for name, r in results.items():
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
    missing = sorted(expected[d] - set(results))
    if missing:
        problems.append("%s: %d of %d expected tests did not run: %s" % (
            d, len(missing), len(expected[d]), ", ".join(missing[:8]) +
            (" ..." if len(missing) > 8 else "")))
    integ = [r for n, r in results.items() if ":integration / " in n]
    if os.geteuid() == 0 and integ and all(r == "SKIP" for r in integ):
        problems.append("%s: all %d integration tests skipped although run as root" % (d, len(integ)))
    elif os.geteuid() == 0 and rootless:
        problems.append("%s: run as root, yet skipped for needing root: %s" % (d, ", ".join(sorted(rootless)[:8])))
for p in problems:
    print("test-summary: " + p)
if passed == 0:
    print("test-summary: no test passed")
print("suite: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
sys.exit(1 if failed or passed == 0 or problems else 0)
PY
