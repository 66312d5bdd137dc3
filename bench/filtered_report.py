#!/usr/bin/env python3
"""Helpers of bench/filtered.sh.

  filtered_report.py gt K OUT.ivecs < "qid<TAB>id id ..." lines
      writes the exact filtered ground truth as .ivecs (fails when a query has fewer than K rows)
  filtered_report.py point LINE IDS_FILE K
      adds "filled" (share of queries whose LIMIT was filled) and "plan_kind" to the
      client's JSON line, prints it on stdout and a summary on stderr
  filtered_report.py report RESULTS.jsonl OUT.md
      the markdown tables: per cell and method, the median QPS over the rounds, the
      lowest recall and filled share, the plan kind (flagged when it changed)
  filtered_report.py check RESULTS.jsonl [METHOD,METHOD...]
      exit 1 when an exact method (seq scan, btree + sort, flat forced, ivfpq with every
      list probed) has recall below 1 or left a LIMIT unfilled in any round, or a listed
      method was not measured in every cell, or in every round of a cell
"""
import json
import statistics
import struct
import sys

EXACT = ("seq scan", "btree + sort", "flat forced", "ivfpq all lists")


def write_gt(k, out):
    rows = []
    for line in sys.stdin:
        if not line.strip():
            continue
        qid, _, ids = line.rstrip("\n").partition("\t")
        ids = [int(x) for x in ids.split()]
        if len(ids) < k:
            sys.exit("query %s: the filter keeps only %d rows, fewer than k = %d (use a larger dataset)"
                     % (qid, len(ids), k))
        rows.append(ids[:k])
    with open(out, "wb") as f:
        for ids in rows:
            f.write(struct.pack("<%di" % (k + 1), k, *ids))


def plan_kind(plan):
    """What the plan does: which index orders the rows, or how the exact plan finds them."""
    kind = None
    for line in plan.splitlines():
        for suffix, name in (("_ivfpq", "ivfpq"), ("_flat", "flat"), ("_hnsw", "hnsw"), ("_ivfflat", "ivfflat")):
            if "Index Scan using" in line and line.split("Index Scan using ")[1].split()[0].endswith(suffix):
                kind = name
    if kind is None:
        if "Index Scan" in plan:
            kind = "btree + sort"
        elif "Seq Scan" in plan:
            kind = "seq scan"
        else:
            kind = "other"
    if "Gather" in plan:
        kind += " (parallel)"
    return kind


def point(line, ids_file, k):
    r = json.loads(line)
    n = filled = 0
    with open(ids_file) as f:
        for l in f:
            ids = l.rstrip("\n").split("\t", 1)[1].strip("{}")
            n += 1
            filled += (len(ids.split(",")) if ids else 0) >= k
    r["filled"] = round(filled / n, 4) if n else 0.0
    r["plan_kind"] = plan_kind(r.get("plan", ""))
    print(json.dumps(r))
    sys.stderr.write("  %-3s %5s%% btree %-3s  %-24s recall %.4f filled %.2f  QPS %8.1f  p50 %8.3f ms  plan: %s\n" % (
        r["filter"], r["kept"], r["btree"], r["method"], r.get("recall", float("nan")), r["filled"],
        r["qps"], r["p50_ms"], r["plan_kind"]))


def load(path):
    return [json.loads(l) for l in open(path) if l.strip()]


def cell_key(r):
    return (r["dataset"], r["filter"], float(r["kept"]), r["btree"])


def combine(rs):
    """One method in one cell over its rounds: the median QPS, the lowest recall and
    filled share, and the plan kinds seen (plan_kind: the most frequent)."""
    c = dict(rs[0])
    c["qps"] = statistics.median(r["qps"] for r in rs)
    if any("recall" in r for r in rs):
        c["recall"] = min(r.get("recall", 0) for r in rs)
    c["filled"] = min(r.get("filled", 1) for r in rs)
    kinds = {}
    for r in rs:
        kinds[r["plan_kind"]] = kinds.get(r["plan_kind"], 0) + 1
    c["plan_kinds"] = kinds
    c["plan_kind"] = max(sorted(kinds), key=lambda k: kinds[k])
    c["rounds"] = len(rs)
    return c


def fmt(r, plan=False):
    if r is None:
        return "-"
    s = "%.3f / %.0f" % (r.get("recall", 0), r["qps"]) if r["qps"] >= 10 else "%.3f / %.1f" % (r.get("recall", 0), r["qps"])
    if r.get("filled", 1) < 1:
        s += " (%.0f%% filled)" % (100 * r["filled"])
    if plan and len(r["plan_kinds"]) > 1:
        s += " (**plan changed**: %s)" % ", ".join("%s %dx" % (k, n) for k, n in sorted(r["plan_kinds"].items()))
    elif plan:
        s += " (%s)" % r["plan_kind"]
    return s


