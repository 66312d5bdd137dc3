// pgvq_vecs: dataset tools for pgvq scripts, tests and benchmarks.
//
//   pgvq_vecs info  FILE                          prints "n d" of a .fvecs/.bvecs/.ivecs file
//   pgvq_vecs copy  FILE [--limit N] [--offset K] [--binary]
//                   "id<TAB>[v1,...]" lines for COPY ... FROM STDIN, or with --binary the
//                   binary COPY stream of (id int4, v vector) for COPY ... WITH (FORMAT binary)
//   pgvq_vecs vec   FILE --row R                  one vector's text form "[v1,...]"
//   pgvq_vecs ivecs FILE [--limit N] [--k K]      "qid<TAB>{n1,...}" lines (first K ids per row)
//   pgvq_vecs synth --n N --d D --seed S [--model latent|rotated] [--clusters C] [--normalize] --out FILE.fvecs
//                   [--queries Q --query-out QFILE.fvecs]   (Q more rows of the same distribution)
//   pgvq_vecs gt    --base B --query Q --k K [--metric l2|ip|cosine] [--limit NQ] --out GT.ivecs
//   pgvq_vecs recall --gt GT.ivecs --results FILE --k K
//
// Formats (little-endian): fvecs = per row int32 d then d float32; bvecs = per
// row int32 d then d uint8 (read as float); ivecs = per row int32 k then k int32.
// Ids are 0-based row numbers.  Every malformed input is reported with a clear
// message and a non-zero exit status.
//
// This tool uses nothing from the pgvq core: the brute-force ground truth is
// computed with OpenBLAS sgemm, filtered with a proven float error bound and
// confirmed in double precision, so it is exact (ties broken by the smaller id).

#include <cblas.h>

#include "vecs_io.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

