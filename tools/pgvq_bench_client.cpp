// pgvq_bench_client: single-client nearest-neighbour latency, QPS and recall
// over libpq, with a prepared statement and a warm cache.
//
//   pgvq_bench_client --sql "SELECT id FROM items ORDER BY embedding <-> $1::vector LIMIT 10"
//       --queries QUERY.fvecs [--nq N] [--gt GT.ivecs] [--k 10]
//       [--set NAME=VALUE]... [--expect-plan TEXT] [--reject-plan TEXT]
//       [--warmup-seconds S] [--min-seconds S] [--max-seconds S]
//       [--results FILE] [--tag KEY=VALUE]... [--conninfo STR] [--ivfpq-stats]
//
// Connects (conninfo, else the PG* environment), runs each --set as SET, prepares
// the statement (one parameter: the query vector's text form), checks that
// EXPLAIN EXECUTE of the statement contains every --expect-plan text and no
// --reject-plan text (before and after the warm-up, so both the custom and the
// generic plan are checked), runs a warm-up pass, then timed passes over the
// queries, and prints one JSON object: the tags, the plan, queries
// timed, QPS, mean/p50/p95/p99 latency in ms, and recall@k of the first pass
// against the ground truth.  Exits non-zero on any error or plan mismatch.
// --ivfpq-stats: the first pass runs with client_min_messages = debug1 and the
// mean entries scanned and heap fetches of ivfpq scans (ivfpqendscan's DEBUG1
// line) are added as ivfpq_entries and ivfpq_fetches.

#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <unordered_set>
#include <vector>

#include "vecs_io.h"

using namespace pgvq_tools;

namespace {

using Clock = std::chrono::steady_clock;

// ivfpq scan statistics from DEBUG1 notices (--ivfpq-stats), first pass only.
struct IvfpqStats {
  bool on = false;
  int64_t scans = 0, entries = 0, fetches = 0;
} g_stats;

void notice_processor(void *, const char *msg) {
  const char *p = std::strstr(msg, "ivfpq scan: ");
  long long e, f;
  if (p && std::sscanf(p, "ivfpq scan: %*d rows returned, %*d lists reached in %*d steps, %lld "
                          "entries scanned, %lld heap fetches", &e, &f) == 2) {
    if (g_stats.on) {
      g_stats.scans++;
      g_stats.entries += e;
      g_stats.fetches += f;
    }
    return;
  }
  std::fputs(msg, stderr);
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string json_escape(const std::string &s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\t': o += "\\t"; break;
      case '\r': o += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", c);
          o += b;
        } else {
          o += c;
        }
    }
  }
  return o;
}

bool is_number(const std::string &v) {
  if (v.empty()) return false;
  double x;
  auto r = std::from_chars(v.data(), v.data() + v.size(), x);
  return r.ec == std::errc() && r.ptr == v.data() + v.size();
}

// Repeatable options ("--set", "--tag", "--expect-plan", "--reject-plan") are
// collected here; parse_args keeps only the last value of an option.
struct Multi {
  std::vector<std::string> sets, tags, expect, reject;
};

PGconn *g_conn = nullptr;

[[noreturn]] void pg_die(const char *what, PGresult *res) {
  std::string msg = res ? PQresultErrorMessage(res) : PQerrorMessage(g_conn);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  if (res) PQclear(res);
  die("%s: %s", what, msg.c_str());
}

void exec_ok(const std::string &sql) {
  PGresult *r = PQexec(g_conn, sql.c_str());
  if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) pg_die(sql.c_str(), r);
  PQclear(r);
}

std::string quote_literal(const std::string &s) {
  char *q = PQescapeLiteral(g_conn, s.c_str(), s.size());
  if (!q) pg_die("PQescapeLiteral", nullptr);
  std::string o = q;
  PQfreemem(q);
  return o;
}

std::string explain(const std::string &qtext) {
  std::string sql = "EXPLAIN (COSTS OFF) EXECUTE pgvq_bench_q(" + quote_literal(qtext) + ")";
  PGresult *r = PQexec(g_conn, sql.c_str());
  if (PQresultStatus(r) != PGRES_TUPLES_OK) pg_die("EXPLAIN", r);
  std::string plan;
  for (int i = 0; i < PQntuples(r); i++) {
    plan += PQgetvalue(r, i, 0);
    plan += '\n';
  }
  PQclear(r);
  return plan;
}

void check_plan(const std::string &plan, const Multi &m, const char *when) {
  for (const auto &e : m.expect)
    if (plan.find(e) == std::string::npos)
      die("the plan %s does not contain \"%s\"; refusing to time it.  Plan:\n%s", when, e.c_str(), plan.c_str());
  for (const auto &e : m.reject)
    if (plan.find(e) != std::string::npos)
      die("the plan %s contains \"%s\"; refusing to time it.  Plan:\n%s", when, e.c_str(), plan.c_str());
}