def paired_ratio(ms):
    """The median over the rounds of pgvq's QPS over the better of hnsw's and the exact methods'
    in the same round (measured back to back, so a round's load cancels out); None when the
    rounds do not pair up."""
    by_round = {}
    for m in ("ivfpq", "hnsw", "seq scan", "btree + sort"):
        for r in ms.get(m, []):
            if "round" not in r:
                return None
            by_round.setdefault(r["round"], {})[m] = r["qps"]
    ratios = []
    for rnd in by_round.values():
        rivals = [rnd[m] for m in ("hnsw", "seq scan", "btree + sort") if m in rnd]
        if "ivfpq" not in rnd or not rivals or max(rivals) <= 0:
            return None
        ratios.append(rnd["ivfpq"] / max(rivals))
    return statistics.median(ratios) if ratios else None


def target(kept, pg, hn, exact, paired=None):
    """The cell's ratio and target: pgvq's QPS over the better of hnsw's and the faster exact
    method's (the median of the rounds' paired ratios when given, else the ratio of the medians);
    "yes (same plan)" below 10% kept when pgvq's planner ran, in every round, the plan kind of the
    exact method that set the ratio (the same work on the same table) and the ratio is at least
    0.95."""
    best = max(exact, key=lambda x: x["qps"], default=None)
    rivals = ([hn["qps"]] if hn else []) + ([best["qps"]] if best else [])
    if not pg or not rivals:
        return None, "-"
    ratio = paired if paired is not None else pg["qps"] / max(rivals)
    need = 1.5 if kept >= 10 else 1.0
    good = pg.get("recall", 0) >= 0.95 and pg.get("filled", 0) >= 1
    if good and ratio >= need:
        return ratio, "yes"
    same = (best is not None and best["qps"] == max(rivals) and len(pg["plan_kinds"]) == 1
            and pg["plan_kind"] == best["plan_kind"])
    if good and same and need == 1.0 and ratio >= 0.95:
        return ratio, "yes (same plan)"
    return ratio, "no"


