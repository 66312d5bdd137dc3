#!/usr/bin/env python3
"""Turns bench/out/results.jsonl into results.md (tables and the target ratios)
and recall_qps.png (recall@k against single-client QPS, one panel per dataset).

    report.py RESULTS.jsonl OUTDIR

Only the Python standard library is needed for the markdown; the plot needs
matplotlib (Debian: python3-matplotlib) and is skipped with a note without it.
"""
import json
import os
import sys

LABELS = {
    "flat": "pgvq flat",
    "ivfpq": "pgvq ivfpq",
    "seqscan": "seq scan (pgvq type)",
    "ivfflat": "pgvector ivfflat",
    "hnsw": "pgvector hnsw",
    "pgv_seqscan": "seq scan (pgvector type)",
}
ORDER = ["flat", "ivfpq", "seqscan", "ivfflat", "hnsw", "pgv_seqscan"]


def mb(b):
    return "%.2f" % (b / 1048576.0)


def fmt_ratio(x):
    return "—" if x is None else "%.2fx" % x


def lowest_reaching(rows, target):
    """The sweep point of an index with the smallest cost parameter that reaches
    the target recall: rows are in sweep order (cost increasing), so the first."""
    for r in rows:
        if r.get("recall", 0) >= target:
            return r
    return None


