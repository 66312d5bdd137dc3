#!/usr/bin/env bash
# bench/filtered_report.py on hand-made rounds (no cluster needed): the report takes
# per cell and method the median QPS over the rounds and the lowest recall, flags
# a plan that changed between rounds, and reads "yes (same plan)" only below 10%
# kept where pgvq's plan kind is the faster exact method's, that method sets the
# ratio and the ratio is >= 0.95; check fails when a method missed a round or an
# exact method's recall fell below 1 in one round.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
PY=python3
command -v python3 >/dev/null || PY=/usr/bin/python3

"$PY" - "$REPO/bench/filtered_report.py" "$TMP" <<'EOF'
import json, subprocess, sys
report, tmp = sys.argv[1], sys.argv[2]
lines = []
def add(kept, bt, method, rnd, qps, kind, recall=1.0):
    lines.append({"kind": "fquery", "dataset": "d", "filter": "ind", "kept": kept, "btree": bt, "method": method,
                  "round": rnd, "qps": qps, "recall": recall, "filled": 1.0, "plan_kind": kind, "p50_ms": 1})
for r, (a, b, c) in enumerate([(100, 90, 300), (110, 100, 50), (120, 95, 80)], 1):
    # 1% with a btree: pgvq runs btree + sort, 0.96x of the exact btree + sort (median 110 / 115 = 0.957)
    add(1, "yes", "ivfpq", r, a, "btree + sort")
    add(1, "yes", "btree + sort", r, a + 5, "btree + sort")
    add(1, "yes", "seq scan", r, 10, "seq scan")
    add(1, "yes", "hnsw", r, b, "btree + sort")
    # 0.1% without a btree: the same plan kind, but hnsw sets the ratio: stays "no"
    add(0.1, "no", "ivfpq", r, 96, "seq scan")
    add(0.1, "no", "seq scan", r, 99, "seq scan")
    add(0.1, "no", "hnsw", r, 100, "seq scan")
    # 10% without a btree: the same plan cannot make 1.5x; the plan changed in round 3
    add(10, "no", "ivfpq", r, c, "seq scan" if r == 3 else "ivfpq", recall=0.99 - r / 100)
    add(10, "no", "seq scan", r, 100, "seq scan")
path = tmp + "/r.jsonl"
def write(rows):
    with open(path, "w") as f:
        f.write("".join(json.dumps(x) + "\n" for x in rows))
write(lines)
out = subprocess.run([sys.executable, report, "report", path, tmp + "/r.md"], check=True,
                     capture_output=True, text=True).stdout
rows = {}  # the planner's-choice table comes first, the forced plans' after it
for l in out.splitlines():
    if l.startswith("| d |"):
        rows.setdefault(tuple(c.strip() for c in l.split("|")[3:5]), l)
fail = 0
def expect(cell, *parts):
    global fail
    for p in parts:
        if p not in rows[cell]:
            print("filtered_report: FAIL: %s lacks %r:\n  %s" % (" ".join(cell), p, rows[cell]))
            fail = 1
expect(("1%", "yes"), "1.000 / 110 (btree + sort)", "| 115.0 |", "0.96x", "| yes (same plan) |")
expect(("0.1%", "no"), "0.96x", "| no |")
expect(("10%", "no"), "0.960 / 80 (**plan changed**: ivfpq 2x, seq scan 1x)", "0.80x", "| no |")
if "3 rounds" not in out:
    print("filtered_report: FAIL: the header does not name 3 rounds"); fail = 1
ok = subprocess.run([sys.executable, report, "check", path, "seq scan"], capture_output=True, text=True)
if ok.returncode != 0:
    print("filtered_report: FAIL: check rejected complete rounds:\n" + ok.stdout); fail = 1
for name, rows2 in (("a missed round", [x for x in lines if not (x["round"] == 2 and x["method"] == "hnsw")]),
                    ("recall below 1", [dict(x, recall=0.9) if x["method"] == "seq scan" and x["round"] == 3 else x
                                        for x in lines])):
    write(rows2)
    if subprocess.run([sys.executable, report, "check", path, "seq scan"], capture_output=True).returncode != 1:
        print("filtered_report: FAIL: check passed with %s" % name); fail = 1
sys.exit(fail)
EOF
echo "filtered_report: ok"
