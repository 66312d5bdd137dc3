// vecs_io.h: shared by the tools in tools/ (header-only): error exit, option
// parsing, .fvecs/.bvecs/.ivecs reading with validation, buffered text output.
#ifndef PGVQ_TOOLS_VECS_IO_H
#define PGVQ_TOOLS_VECS_IO_H

#include <sys/stat.h>

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
#include <vector>

namespace pgvq_tools {

// Program name used in error messages.
inline const char *g_prog = "pgvq";

[[noreturn]] inline void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::fprintf(stderr, "%s: error: ", g_prog);
  std::vfprintf(stderr, fmt, ap);
  std::fputc('\n', stderr);
  va_end(ap);
  std::exit(1);
}

inline constexpr int64_t kMaxDim = 1 << 20;

inline bool ends_with(const std::string &s, const char *suffix) {
  size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

// ---- command-line options ---------------------------------------------------

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> opts;  // "--name" -> value ("" for flags)

  bool has(const std::string &k) const { return opts.count(k) != 0; }
  std::string str(const std::string &k, const char *def = nullptr) const {
    auto it = opts.find(k);
    if (it == opts.end()) {
      if (!def) die("missing required option %s", k.c_str());
      return def;
    }
    return it->second;
  }
  int64_t num(const std::string &k, int64_t def, bool required, int64_t lo, int64_t hi) const {
    auto it = opts.find(k);
    if (it == opts.end()) {
      if (required) die("missing required option %s", k.c_str());
      return def;
    }
    const std::string &v = it->second;
    int64_t x = 0;
    auto r = std::from_chars(v.data(), v.data() + v.size(), x);
    if (v.empty() || r.ec != std::errc() || r.ptr != v.data() + v.size())
      die("option %s: \"%s\" is not an integer", k.c_str(), v.c_str());
    if (x < lo || x > hi)
      die("option %s: %" PRId64 " is out of range [%" PRId64 ", %" PRId64 "]", k.c_str(), x, lo, hi);
    return x;
  }
};