def best_reaching(rows, target):
    ok = [r for r in rows if r.get("recall", 0) >= target]
    return max(ok, key=lambda r: r["qps"]) if ok else None


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: report.py RESULTS.jsonl OUTDIR")
    path, outdir = sys.argv[1], sys.argv[2]
    rows = [json.loads(l) for l in open(path) if l.strip()]
    meta = next((r for r in rows if r.get("kind") == "meta"), {})
    datasets = []
    for r in rows:
        d = r.get("dataset")
        if d and d not in datasets:
            datasets.append(d)

    md = []
    md.append("# pgvq benchmark results\n")
    if meta:
        md.append("Run `%s` on %s (%s cores, %s GiB RAM), PostgreSQL %s, pgvq %s, pgvector %s. "
                  "Column storage `%s`; LIMIT %s; server settings: %s.%s\n" % (
                      meta.get("run"), meta.get("cpu"), meta.get("cores"), meta.get("mem_gb"),
                      meta.get("postgres"), meta.get("pgvq") or "?", meta.get("pgvector") or "not installed",
                      meta.get("storage"), meta.get("k"), meta.get("settings"),
                      " **Smoke run: tiny data, numbers are not meaningful.**" if meta.get("smoke") else ""))
        md.append("Single-client QPS: one connection, a prepared statement, warm cache (a full warm-up pass "
                  "first), the plan checked with EXPLAIN before timing. Recall@k against the exact ground "
                  "truth. Build WAL is the `pg_current_wal_insert_lsn()` difference across `CREATE INDEX`.\n")

    for ds in datasets:
        drows = [r for r in rows if r.get("dataset") == ds]
        builds = {r["index"]: r for r in drows if r.get("kind") == "build" and not r.get("error")}
        queries = {}
        for r in drows:
            if r.get("kind") == "query":
                queries.setdefault(r["index"], []).append(r)
        pgb = [r for r in drows if r.get("kind") == "pgbench"]
        first = next((r for r in drows if "n" in r), {})
        md.append("## %s (%s x %s, %s)\n" % (ds, first.get("n", "?"), first.get("d", "?"),
                                             first.get("metric", "l2")))
        if builds:
            md.append("| index | parameters | build s | index MB | build WAL MB | table MB |")
            md.append("|---|---|---:|---:|---:|---:|")
            for k in ORDER:
                b = builds.get(k)
                if b:
                    md.append("| %s | %s | %.2f | %s | %s | %s |" % (
                        LABELS.get(k, k), b.get("params", ""), b["build_ms"] / 1000.0,
                        mb(b["index_bytes"]), mb(b["wal_bytes"]), mb(b.get("table_bytes", 0))))
            md.append("")
        if queries:
            md.append("| index | setting | recall@%s | QPS | mean ms | p50 ms | p99 ms | queries |" % meta.get("k", 10))
            md.append("|---|---|---:|---:|---:|---:|---:|---:|")
            for k in ORDER:
                for r in queries.get(k, []):
                    md.append("| %s | %s | %.4f | %.1f | %.3f | %.3f | %.3f | %d |" % (
                        LABELS.get(k, k), r.get("setting", ""), r.get("recall", float("nan")), r["qps"],
                        r["mean_ms"], r["p50_ms"], r["p99_ms"], r["nq"]))
            md.append("")
        if pgb:
            md.append("| index | setting | recall@%s | clients | TPS | mean latency ms |" % meta.get("k", 10))
            md.append("|---|---|---:|---:|---:|---:|")
            for r in pgb:
                md.append("| %s | %s | %s | %d | %s | %s |" % (
                    LABELS.get(r["index"], r["index"]), r.get("setting", ""), r.get("recall"), r["clients"],
                    "%.1f" % r["tps"] if r.get("tps") is not None else "—",
                    "%.3f" % r["latency_avg_ms"] if r.get("latency_avg_ms") is not None else "—"))
            md.append("")

        # Ratios measured side by side in this run (the issues' targets).
        lines = []

        def ratio(a, b):
            return None if (a is None or b in (None, 0)) else a / b

        pq, ivf, hn = builds.get("ivfpq"), builds.get("ivfflat"), builds.get("hnsw")
        if pq and ivf:
            lines.append("| index size, ivfpq / ivfflat (same lists) | %s | ≤ 0.10x |" % fmt_ratio(
                ratio(pq["index_bytes"], ivf["index_bytes"])))
            lines.append("| build time, ivfpq / ivfflat | %s | ≤ 1x |" % fmt_ratio(ratio(pq["build_ms"], ivf["build_ms"])))
        if pq and hn:
            lines.append("| build time, ivfpq / hnsw | %s | ≤ 0.20x |" % fmt_ratio(ratio(pq["build_ms"], hn["build_ms"])))
        for target, other, need in ((0.99, "hnsw", 1.5), (0.95, "ivfflat", 3.0)):
            mine = best_reaching(queries.get("ivfpq", []), target)
            theirs = lowest_reaching(queries.get(other, []), target)
            if queries.get("ivfpq") and queries.get(other):
                desc = "QPS at recall ≥ %.2f, ivfpq (best setting%s) / %s (lowest %s reaching it%s)" % (
                    target, ", " + mine["setting"] if mine else ": none reaches it", other,
                    "ef_search" if other == "hnsw" else "probes",
                    ", " + theirs["setting"] if theirs else ": none reaches it")
                lines.append("| %s | %s | ≥ %.1fx |" % (desc, fmt_ratio(
                    ratio(mine["qps"] if mine else None, theirs["qps"] if theirs else None)), need))
        fl = queries.get("flat", [])
        for sk in ("seqscan", "pgv_seqscan"):
            for s in queries.get(sk, []):
                if fl:
                    lines.append("| QPS, flat / %s %s (both exact) | %s | ≥ 3x |" % (
                        LABELS[sk], s.get("setting", ""), fmt_ratio(ratio(fl[0]["qps"], s["qps"]))))
        if lines:
            md.append("| ratio (measured in this run) | value | target |")
            md.append("|---|---:|---:|")
            md.extend(lines)
            md.append("")

    with open(os.path.join(outdir, "results.md"), "w") as f:
        f.write("\n".join(md) + "\n")

    if os.environ.get("PGVQ_NO_PLOT"):
        print("no plot (--no-plot)")
        return
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not available: no plot (apt-get install python3-matplotlib)")
        return
    n = max(1, len(datasets))
    fig, axes = plt.subplots(1, n, figsize=(6.5 * n, 5), squeeze=False)
    for ax, ds in zip(axes[0], datasets):
        for k in ORDER:
            pts = [r for r in rows if r.get("dataset") == ds and r.get("kind") == "query" and r.get("index") == k]
            if not pts:
                continue
            xs = [r.get("recall", 0) for r in pts]
            ys = [r["qps"] for r in pts]
            style = "o-" if len(pts) > 1 else "s"
            ax.plot(xs, ys, style, label=LABELS.get(k, k))
        ax.set_yscale("log")
        ax.set_xlabel("recall@%s" % meta.get("k", 10))
        ax.set_ylabel("queries per second (1 client)")
        ax.set_title(ds)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, "recall_qps.png"), dpi=110)
    print("plot: %s" % os.path.join(outdir, "recall_qps.png"))


if __name__ == "__main__":
    main()
