// encode.cu: one streamed pass over the rows: nearest coarse centroid
// (SGEMM + arg-min), residual, PQ code per sub-space (fused kernel, or
// batched SGEMM + arg-min for long sub-vectors).
#include <algorithm>
#include <vector>

#include "gpu_internal.cuh"

namespace pgvq_gpu {

void encode_rows(Context &ctx, size_t n, size_t d, const float *x, size_t nlist,
                 const float *centroids, size_t m, size_t ksub, const float *codebooks,
                 int64_t *labels_out, float *dist_out, uint8_t *codes_out, float *residual_out) {
  const bool coarse = nlist > 0;
  const bool pq = codes_out != nullptr;
  const bool need_residual = pq || residual_out != nullptr;
  const size_t dsub = pq ? d / m : d;
  const bool coarse_gemm = coarse && assign_uses_gemm(d);
  const bool pq_gemm = pq && assign_uses_gemm(dsub);

  // Fixed: centroids, codebooks and their norms.
  size_t fixed = 4096;
  if (coarse) fixed += nlist * (d + 1) * sizeof(float);
  if (pq) fixed += m * ksub * (dsub + 1) * sizeof(float);
  // Per row of a batch: the row, its list label and distance, its codes.
  size_t per_row = d * sizeof(float);
  if (coarse) per_row += sizeof(int32_t) + sizeof(float);
  if (pq) per_row += m * sizeof(uint8_t);
  // Per row of a sub-batch (the unit of the kernels, so that the upload of
  // one sub-batch overlaps the work on the one before): residual, GEMM
  // workspace, row norms, PQ labels.
  size_t per_sub = std::max<size_t>(m, 1) * sizeof(float);
  if (coarse && need_residual) per_sub += d * sizeof(float);
  if (pq) per_sub += m * sizeof(int32_t);
  size_t dot_per_row = 0;
  if (coarse_gemm) dot_per_row = nlist;
  if (pq_gemm) dot_per_row = std::max(dot_per_row, m * ksub);
  per_sub += dot_per_row * sizeof(float);

  const size_t budget = ctx.budget();
  constexpr size_t kSubBatch = 65536;
  size_t sub = std::min(n, kSubBatch);
  if (ctx.batch_rows_cap() != 0) sub = std::min(sub, ctx.batch_rows_cap());
  while (sub > 1 && fixed + sub * (per_row + per_sub) > budget) sub /= 2;
  if (fixed + sub * (per_row + per_sub) > budget)
    throw GpuError(PGVQ_OOM, "encoding needs more than the " + std::to_string(budget >> 20) +
                                 " MB of GPU memory available");
  size_t b = std::min(n, (budget - fixed - sub * per_sub) / per_row);
  if (ctx.batch_rows_cap() != 0) b = std::min(b, ctx.batch_rows_cap());
  b = std::min(b, static_cast<size_t>(INT32_MAX) / std::max<size_t>(m, 1));
  b = std::max(b, sub);

  DeviceBuffer<float> dcent, dcnorm, dcb, dcbnorm;
  if (coarse) {
    dcent.alloc(nlist * d, "coarse centroids");
    ctx.to_device(dcent.get(), centroids, nlist * d * sizeof(float), "copying centroids");
    if (coarse_gemm) {
      dcnorm.alloc(nlist, "centroid norms");
      launch_group_norms(ctx, dcent.get(), nlist, d, 1, d, dcnorm.get());
    }
  }
  if (pq) {
    dcb.alloc(m * ksub * dsub, "PQ codebooks");
    ctx.to_device(dcb.get(), codebooks, m * ksub * dsub * sizeof(float), "copying codebooks");
    if (pq_gemm) {
      dcbnorm.alloc(m * ksub, "codebook norms");
      launch_group_norms(ctx, dcb.get(), m * ksub, dsub, 1, dsub, dcbnorm.get());
    }
  }
  ctx.mark("encode: upload model");
  DeviceBuffer<float> xbuf(b * d, "a batch of rows");
  DeviceBuffer<float> dot;
  if (dot_per_row) dot.alloc(sub * dot_per_row, "distance matrix");
  DeviceBuffer<float> xnorm(sub * std::max<size_t>(m, 1), "row norms");
  DeviceBuffer<int32_t> clabels, plabels;
  DeviceBuffer<float> cdist, resid;
  DeviceBuffer<uint8_t> dcodes;
  if (coarse) {
    clabels.alloc(b, "list labels");
    if (dist_out) cdist.alloc(b, "list distances");
    if (need_residual) resid.alloc(sub * d, "residuals");
  }
  if (pq) {
    plabels.alloc(sub * m, "PQ labels");
    dcodes.alloc(b * m, "PQ codes");
  }
  std::vector<int32_t> hlabels(coarse ? b : 0);
  ctx.mark("encode: allocate");

  for (size_t i0 = 0; i0 < n; i0 += b) {
    ctx.poll();
    const size_t bb = std::min(b, n - i0);
    for (size_t s0 = 0; s0 < bb; s0 += sub) {
      if (s0 > 0) ctx.poll();
      const size_t ss = std::min(sub, bb - s0);
      // The first sub-batch waits for the work queued before (the previous
      // batch read xbuf); later ones go to parts of xbuf nothing queued reads.
      float *xs = xbuf.get() + s0 * d;
      ctx.upload(xs, x + (i0 + s0) * d, ss * d * sizeof(float), "copying a batch of rows",
                 s0 == 0);
      const float *r = xs;
      if (coarse) {
        assign_groups(ctx, xs, ss, d, 1, nlist, dcent.get(), dcnorm.get(), dot.get(),
                      xnorm.get(), clabels.get() + s0, dist_out ? cdist.get() + s0 : nullptr);
        if (need_residual) {
          launch_residuals(ctx, xs, clabels.get() + s0, dcent.get(), ss, d, resid.get());
          r = resid.get();
        }
      }
      if (residual_out)
        ctx.to_host(residual_out + (i0 + s0) * d, r, ss * d * sizeof(float), "reading residuals");
      if (pq) {
        assign_groups(ctx, r, ss, d, m, ksub, dcb.get(), dcbnorm.get(), dot.get(), xnorm.get(),
                      plabels.get(), nullptr);
        launch_labels_to_u8(ctx, plabels.get(), ss * m, dcodes.get() + s0 * m);
      }
    }
    ctx.mark("encode: rows in, assign, encode (overlapped)");
    if (coarse && labels_out) {
      ctx.to_host(hlabels.data(), clabels.get(), bb * sizeof(int32_t), "reading list labels");
      for (size_t i = 0; i < bb; ++i) labels_out[i0 + i] = hlabels[i];
    }
    if (coarse && dist_out)
      ctx.to_host(dist_out + i0, cdist.get(), bb * sizeof(float), "reading list distances");
    if (pq)
      ctx.to_host(codes_out + i0 * m, dcodes.get(), bb * m * sizeof(uint8_t), "reading PQ codes");
    ctx.sync("encoding batch");
    ctx.mark("encode: results to host");
  }
}

bool device_residuals(Context &ctx, size_t n, size_t d, const float *x, size_t nlist,
                      const float *centroids, DeviceBuffer<float> &out) {
  const bool gemm = assign_uses_gemm(d);
  const size_t rows = n * d * sizeof(float);
  const size_t fixed = nlist * (d + 1) * sizeof(float) + 4096;
  const size_t per_row = sizeof(int32_t) + (gemm ? nlist * sizeof(float) : 0);
  const size_t budget = ctx.budget();
  // Leave at least half of the budget to the training that follows.
  if (rows + fixed >= budget / 2) return false;
  size_t b = std::min(n, (budget / 2 - rows - fixed) / per_row);
  if (ctx.batch_rows_cap() != 0) b = std::min(b, ctx.batch_rows_cap());
  if (b < std::min<size_t>(n, 1024)) return false;

  out.alloc(n * d, "the training residuals");
  DeviceBuffer<float> dcent(nlist * d, "coarse centroids"), dcnorm;
  ctx.to_device(dcent.get(), centroids, nlist * d * sizeof(float), "copying centroids");
  if (gemm) {
    dcnorm.alloc(nlist, "centroid norms");
    launch_group_norms(ctx, dcent.get(), nlist, d, 1, d, dcnorm.get());
  }
  DeviceBuffer<float> dot;
  if (gemm) dot.alloc(b * nlist, "distance matrix");
  DeviceBuffer<int32_t> labels(b, "list labels");
  // Copy in slices so cancellation is polled during a long upload.
  const size_t slice = std::max<size_t>(1, (static_cast<size_t>(256) << 20) / (d * sizeof(float)));
  for (size_t i0 = 0; i0 < n; i0 += slice) {
    ctx.poll();
    const size_t cnt = std::min(slice, n - i0);
    ctx.upload(out.get() + i0 * d, x + i0 * d, cnt * d * sizeof(float), "copying the rows");
  }
  ctx.mark("residuals: rows to device");
  for (size_t i0 = 0; i0 < n; i0 += b) {
    ctx.poll();
    const size_t bb = std::min(b, n - i0);
    float *xb = out.get() + i0 * d;
    assign_groups(ctx, xb, bb, d, 1, nlist, dcent.get(), dcnorm.get(), dot.get(), nullptr,
                  labels.get(), nullptr);
    launch_residuals(ctx, xb, labels.get(), dcent.get(), bb, d, xb);
  }
  ctx.sync("computing residuals");
  ctx.mark("residuals: assign, subtract");
  return true;
}

}  // namespace pgvq_gpu