// Runs the prepared statement once; returns the ids of the result rows.
void run_one(const std::string &qtext, std::vector<int64_t> &ids) {
  const char *vals[1] = {qtext.c_str()};
  PGresult *r = PQexecPrepared(g_conn, "pgvq_bench_q", 1, vals, nullptr, nullptr, 0);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) pg_die("query", r);
  ids.clear();
  int n = PQntuples(r);
  for (int i = 0; i < n; i++) {
    const char *v = PQgetvalue(r, i, 0);
    int64_t id = 0;
    auto rr = std::from_chars(v, v + std::strlen(v), id);
    if (rr.ec != std::errc()) {
      PQclear(r);
      die("the query's first column must be an integer id (got \"%s\")", v);
    }
    ids.push_back(id);
  }
  PQclear(r);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  // nearest-rank
  size_t idx = static_cast<size_t>(std::ceil(p / 100.0 * v.size()));
  if (idx == 0) idx = 1;
  if (idx > v.size()) idx = v.size();
  return v[idx - 1];
}

}  // namespace

int main(int argc, char **argv) {
  g_prog = "pgvq_bench_client";
  // Pull out the repeatable options first.
  Multi m;
  std::vector<char *> rest{argv[0]};
  for (int i = 1; i < argc; i++) {
    std::string s = argv[i];
    std::vector<std::string> *dst = nullptr;
    if (s == "--set") dst = &m.sets;
    if (s == "--tag") dst = &m.tags;
    if (s == "--expect-plan") dst = &m.expect;
    if (s == "--reject-plan") dst = &m.reject;
    if (dst) {
      if (i + 1 >= argc) die("option %s needs a value", s.c_str());
      dst->push_back(argv[++i]);
    } else {
      rest.push_back(argv[i]);
    }
  }
  Args a = parse_args(static_cast<int>(rest.size()), rest.data(), 1, {"--ivfpq-stats"},
                      {"--sql", "--queries", "--nq", "--gt", "--k", "--warmup-seconds", "--min-seconds",
                       "--max-seconds", "--results", "--conninfo"});
  if (!a.positional.empty()) die("unexpected argument \"%s\"", a.positional[0].c_str());
  std::string sql = a.str("--sql");
  VecsFile qf(a.str("--queries"));
  if (qf.kind() == VecsFile::IVECS) die("--queries must be an .fvecs or .bvecs file");
  int64_t nq = std::min(qf.n(), a.num("--nq", qf.n(), false, 1, std::numeric_limits<int64_t>::max()));
  int64_t k = a.num("--k", 10, false, 1, 100000);
  auto secs = [&](const char *name, double def) {
    if (!a.has(name)) return def;
    std::string v = a.str(name);
    double x;
    auto r = std::from_chars(v.data(), v.data() + v.size(), x);
    if (r.ec != std::errc() || r.ptr != v.data() + v.size() || x < 0) die("option %s: bad number \"%s\"", name, v.c_str());
    return x;
  };
  double warmup_s = secs("--warmup-seconds", 1e9);  // default: one full warm-up pass
  double min_s = secs("--min-seconds", 0);
  double max_s = secs("--max-seconds", 1e9);

  std::vector<int32_t> gt;
  int64_t gtk = 0;
  if (a.has("--gt")) {
    VecsFile gf(a.str("--gt"));
    if (gf.n() < nq) die("the ground truth has %" PRId64 " rows, fewer than the %" PRId64 " queries", gf.n(), nq);
    if (gf.d() < k) die("the ground truth has %" PRId64 " ids per query, fewer than k = %" PRId64, gf.d(), k);
    gtk = gf.d();
    gt.resize(static_cast<size_t>(nq * gtk));
    gf.read_int(0, nq, gt.data());
  }

  // Query texts, formatted once, before anything is timed.
  std::vector<std::string> qtext(nq);
  {
    std::vector<float> x(static_cast<size_t>(qf.d()));
    for (int64_t i = 0; i < nq; i++) {
      qf.read_float(i, 1, x.data());
      std::string &t = qtext[i];
      t.reserve(static_cast<size_t>(qf.d() * 10 + 2));
      t += '[';
      char buf[48];
      for (int64_t j = 0; j < qf.d(); j++) {
        if (j) t += ',';
        auto r = std::to_chars(buf, buf + sizeof buf, x[j]);
        t.append(buf, r.ptr - buf);
      }
      t += ']';
    }
  }

  g_conn = PQconnectdb(a.str("--conninfo", "").c_str());
  if (PQstatus(g_conn) != CONNECTION_OK) pg_die("connect", nullptr);
  PQsetNoticeProcessor(g_conn, notice_processor, nullptr);
  const bool ivfpq_stats = a.has("--ivfpq-stats");
  for (const auto &s : m.sets) {
    size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0) die("--set wants NAME=VALUE (got \"%s\")", s.c_str());
    exec_ok("SELECT set_config(" + quote_literal(s.substr(0, eq)) + ", " + quote_literal(s.substr(eq + 1)) + ", false)");
  }
  {
    PGresult *r = PQprepare(g_conn, "pgvq_bench_q", sql.c_str(), 1, nullptr);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) pg_die("PREPARE", r);
    PQclear(r);
  }
  std::string plan = explain(qtext[0]);
  check_plan(plan, m, "(custom plan, before the warm-up)");

  std::vector<int64_t> ids;
  // Warm-up: one pass over the queries (bounded by --warmup-seconds), and at
  // least 6 executions so the plan cache has settled on its generic/custom choice.
  {
    auto t0 = Clock::now();
    for (int64_t i = 0; i < std::max<int64_t>(nq, 6); i++) {
      run_one(qtext[i % nq], ids);
      if (i >= 6 && seconds_since(t0) > warmup_s) break;
    }
  }
  std::string plan2 = explain(qtext[0]);
  check_plan(plan2, m, "(after the warm-up)");

  // Timed passes.
  std::vector<double> lat;
  lat.reserve(static_cast<size_t>(nq));
  int64_t hits = 0, judged = 0;
  std::FILE *rf = nullptr;
  if (a.has("--results")) {
    rf = std::fopen(a.str("--results").c_str(), "w");
    if (!rf) die("%s: cannot create: %s", a.str("--results").c_str(), std::strerror(errno));
  }
  if (ivfpq_stats) {
    exec_ok("SET client_min_messages = debug1");
    g_stats.on = true;
  }
  auto t_all = Clock::now();
  bool stop = false;
  for (int pass = 0; !stop; pass++) {
    if (pass == 1 && ivfpq_stats) {
      g_stats.on = false;
      exec_ok("RESET client_min_messages");
    }
    for (int64_t i = 0; i < nq; i++) {
      auto t0 = Clock::now();
      run_one(qtext[i], ids);
      lat.push_back(seconds_since(t0) * 1000.0);
      if (pass == 0) {
        if (!gt.empty()) {
          std::unordered_set<int64_t> truth(gt.begin() + i * gtk, gt.begin() + i * gtk + k);
          std::unordered_set<int64_t> got;
          for (size_t j = 0; j < ids.size() && static_cast<int64_t>(j) < k; j++)
            if (truth.count(ids[j]) && got.insert(ids[j]).second) hits++;
          judged++;
        }
        if (rf) {
          std::fprintf(rf, "%" PRId64 "\t{", i);
          for (size_t j = 0; j < ids.size(); j++) std::fprintf(rf, j ? ",%" PRId64 : "%" PRId64, ids[j]);
          std::fputs("}\n", rf);
        }
      }
      double el = seconds_since(t_all);
      if (el > max_s) {
        stop = true;
        break;
      }
    }
    if (seconds_since(t_all) >= min_s) stop = true;
  }
  double total = seconds_since(t_all);
  if (rf) std::fclose(rf);
  PQfinish(g_conn);

  double sum = 0;
  for (double v : lat) sum += v;
  std::string plan_text = plan2;
  while (!plan_text.empty() && plan_text.back() == '\n') plan_text.pop_back();
  std::string o = "{";
  for (const auto &t : m.tags) {
    size_t eq = t.find('=');
    if (eq == std::string::npos || eq == 0) die("--tag wants KEY=VALUE (got \"%s\")", t.c_str());
    std::string key = t.substr(0, eq), val = t.substr(eq + 1);
    o += "\"" + json_escape(key) + "\":" + (is_number(val) ? val : "\"" + json_escape(val) + "\"") + ",";
  }
  o += "\"plan\":\"" + json_escape(plan_text) + "\",";
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "\"nq\":%zu,\"seconds\":%.4f,\"qps\":%.2f,\"mean_ms\":%.4f,\"p50_ms\":%.4f,"
                "\"p95_ms\":%.4f,\"p99_ms\":%.4f",
                lat.size(), total, lat.size() / total, sum / lat.size(),
                percentile(lat, 50), percentile(lat, 95), percentile(lat, 99));
  o += buf;
  if (judged > 0) {
    std::snprintf(buf, sizeof buf, ",\"recall\":%.4f,\"recall_nq\":%" PRId64, double(hits) / double(judged * k), judged);
    o += buf;
  }
  if (ivfpq_stats && g_stats.scans > 0) {
    std::snprintf(buf, sizeof buf, ",\"ivfpq_scans\":%" PRId64 ",\"ivfpq_entries\":%.1f,\"ivfpq_fetches\":%.1f",
                  g_stats.scans, double(g_stats.entries) / g_stats.scans,
                  double(g_stats.fetches) / g_stats.scans);
    o += buf;
  }
  o += "}";
  std::puts(o.c_str());
  return 0;
}
