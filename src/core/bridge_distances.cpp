/*
 * bridge_distances.cpp: extern "C" entry points for CPU dispatch, distance
 * kernels and top-k.  The kernels and the heap operations cannot throw (no
 * allocation); only pgvq_topk_new allocates and is wrapped in try/catch.
 */
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <new>

#include "blas.h"
#include "distances.h"
#include "errors.h"
#include "pgvq_core.h"
#include "topk.h"

#include "cpp_only.h"

struct pgvq_topk {
    explicit pgvq_topk(size_t k) : heap(k) {}
    pgvq::TopK heap;
};

extern "C" {

/* Also stops OpenBLAS's own thread pool (see blas.h). */
void pgvq_init(void) {
    (void)pgvq::init_kernels();
    pgvq::blas_init();
}

const char *pgvq_simd_level(void) { return pgvq::kernels().name; }

int pgvq_set_simd_level(int level) { return pgvq::set_simd_level(level); }

float pgvq_fvec_l2sqr(const float *a, const float *b, size_t d) {
    return pgvq::kernels().l2sqr(a, b, d);
}

float pgvq_fvec_inner_product(const float *a, const float *b, size_t d) {
    return pgvq::kernels().inner_product(a, b, d);
}

float pgvq_fvec_l1(const float *a, const float *b, size_t d) { return pgvq::kernels().l1(a, b, d); }

float pgvq_fvec_norm_l2sqr(const float *a, size_t d) { return pgvq::kernels().norm_l2sqr(a, d); }

void pgvq_fvec_cosine_parts(const float *a, const float *b, size_t d, float *dot, float *norma,
                            float *normb) {
    pgvq::kernels().cosine_parts(a, b, d, dot, norma, normb);
}

float pgvq_distance(int metric, const float *a, const float *b, size_t d) {
    return pgvq::fvec_distance(metric, a, b, d);
}

void pgvq_distances_1xn(int metric, const float *q, size_t n, size_t d, const float *x,
                        float *distances) {
    pgvq::kernels().distances_1xn(metric, q, n, d, x, distances);
}

double pgvq_distance_f64(int metric, const float *a, const float *b, size_t d) {
    return pgvq::fvec_distance_f64(metric, a, b, d);
}

void pgvq_distances_1xn_f64(int metric, const float *q, size_t n, size_t d, const float *x,
                            double *distances) {
    pgvq::distances_1xn_f64(metric, q, n, d, x, distances);
}

int pgvq_topk_new(size_t k, pgvq_topk **out, pgvq_status *st) {
    PGVQ_BRIDGE_TRY
    PGVQ_CHECK_ARG(out != nullptr, "top-k heap: no output pointer");
    *out = nullptr;
    *out = new pgvq_topk(k);
    return pgvq::status_ok(st);
    PGVQ_BRIDGE_CATCH(st, "top-k heap")
}

void pgvq_topk_free(pgvq_topk *h) { delete h; }

void pgvq_topk_reset(pgvq_topk *h) { h->heap.reset(); }

size_t pgvq_topk_size(const pgvq_topk *h) { return h->heap.size(); }

size_t pgvq_topk_capacity(const pgvq_topk *h) { return h->heap.capacity(); }

double pgvq_topk_threshold(const pgvq_topk *h) { return h->heap.threshold(); }

void pgvq_topk_push(pgvq_topk *h, double distance, int64_t id) { h->heap.push(distance, id); }

void pgvq_topk_push_many_after(pgvq_topk *h, size_t n, const float *distances, const int64_t *ids,
                               double after_distance, int64_t after_id) {
    h->heap.push_many_after(n, distances, ids, after_distance, after_id);
}

void pgvq_topk_push_many_after_f64(pgvq_topk *h, size_t n, const double *distances,
                                   const int64_t *ids, double after_distance, int64_t after_id) {
    h->heap.push_many_after(n, distances, ids, after_distance, after_id);
}

size_t pgvq_topk_extract_sorted(pgvq_topk *h, double *distances, int64_t *ids) {
    return h->heap.extract_sorted(distances, ids);
}

} // extern "C"