namespace {

using namespace pgvq_tools;

// ---- copy / vec / ivecs / info ---------------------------------------------------

int cmd_info(int argc, char **argv) {
  Args a = parse_args(argc, argv, 2, {}, {});
  if (a.positional.size() != 1) die("usage: pgvq_vecs info FILE");
  VecsFile f(a.positional[0]);
  std::printf("%" PRId64 " %" PRId64 "\n", f.n(), f.d());
  return 0;
}

int cmd_copy(int argc, char **argv) {
  Args a = parse_args(argc, argv, 2, {"--binary"}, {"--limit", "--offset"});
  if (a.positional.size() != 1) die("usage: pgvq_vecs copy FILE [--limit N] [--offset K] [--binary]");
  VecsFile f(a.positional[0]);
  int64_t offset = a.num("--offset", 0, false, 0, f.n());
  int64_t limit = a.num("--limit", f.n() - offset, false, 0, std::numeric_limits<int64_t>::max());
  int64_t end = std::min(f.n(), offset + limit);
  const bool binary = a.has("--binary");
  // The type's limit (the binary form's dimension is an int16).
  if (binary && f.d() > 16000) die("%s has %" PRId64 " dimensions; a vector has at most 16000", f.path().c_str(), f.d());
  if (binary && end > std::numeric_limits<int32_t>::max()) die("ids past 2^31 - 1 do not fit the int4 id column");
  Out out(stdout);
  if (binary) {
    out.put("PGCOPY\n\377\r\n\0", 11);  // signature
    out.put_be32(0);                         // flags
    out.put_be32(0);                         // header extension length
  }
  const int64_t block = std::max<int64_t>(1, (8 << 20) / (f.d() * 4));
  std::vector<float> x;
  for (int64_t s = offset; s < end; s += block) {
    int64_t c = std::min(block, end - s);
    x.resize(static_cast<size_t>(c * f.d()));
    f.read_float(s, c, x.data());
    for (int64_t i = 0; i < c; i++) {
      if (binary) {
        out.put_be16(2);  // fields
        out.put_be32(4);
        out.put_be32(static_cast<uint32_t>(s + i));
        out.put_be32(static_cast<uint32_t>(4 + 4 * f.d()));
        out.vector_binary(x.data() + i * f.d(), f.d());
      } else {
        out.put_int(s + i);
        out.put('\t');
        out.vector_text(x.data() + i * f.d(), f.d());
        out.put('\n');
      }
      out.maybe_flush();
    }
  }
  if (binary) out.put_be16(0xffff);  // trailer
  return 0;
}

int cmd_vec(int argc, char **argv) {
  Args a = parse_args(argc, argv, 2, {}, {"--row"});
  if (a.positional.size() != 1) die("usage: pgvq_vecs vec FILE --row R");
  VecsFile f(a.positional[0]);
  int64_t row = a.num("--row", 0, true, 0, f.n() - 1);
  std::vector<float> x(f.d());
  f.read_float(row, 1, x.data());
  Out out(stdout);
  out.vector_text(x.data(), f.d());
  out.put('\n');
  return 0;
}

int cmd_ivecs(int argc, char **argv) {
  Args a = parse_args(argc, argv, 2, {}, {"--limit", "--k"});
  if (a.positional.size() != 1) die("usage: pgvq_vecs ivecs FILE [--limit N] [--k K]");
  VecsFile f(a.positional[0]);
  int64_t limit = a.num("--limit", f.n(), false, 0, std::numeric_limits<int64_t>::max());
  int64_t k = a.num("--k", f.d(), false, 1, std::numeric_limits<int32_t>::max());
  if (k > f.d()) die("--k %" PRId64 " exceeds the %" PRId64 " ids per row of %s", k, f.d(), f.path().c_str());
  int64_t n = std::min(limit, f.n());
  std::vector<int32_t> ids(static_cast<size_t>(f.d()));
  Out out(stdout);
  for (int64_t i = 0; i < n; i++) {
    f.read_int(i, 1, ids.data());
    out.put_int(i);
    out.put("\t{");
    for (int64_t j = 0; j < k; j++) {
      if (j) out.put(',');
      out.put_int(ids[j]);
    }
    out.put("}\n");
    out.maybe_flush();
  }
  return 0;
}

// ---- synth ------------------------------------------------------------------------

// Deterministic, platform-independent random numbers: splitmix64 seeding a
// xoshiro256** stream; Gaussians by Box-Muller (never std::normal_distribution,
// whose output differs between standard libraries).
inline uint64_t splitmix64(uint64_t &s) {
  uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class Rng {
 public:
  Rng(uint64_t seed, uint64_t stream) {
    uint64_t s = seed * 0x2545F4914F6CDD1Dull + stream * 0x9E3779B97F4A7C15ull + 0x1234567ull;
    for (auto &x : s_) x = splitmix64(s);
  }
  uint64_t next() {
    uint64_t r = rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return r;
  }
  // uniform in (0, 1)
  double uniform() { return ((next() >> 11) + 0.5) * (1.0 / 9007199254740992.0); }
  double gauss() {
    if (have_) {
      have_ = false;
      return spare_;
    }
    double u = uniform(), v = uniform();
    double r = std::sqrt(-2.0 * std::log(u));
    spare_ = r * std::sin(2.0 * M_PI * v);
    have_ = true;
    return r * std::cos(2.0 * M_PI * v);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
  bool have_ = false;
  double spare_ = 0;
};

// Model (all dimensions scaled so a coordinate is O(1)):
//   r latent directions U (d x r, Gaussian), spectrum sigma_j = (1+j)^-0.75;
//   C centers c = U (sigma . z), z ~ N(0, I_r);
//   cluster sizes drawn from a log-normal weight (uneven, like real data);
//   point = center + U (tau . w) + V (nu . u) + eps, w ~ N(0, I_r), u ~ N(0, I_r2),
//   tau_j = 0.8 (1+j)^-0.5 (flatter than sigma: clusters overlap along the tail
//   directions), V a second basis (noise partly outside the center subspace),
//   nu_j = 0.35 (1+j)^-0.5, eps ~ N(0, 0.05^2 I_d) isotropic.
// Every row draws from its own stream (seed, row), so the output does not depend
// on blocking or threads.
// The "rotated" model (--model rotated; issue 10's clustered set): C clusters
// (default 1000) of equal weight, centres drawn from N(0, 0.25 I), and each
// cluster its own random rotation Q_c (a product of three Householder
// reflections with random unit normals) and standard deviation (j+1)^-1/2
// along its j-th axis: x = centre_c + Q_c (s . z), s_j = (j+1)^-1/2,
// z ~ N(0, I).  Queries come from the same mixture.
int synth_rotated(const Args &a, int64_t n, int64_t d, int64_t seed, bool normalize,
                  const std::string &path, int64_t nqueries, const std::string &qpath) {
  int64_t C = a.num("--clusters", 1000, false, 1, n);
  std::vector<float> centres(static_cast<size_t>(C * d)), normals(static_cast<size_t>(C * 3 * d));
  {
    Rng g(static_cast<uint64_t>(seed), 0x707A7Eull);
    for (int64_t c = 0; c < C; c++) {
      for (int64_t t = 0; t < d; t++) centres[c * d + t] = static_cast<float>(0.5 * g.gauss());
      for (int h = 0; h < 3; h++) {
        float *v = normals.data() + (c * 3 + h) * d;
        double nn = 0;
        for (int64_t t = 0; t < d; t++) {
          v[t] = static_cast<float>(g.gauss());
          nn += static_cast<double>(v[t]) * v[t];
        }
        float inv = static_cast<float>(1.0 / std::sqrt(nn));
        for (int64_t t = 0; t < d; t++) v[t] *= inv;
      }
    }
  }
  std::vector<double> s(static_cast<size_t>(d));
  for (int64_t j = 0; j < d; j++) s[j] = 1.0 / std::sqrt(1.0 + j);
  auto generate = [&](const std::string &fpath, int64_t first, int64_t count) {
    std::FILE *f = std::fopen(fpath.c_str(), "wb");
    if (!f) die("%s: cannot create: %s", fpath.c_str(), std::strerror(errno));
    std::vector<double> y(static_cast<size_t>(d));
    std::vector<float> x(static_cast<size_t>(d));
    for (int64_t i = first; i < first + count; i++) {
      Rng g(static_cast<uint64_t>(seed), 0x200000000ull + static_cast<uint64_t>(i));
      int64_t c = static_cast<int64_t>(g.uniform() * C);
      if (c >= C) c = C - 1;
      for (int64_t j = 0; j < d; j++) y[j] = s[j] * g.gauss();
      for (int h = 0; h < 3; h++) {  // y <- (I - 2 v v^T) y
        const float *v = normals.data() + (c * 3 + h) * d;
        double dot = 0;
        for (int64_t t = 0; t < d; t++) dot += v[t] * y[t];
        for (int64_t t = 0; t < d; t++) y[t] -= 2.0 * dot * v[t];
      }
      double nn = 0;
      for (int64_t t = 0; t < d; t++) {
        x[t] = static_cast<float>(centres[c * d + t] + y[t]);
        nn += static_cast<double>(x[t]) * x[t];
      }
      if (normalize && nn > 0) {
        float inv = static_cast<float>(1.0 / std::sqrt(nn));
        for (int64_t t = 0; t < d; t++) x[t] *= inv;
      }
      write_vecs_rows(f, fpath, x.data(), 1, d);
    }
    if (std::fclose(f) != 0) die("%s: write error: %s", fpath.c_str(), std::strerror(errno));
  };
  generate(path, 0, n);
  if (nqueries > 0) generate(qpath, n, nqueries);
  return 0;
}

int cmd_synth(int argc, char **argv) {
  Args a = parse_args(argc, argv, 2, {"--normalize"},
                      {"--n", "--d", "--seed", "--clusters", "--out", "--queries", "--query-out",
                       "--model"});
  if (!a.positional.empty())
    die("usage: pgvq_vecs synth --n N --d D --seed S [--model latent|rotated] [--clusters C] "
        "[--normalize] --out FILE.fvecs [--queries Q --query-out QFILE.fvecs]");
  int64_t n = a.num("--n", 0, true, 1, int64_t(1) << 31);
  int64_t d = a.num("--d", 0, true, 1, 16000);
  int64_t seed = a.num("--seed", 0, true, 0, std::numeric_limits<int64_t>::max());
  int64_t defc = std::max<int64_t>(1, std::llround(std::sqrt(static_cast<double>(n))));
  int64_t C = a.num("--clusters", defc, false, 1, n);
  bool normalize = a.has("--normalize");
  std::string path = a.str("--out");
  if (!ends_with(path, ".fvecs")) die("--out must name a .fvecs file");
  int64_t nqueries = a.num("--queries", 0, false, 0, int64_t(1) << 31);
  std::string qpath = a.str("--query-out", "");
  if ((nqueries > 0) != !qpath.empty()) die("--queries and --query-out go together");
  if (!qpath.empty() && !ends_with(qpath, ".fvecs")) die("--query-out must name a .fvecs file");
  std::string model = a.str("--model", "latent");
  if (model == "rotated") return synth_rotated(a, n, d, seed, normalize, path, nqueries, qpath);
  if (model != "latent") die("--model must be latent or rotated");

  const int64_t r = std::min<int64_t>(d, 24 + d / 12);   // center subspace rank
  const int64_t r2 = std::min<int64_t>(d, 16 + d / 16);  // extra noise subspace rank
  const int64_t R = r + r2;
  const double coord_scale = 1.0 / std::sqrt(static_cast<double>(r));

  // Basis B = [U | V], stored as R x d (row j = direction j), normalised to unit length.
  std::vector<float> B(static_cast<size_t>(R * d));
  {
    Rng g(static_cast<uint64_t>(seed), 0xB4515ull);
    for (int64_t j = 0; j < R; j++) {
      double nn = 0;
      for (int64_t t = 0; t < d; t++) {
        double v = g.gauss();
        B[j * d + t] = static_cast<float>(v);
        nn += v * v;
      }
      float inv = static_cast<float>(std::sqrt(static_cast<double>(d)) / std::sqrt(nn));
      for (int64_t t = 0; t < d; t++) B[j * d + t] *= inv;  // coordinates O(1)
    }
  }
  std::vector<double> sigma(r), tau(r), nu(r2);
  for (int64_t j = 0; j < r; j++) {
    sigma[j] = std::pow(1.0 + j, -0.75) * coord_scale * 3.0;
    tau[j] = 0.8 * std::pow(1.0 + j, -0.5) * coord_scale * 3.0;
  }
  for (int64_t j = 0; j < r2; j++) nu[j] = 0.35 * std::pow(1.0 + j, -0.5) * coord_scale * 3.0;

  // Centers in latent coordinates (C x r) and cumulative cluster weights.
  std::vector<double> centers(static_cast<size_t>(C * r));
  std::vector<double> cum(static_cast<size_t>(C));
  {
    Rng g(static_cast<uint64_t>(seed), 0xCE17E5ull);
    double tot = 0;
    for (int64_t c = 0; c < C; c++) {
      for (int64_t j = 0; j < r; j++) centers[c * r + j] = sigma[j] * g.gauss();
      tot += std::exp(0.8 * g.gauss());
      cum[c] = tot;
    }
    for (auto &w : cum) w /= tot;
  }

  // Rows [0, n) go to the base file, rows [n, n + nqueries) to the query file:
  // queries come from the same distribution but are not base rows.
  const int64_t block = 8192;
  std::vector<float> L(static_cast<size_t>(block * R)), X(static_cast<size_t>(block * d));
  unsigned nthreads = std::max(1u, std::min(8u, std::thread::hardware_concurrency()));
  auto generate = [&](const std::string &fpath, int64_t first, int64_t count) {
    std::FILE *f = std::fopen(fpath.c_str(), "wb");
    if (!f) die("%s: cannot create: %s", fpath.c_str(), std::strerror(errno));
    for (int64_t s = first; s < first + count; s += block) {
      int64_t bn = std::min(block, first + count - s);
      // Latent coordinates and isotropic noise, per row from the row's own stream.
      auto work = [&](int64_t lo, int64_t hi) {
        for (int64_t i = lo; i < hi; i++) {
          Rng g(static_cast<uint64_t>(seed), 0x100000000ull + static_cast<uint64_t>(s + i));
          double u = g.uniform();
          int64_t c = std::lower_bound(cum.begin(), cum.end(), u) - cum.begin();
          if (c >= C) c = C - 1;
          float *l = L.data() + i * R;
          for (int64_t j = 0; j < r; j++) l[j] = static_cast<float>(centers[c * r + j] + tau[j] * g.gauss());
          for (int64_t j = 0; j < r2; j++) l[r + j] = static_cast<float>(nu[j] * g.gauss());
          float *x = X.data() + i * d;
          for (int64_t t = 0; t < d; t++) x[t] = static_cast<float>(0.05 * g.gauss());
        }
      };
      std::vector<std::thread> th;
      int64_t per = (bn + nthreads - 1) / nthreads;
      for (unsigned t = 0; t < nthreads; t++) {
        int64_t lo = t * per, hi = std::min(bn, lo + per);
        if (lo < hi) th.emplace_back(work, lo, hi);
      }
      for (auto &t : th) t.join();
      // X += L (bn x R) * B (R x d)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(bn), static_cast<int>(d),
                  static_cast<int>(R), 1.0f, L.data(), static_cast<int>(R), B.data(), static_cast<int>(d), 1.0f,
                  X.data(), static_cast<int>(d));
      if (normalize) {
        for (int64_t i = 0; i < bn; i++) {
          float *x = X.data() + i * d;
          double nn = 0;
          for (int64_t t = 0; t < d; t++) nn += static_cast<double>(x[t]) * x[t];
          float inv = nn > 0 ? static_cast<float>(1.0 / std::sqrt(nn)) : 0.0f;
          for (int64_t t = 0; t < d; t++) x[t] *= inv;
        }
      }
      write_vecs_rows(f, fpath, X.data(), bn, d);
    }
    if (std::fclose(f) != 0) die("%s: write error: %s", fpath.c_str(), std::strerror(errno));
  };
  generate(path, 0, n);
  if (nqueries > 0) generate(qpath, n, nqueries);
  return 0;
}

// ---- gt -----------------------------------------------------------------------------

enum Metric { L2, IP, COSINE };

// Heap entry: (exact distance, id); NaN distances are stored as +inf and sort
// after every finite distance (as float8 NaN sorts last in Postgres).
struct Cand {
  double dist;
  int64_t id;
};
inline bool cand_less(const Cand &a, const Cand &b) { return a.dist < b.dist || (a.dist == b.dist && a.id < b.id); }

int cmd_gt(int argc, char **argv) {
  Args a = parse_args(argc, argv, 2, {}, {"--base", "--query", "--k", "--metric", "--out", "--limit"});
  if (!a.positional.empty())
    die("usage: pgvq_vecs gt --base B --query Q --k K [--metric l2|ip|cosine] [--limit NQ] --out GT.ivecs");
  VecsFile base(a.str("--base"));
  VecsFile query(a.str("--query"));
  if (base.kind() == VecsFile::IVECS || query.kind() == VecsFile::IVECS)
    die("--base and --query must be .fvecs or .bvecs files");
  if (base.d() != query.d())
    die("dimension mismatch: base %s has %" PRId64 ", query %s has %" PRId64, base.path().c_str(), base.d(),
        query.path().c_str(), query.d());
  int64_t k = a.num("--k", 0, true, 1, 100000);
  if (k > base.n()) die("--k %" PRId64 " exceeds the %" PRId64 " base vectors", k, base.n());
  std::string ms = a.str("--metric", "l2");
  Metric metric;
  if (ms == "l2")
    metric = L2;
  else if (ms == "ip")
    metric = IP;
  else if (ms == "cosine")
    metric = COSINE;
  else
    die("--metric must be l2, ip or cosine (got \"%s\")", ms.c_str());
  std::string outpath = a.str("--out");
  if (!ends_with(outpath, ".ivecs")) die("--out must name an .ivecs file");
  const int64_t d = base.d();
  const int64_t nq = std::min(query.n(), a.num("--limit", query.n(), false, 1, std::numeric_limits<int64_t>::max()));
  const int64_t nb = base.n();

  std::vector<float> Q(static_cast<size_t>(nq * d));
  query.read_float(0, nq, Q.data());
  std::vector<float> qn(nq);      // float |q|
  std::vector<double> qn2(nq);    // double |q|^2
  for (int64_t i = 0; i < nq; i++) {
    double s = 0;
    for (int64_t t = 0; t < d; t++) s += static_cast<double>(Q[i * d + t]) * Q[i * d + t];
    qn2[i] = s;
    qn[i] = static_cast<float>(std::sqrt(s));
  }
  // Bound on the float error of a d-term dot product in any summation order
  // (gamma_d = d u / (1 - d u), u = 2^-24), doubled for safety.
  const double gamma = 2.0 * (d + 2) * std::ldexp(1.0, -24) / (1.0 - (d + 2) * std::ldexp(1.0, -24));

  std::vector<std::vector<Cand>> heaps(nq);
  for (auto &h : heaps) h.reserve(k + 1);

  const int64_t block = std::max<int64_t>(256, std::min<int64_t>(65536, (int64_t(24) << 20) / std::max<int64_t>(nq, 1)));
  std::vector<float> X, G, xn;
  std::vector<double> xn2;
  unsigned nthreads = std::max(1u, std::min(8u, std::thread::hardware_concurrency()));

  for (int64_t s = 0; s < nb; s += block) {
    int64_t bn = std::min(block, nb - s);
    X.resize(static_cast<size_t>(bn * d));
    base.read_float(s, bn, X.data());
    xn.resize(bn);
    xn2.resize(bn);
    float maxn = 0;
    for (int64_t i = 0; i < bn; i++) {
      double t2 = 0;
      for (int64_t t = 0; t < d; t++) t2 += static_cast<double>(X[i * d + t]) * X[i * d + t];
      xn2[i] = t2;
      xn[i] = static_cast<float>(std::sqrt(t2));
      maxn = std::max(maxn, xn[i]);
    }
    G.resize(static_cast<size_t>(nq * bn));
    // G = Q (nq x d) * X^T (d x bn)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(nq), static_cast<int>(bn),
                static_cast<int>(d), 1.0f, Q.data(), static_cast<int>(d), X.data(), static_cast<int>(d), 0.0f,
                G.data(), static_cast<int>(bn));

    auto work = [&](int64_t qlo, int64_t qhi) {
      for (int64_t qi = qlo; qi < qhi; qi++) {
        auto &h = heaps[qi];
        const float *g = G.data() + qi * bn;
        const float *q = Q.data() + qi * d;
        // slack >= |approx - exact| for every row of this block
        double slack;
        if (metric == L2)
          slack = gamma * (static_cast<double>(qn[qi]) + maxn) * (static_cast<double>(qn[qi]) + maxn) * 2.0 + 1e-30;
        else if (metric == IP)
          slack = gamma * static_cast<double>(qn[qi]) * maxn * 2.0 + 1e-30;
        else
          slack = 4.0 * gamma + 1e-12;
        for (int64_t i = 0; i < bn; i++) {
          double approx;
          if (metric == L2)
            approx = qn2[qi] + xn2[i] - 2.0 * g[i];
          else if (metric == IP)
            approx = -static_cast<double>(g[i]);
          else {
            double den = static_cast<double>(qn[qi]) * xn[i];
            approx = den > 0 ? 1.0 - g[i] / den : std::numeric_limits<double>::infinity();
          }
          if (static_cast<int64_t>(h.size()) == k && approx - slack > h.front().dist) continue;
          // exact distance in double
          const float *x = X.data() + i * d;
          double ex;
          if (metric == L2) {
            double acc = 0;
            for (int64_t t = 0; t < d; t++) {
              double df = static_cast<double>(q[t]) - x[t];
              acc += df * df;
            }
            ex = acc;
          } else {
            double dot = 0;
            for (int64_t t = 0; t < d; t++) dot += static_cast<double>(q[t]) * x[t];
            if (metric == IP)
              ex = -dot;
            else {
              double den = std::sqrt(qn2[qi]) * std::sqrt(xn2[i]);
              ex = den > 0 ? 1.0 - dot / den : std::numeric_limits<double>::infinity();
            }
          }
          if (std::isnan(ex)) ex = std::numeric_limits<double>::infinity();
          Cand c{ex, s + i};
          if (static_cast<int64_t>(h.size()) < k) {
            h.push_back(c);
            std::push_heap(h.begin(), h.end(), cand_less);
          } else if (cand_less(c, h.front())) {
            std::pop_heap(h.begin(), h.end(), cand_less);
            h.back() = c;
            std::push_heap(h.begin(), h.end(), cand_less);
          }
        }
      }
    };
    std::vector<std::thread> th;
    int64_t per = (nq + nthreads - 1) / nthreads;
    for (unsigned t = 0; t < nthreads; t++) {
      int64_t lo = t * per, hi = std::min(nq, lo + per);
      if (lo < hi) th.emplace_back(work, lo, hi);
    }
    for (auto &t : th) t.join();
  }

  std::vector<int32_t> rows(static_cast<size_t>(nq * k));
  for (int64_t qi = 0; qi < nq; qi++) {
    auto &h = heaps[qi];
    std::sort_heap(h.begin(), h.end(), cand_less);
    for (int64_t j = 0; j < k; j++) rows[qi * k + j] = static_cast<int32_t>(h[j].id);
  }
  std::FILE *f = std::fopen(outpath.c_str(), "wb");
  if (!f) die("%s: cannot create: %s", outpath.c_str(), std::strerror(errno));
  write_vecs_rows(f, outpath, rows.data(), nq, k);
  if (std::fclose(f) != 0) die("%s: write error: %s", outpath.c_str(), std::strerror(errno));
  return 0;
}

// ---- recall ---------------------------------------------------------------------------

// Parses "qid<TAB>{id,id,...}" lines (blank lines skipped; "{}" allowed).
int cmd_recall(int argc, char **argv) {
  Args a = parse_args(argc, argv, 2, {}, {"--gt", "--results", "--k"});
  if (!a.positional.empty()) die("usage: pgvq_vecs recall --gt GT.ivecs --results FILE --k K");
  VecsFile gt(a.str("--gt"));
  int64_t k = a.num("--k", 0, true, 1, gt.d());
  std::string rpath = a.str("--results");
  std::FILE *rf = rpath == "-" ? stdin : std::fopen(rpath.c_str(), "r");
  if (!rf) die("%s: cannot open: %s", rpath.c_str(), std::strerror(errno));
  std::vector<int32_t> g(static_cast<size_t>(gt.d()));
  std::vector<char> line(1 << 16);
  std::string cur;
  int64_t lineno = 0, nq = 0, hits = 0;
  std::vector<bool> seen(static_cast<size_t>(gt.n()), false);
  auto bad = [&](const char *why) { die("%s:%" PRId64 ": %s (expected \"qid<TAB>{id,id,...}\")", rpath.c_str(), lineno, why); };
  int ch;
  while (true) {
    cur.clear();
    while ((ch = std::fgetc(rf)) != EOF && ch != '\n') cur.push_back(static_cast<char>(ch));
    if (ch == EOF && cur.empty()) break;
    lineno++;
    if (!cur.empty() && cur.back() == '\r') cur.pop_back();
    if (cur.empty()) continue;
    const char *p = cur.data(), *e = cur.data() + cur.size();
    int64_t qid;
    auto r = std::from_chars(p, e, qid);
    if (r.ec != std::errc()) bad("no query id");
    p = r.ptr;
    if (p == e || (*p != '\t' && *p != ' ')) bad("no tab after the query id");
    while (p < e && (*p == '\t' || *p == ' ')) p++;
    if (qid < 0 || qid >= gt.n()) die("%s:%" PRId64 ": query id %" PRId64 " is not in the ground truth (0..%" PRId64 ")", rpath.c_str(), lineno, qid, gt.n() - 1);
    if (seen[qid]) die("%s:%" PRId64 ": query id %" PRId64 " appears twice", rpath.c_str(), lineno, qid);
    seen[qid] = true;
    if (p == e || *p != '{') bad("no '{'");
    p++;
    std::vector<int64_t> ids;
    while (p < e && *p != '}') {
      while (p < e && *p == ' ') p++;
      int64_t id;
      auto r2 = std::from_chars(p, e, id);
      if (r2.ec != std::errc()) bad("bad id");
      ids.push_back(id);
      p = r2.ptr;
      while (p < e && *p == ' ') p++;
      if (p < e && *p == ',') p++;
    }
    if (p == e) bad("no closing '}'");
    gt.read_int(qid, 1, g.data());
    std::unordered_set<int64_t> truth(g.begin(), g.begin() + k);
    std::unordered_set<int64_t> got;
    for (size_t j = 0; j < ids.size() && static_cast<int64_t>(j) < k; j++)
      if (truth.count(ids[j]) && got.insert(ids[j]).second) hits++;
    nq++;
  }
  if (rf != stdin) std::fclose(rf);
  if (nq == 0) die("%s: no result lines", rpath.c_str());
  std::printf("%.4f\n", static_cast<double>(hits) / static_cast<double>(nq * k));
  return 0;
}

void usage() {
  std::fputs(
      "usage:\n"
      "  pgvq_vecs info  FILE\n"
      "  pgvq_vecs copy  FILE [--limit N] [--offset K]\n"
      "  pgvq_vecs vec   FILE --row R\n"
      "  pgvq_vecs ivecs FILE [--limit N] [--k K]\n"
      "  pgvq_vecs synth --n N --d D --seed S [--model latent|rotated] [--clusters C] [--normalize] --out FILE.fvecs\n"
      "  pgvq_vecs gt    --base B --query Q --k K [--metric l2|ip|cosine] [--limit NQ] --out GT.ivecs\n"
      "  pgvq_vecs recall --gt GT.ivecs --results FILE --k K\n",
      stderr);
}

}  // namespace

int main(int argc, char **argv) {
  pgvq_tools::g_prog = "pgvq_vecs";
  if (argc < 2) {
    usage();
    return 2;
  }
  std::string cmd = argv[1];
  if (cmd == "info") return cmd_info(argc, argv);
  if (cmd == "copy") return cmd_copy(argc, argv);
  if (cmd == "vec") return cmd_vec(argc, argv);
  if (cmd == "ivecs") return cmd_ivecs(argc, argv);
  if (cmd == "synth") return cmd_synth(argc, argv);
  if (cmd == "gt") return cmd_gt(argc, argv);
  if (cmd == "recall") return cmd_recall(argc, argv);
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    usage();
    return 0;
  }
  usage();
  die("unknown command \"%s\"", cmd.c_str());
}