def report(path, out):
    rows = load(path)
    meta = next((r for r in rows if r.get("kind") == "meta"), {})
    pts = [r for r in rows if r.get("kind") == "fquery"]
    builds = [r for r in rows if r.get("kind") == "build"]
    md = ["# Filtered search", ""]
    if meta:
        md.append("Run %s: %s, %s cores, %s GiB; PostgreSQL %s; pgvq %s; pgvector %s; storage %s; LIMIT %s; %s.%s" % (
            meta.get("run"), meta.get("cpu"), meta.get("cores"), meta.get("mem_gb"), meta.get("postgres"),
            meta.get("pgvq") or "?", meta.get("pgvector") or "not installed", meta.get("storage"), meta.get("k"),
            meta.get("settings"), " **Smoke run: tiny data, numbers are not meaningful.**" if meta.get("smoke") else ""))
        md.append("")
    for b in builds:
        md.append("- %s: %s %s built in %.0f ms, %.1f MB" % (b["dataset"], b["index"], b.get("params") or "(defaults)",
                                                          b.get("build_ms", 0), b.get("index_bytes", 0) / 1e6))
    if builds:
        md.append("")
    runs = {}
    for r in pts:
        runs.setdefault(cell_key(r), {}).setdefault(r["method"], []).append(r)
    cells = {c: {m: combine(rs) for m, rs in ms.items()} for c, ms in runs.items()}
    order = sorted(cells, key=lambda c: (c[0], c[1], c[3], -c[2]))
    nr = sorted({len(rs) for ms in runs.values() for rs in ms.values()})
    if not any("round" in r for r in pts):
        how = "Measured one index at a time (a run from before rounds: one measurement per method and cell)"
    else:
        how = ("Measured side by side in %s: every method of a cell back to back in each round, the order rotated "
               "from round to round; QPS is the median over the rounds, recall and the filled share the lowest, "
               "and **plan changed** lists the planner's plans when they differed between rounds"
               % ("%d round%s" % (nr[-1], "s" if nr[-1] > 1 else "") if len(nr) == 1 else
                  "%d to %d rounds" % (nr[0], nr[-1])))
    md.append("recall@%s / QPS, the planner's own plan in brackets. %s. *exact* is the better of the sequential "
              "scan and btree + sort; ratio = pgvq QPS / the better of hnsw's and the exact plan's, the median over the "
              "rounds of that ratio within each round (back to back) when the rounds pair up (target: recall "
              ">= 0.95 with LIMIT filled and ratio >= 1, >= 1.5 at 10%%). *yes (same plan)*: below 10%% kept, "
              "pgvq's planner ran (in every round) the plan kind of the exact method that sets the ratio (the "
              "sequential scan, or the btree, by a plain or a bitmap index scan, and a sort), so both do the same "
              "work on the same table, and the ratio is at least 0.95: the gap is noise. At 10%% "
              "the same plan cannot make 1.5x and stays *no*." % (meta.get("k", 10), how))
    md.append("")
    md.append("| dataset | filter | rows kept | btree? | pgvq ivfpq | pgvector hnsw | pgvector ivfflat | pgvq flat "
              "| seq scan QPS | btree + sort QPS | ratio | target |")
    md.append("|---|---|---:|---|---|---|---|---|---:|---:|---:|---|")
    for c in order:
        m = cells[c]
        ratio, ok = target(c[2], m.get("ivfpq"), m.get("hnsw"), [m[x] for x in ("seq scan", "btree + sort") if x in m],
                           paired_ratio(runs[c]))
        md.append("| %s | %s | %g%% | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            c[0], "independent" if c[1] == "ind" else "correlated", c[2], c[3], fmt(m.get("ivfpq"), True),
            fmt(m.get("hnsw"), True), fmt(m.get("ivfflat"), True), fmt(m.get("flat"), True),
            "%.1f" % m["seq scan"]["qps"] if "seq scan" in m else "-",
            "%.1f" % m["btree + sort"]["qps"] if "btree + sort" in m else "-",
            "%.2fx" % ratio if ratio is not None else "-", ok))
    md.append("")
    md.append("Forced plans (each index made to order the rows: `enable_seqscan`, `enable_bitmapscan` and "
              "`enable_sort` off), recall@%s / median QPS:" % meta.get("k", 10))
    md.append("")
    forced = []
    for r in pts:
        if (r["method"].endswith(" forced") or r["method"] == "ivfpq all lists") and r["method"] not in forced:
            forced.append(r["method"])
    md.append("| dataset | filter | rows kept | btree? | " + " | ".join(forced) + " |")
    md.append("|---|---|---:|---|" + "---|" * len(forced))
    for c in order:
        m = cells[c]
        md.append("| %s | %s | %g%% | %s | %s |" % (c[0], "independent" if c[1] == "ind" else "correlated", c[2], c[3],
                                                   " | ".join(fmt(m.get(x)) for x in forced)))
    md.append("")
    with open(out, "w") as f:
        f.write("\n".join(md))
    print("\n".join(md))


def check(path, need):
    bad = 0
    pts = [r for r in load(path) if r.get("kind") == "fquery"]
    cells = {cell_key(r) for r in pts}
    for m in need:
        have = {cell_key(r) for r in pts if r["method"] == m}
        if have != cells or not cells:
            print("method %s was measured in %d of %d cells" % (m, len(have), len(cells)))
            bad += 1
    rounds = {}
    for r in pts:
        rounds.setdefault(cell_key(r), {}).setdefault(r["method"], set()).add(r.get("round", 1))
    for c, ms in sorted(rounds.items()):
        every = set().union(*ms.values())
        for m, got in sorted(ms.items()):
            if got != every:
                print("method %s (%s, %g%% kept, btree %s) missed round(s) %s"
                      % (m, c[1], c[2], c[3], ", ".join(str(x) for x in sorted(every - got))))
                bad += 1
    for r in pts:
        if r["method"] in EXACT and (r.get("recall", 0) < 0.9999 or r.get("filled", 0) < 1):
            print("exact method %s (%s, %s%% kept, btree %s, round %s) returned recall %.4f, LIMIT filled for %.0f%% "
                  "of queries" % (r["method"], r["filter"], r["kept"], r["btree"], r.get("round", 1), r.get("recall", 0),
                                  100 * r.get("filled", 0)))
            bad += 1
    methods = sorted({r["method"] for r in pts})
    print("methods measured: " + ", ".join(methods))
    if not pts:
        print("nothing was measured")
        bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "gt" and len(sys.argv) == 4:
        write_gt(int(sys.argv[2]), sys.argv[3])
    elif cmd == "point" and len(sys.argv) == 5:
        point(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif cmd == "report" and len(sys.argv) == 4:
        report(sys.argv[2], sys.argv[3])
    elif cmd == "check" and len(sys.argv) in (3, 4):
        sys.exit(check(sys.argv[2], [m for m in (sys.argv[3] if len(sys.argv) == 4 else "").split(",") if m]))
    else:
        sys.exit(__doc__)