inline Args parse_args(int argc, char **argv, int first, const std::vector<std::string> &flags,
                const std::vector<std::string> &valued) {
  Args a;
  for (int i = first; i < argc; i++) {
    std::string s = argv[i];
    if (s.rfind("--", 0) == 0) {
      std::string val;
      bool has_eq = false;
      size_t eq = s.find('=');
      if (eq != std::string::npos) {
        val = s.substr(eq + 1);
        s = s.substr(0, eq);
        has_eq = true;
      }
      if (std::find(flags.begin(), flags.end(), s) != flags.end()) {
        if (has_eq) die("option %s takes no value", s.c_str());
        a.opts[s] = "";
      } else if (std::find(valued.begin(), valued.end(), s) != valued.end()) {
        if (!has_eq) {
          if (i + 1 >= argc) die("option %s needs a value", s.c_str());
          val = argv[++i];
        }
        a.opts[s] = val;
      } else {
        die("unknown option %s", s.c_str());
      }
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

// ---- vector files -------------------------------------------------------------

// A .fvecs / .bvecs / .ivecs file with rows of one dimension.
class VecsFile {
 public:
  enum Kind { FVECS, BVECS, IVECS };

  explicit VecsFile(const std::string &path) : path_(path) {
    if (ends_with(path, ".fvecs"))
      kind_ = FVECS;
    else if (ends_with(path, ".bvecs"))
      kind_ = BVECS;
    else if (ends_with(path, ".ivecs"))
      kind_ = IVECS;
    else
      die("%s: unknown file type (expected .fvecs, .bvecs or .ivecs)", path.c_str());
    f_ = std::fopen(path.c_str(), "rb");
    if (!f_) die("%s: cannot open: %s", path.c_str(), std::strerror(errno));
    struct stat sb;
    if (fstat(fileno(f_), &sb) != 0) die("%s: cannot stat: %s", path.c_str(), std::strerror(errno));
    int64_t size = sb.st_size;
    if (size == 0) die("%s: file is empty", path.c_str());
    if (size < 4) die("%s: truncated: %" PRId64 " bytes, not even one dimension header", path.c_str(), size);
    int32_t d32;
    if (std::fread(&d32, 4, 1, f_) != 1) die("%s: read error", path.c_str());
    if (d32 <= 0 || d32 > kMaxDim)
      die("%s: bad dimension %d in the first row header (expected 1..%" PRId64 ")", path.c_str(), d32,
          kMaxDim);
    d_ = d32;
    elem_ = kind_ == BVECS ? 1 : 4;
    rec_ = 4 + d_ * elem_;
    if (size % rec_ != 0)
      die("%s: truncated or malformed: size %" PRId64 " bytes is not a multiple of the row size %" PRId64
          " (4 + %" PRId64 " x %d bytes, from the first row's dimension %" PRId64 ")",
          path.c_str(), size, rec_, d_, elem_, d_);
    n_ = size / rec_;
  }
  ~VecsFile() {
    if (f_) std::fclose(f_);
  }
  VecsFile(const VecsFile &) = delete;
  VecsFile &operator=(const VecsFile &) = delete;

  int64_t n() const { return n_; }
  int64_t d() const { return d_; }
  Kind kind() const { return kind_; }
  const std::string &path() const { return path_; }

  // Reads rows [start, start+count) as floats into out (count x d).
  void read_float(int64_t start, int64_t count, float *out) {
    if (kind_ == IVECS) die("%s: an .ivecs file holds ids, not vectors", path_.c_str());
    read_raw(start, count);
    for (int64_t i = 0; i < count; i++) {
      const unsigned char *p = buf_.data() + i * rec_ + 4;
      float *o = out + i * d_;
      if (kind_ == FVECS) {
        std::memcpy(o, p, d_ * 4);
      } else {
        for (int64_t j = 0; j < d_; j++) o[j] = static_cast<float>(p[j]);
      }
    }
  }

  void read_int(int64_t start, int64_t count, int32_t *out) {
    if (kind_ != IVECS) die("%s: expected an .ivecs file", path_.c_str());
    read_raw(start, count);
    for (int64_t i = 0; i < count; i++) std::memcpy(out + i * d_, buf_.data() + i * rec_ + 4, d_ * 4);
  }

 private:
  void read_raw(int64_t start, int64_t count) {
    if (start < 0 || count < 0 || start + count > n_)
      die("%s: rows [%" PRId64 ", %" PRId64 ") out of range (file has %" PRId64 " rows)", path_.c_str(), start,
          start + count, n_);
    buf_.resize(static_cast<size_t>(count * rec_));
    if (count == 0) return;
    if (fseeko(f_, static_cast<off_t>(start * rec_), SEEK_SET) != 0)
      die("%s: seek failed: %s", path_.c_str(), std::strerror(errno));
    if (std::fread(buf_.data(), rec_, count, f_) != static_cast<size_t>(count))
      die("%s: read error (file changed or truncated while reading)", path_.c_str());
    for (int64_t i = 0; i < count; i++) {
      int32_t h;
      std::memcpy(&h, buf_.data() + i * rec_, 4);
      if (h != d_)
        die("%s: row %" PRId64 " has dimension %d, but the file's first row has %" PRId64
            " (mixed dimensions or corrupt file)",
            path_.c_str(), start + i, h, d_);
    }
  }

  std::string path_;
  Kind kind_ = FVECS;
  std::FILE *f_ = nullptr;
  int64_t n_ = 0, d_ = 0, elem_ = 4, rec_ = 0;
  std::vector<unsigned char> buf_;
};

// ---- output -------------------------------------------------------------------

class Out {
 public:
  explicit Out(std::FILE *f) : f_(f) { buf_.reserve(1 << 20); }
  ~Out() { flush(); }
  void put(char c) { buf_.push_back(c); }
  void put(const char *s, size_t n) { buf_.insert(buf_.end(), s, s + n); }
  void put(const char *s) { put(s, std::strlen(s)); }
  void put_int(int64_t v) {
    char tmp[24];
    auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
    put(tmp, r.ptr - tmp);
  }
  // Shortest text that reads back as the same float.
  void put_float(float v) {
    if (!std::isfinite(v)) die("non-finite element %g cannot be written as a vector element", (double)v);
    char tmp[48];
    auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
    put(tmp, r.ptr - tmp);
  }
  // Big-endian integers and floats (PostgreSQL's binary COPY format).
  void put_be16(uint16_t v) {
    put(static_cast<char>(v >> 8));
    put(static_cast<char>(v & 0xff));
  }
  void put_be32(uint32_t v) {
    put_be16(static_cast<uint16_t>(v >> 16));
    put_be16(static_cast<uint16_t>(v & 0xffff));
  }
  // A vector's binary send/receive form: int16 dim, int16 unused, float4 x dim.
  void vector_binary(const float *x, int64_t d) {
    put_be16(static_cast<uint16_t>(d));
    put_be16(0);
    for (int64_t j = 0; j < d; j++) {
      if (!std::isfinite(x[j])) die("non-finite element %g cannot be written as a vector element", (double)x[j]);
      uint32_t bits;
      std::memcpy(&bits, &x[j], sizeof bits);
      put_be32(bits);
    }
  }
  void vector_text(const float *x, int64_t d) {
    put('[');
    for (int64_t j = 0; j < d; j++) {
      if (j) put(',');
      put_float(x[j]);
    }
    put(']');
  }
  void maybe_flush() {
    if (buf_.size() >= (1 << 20)) flush();
  }
  void flush() {
    if (!buf_.empty()) {
      if (std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size()) die("write error: %s", std::strerror(errno));
      buf_.clear();
    }
    if (std::fflush(f_) != 0) die("write error: %s", std::strerror(errno));
  }

 private:
  std::FILE *f_;
  std::vector<char> buf_;
};

inline void write_vecs_rows(std::FILE *f, const std::string &path, const void *rows, int64_t n, int64_t d) {
  // rows: n x d 4-byte values
  int32_t d32 = static_cast<int32_t>(d);
  const char *p = static_cast<const char *>(rows);
  for (int64_t i = 0; i < n; i++) {
    if (std::fwrite(&d32, 4, 1, f) != 1 || std::fwrite(p + i * d * 4, 4, d, f) != static_cast<size_t>(d))
      die("%s: write error: %s", path.c_str(), std::strerror(errno));
  }
}


}  // namespace pgvq_tools

#endif  // PGVQ_TOOLS_VECS_IO_H
