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
  // Per row: the row, its labels, distances, residual, codes, GEMM workspace.
  size_t per_row = d * sizeof(float);
  if (coarse) per_row += sizeof(int32_t) + sizeof(float) + sizeof(float);
  if (coarse && need_residual) per_row += d * sizeof(float);
  if (pq) per_row += m * (sizeof(int32_t) + sizeof(uint8_t) + sizeof(float));
  size_t dot_per_row = 0;
  if (coarse_gemm) dot_per_row = nlist;
  if (pq_gemm) dot_per_row = std::max(dot_per_row, m * ksub);
  per_row += dot_per_row * sizeof(float);

  const size_t budget = ctx.budget();
  if (fixed >= budget || (budget - fixed) / per_row == 0)
    throw GpuError(PGVQ_OOM, "encoding needs more than the " + std::to_string(budget >> 20) +
                                 " MB of GPU memory available");
  size_t b = std::min(n, (budget - fixed) / per_row);
  if (ctx.batch_rows_cap() != 0) b = std::min(b, ctx.batch_rows_cap());
  b = std::min(b, static_cast<size_t>(INT32_MAX) / std::max<size_t>(m, 1));
  b = std::max<size_t>(b, 1);

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
  if (dot_per_row) dot.alloc(b * dot_per_row, "distance matrix");
  DeviceBuffer<float> xnorm(b * std::max<size_t>(m, 1), "row norms");
  DeviceBuffer<int32_t> clabels, plabels;
  DeviceBuffer<float> cdist, resid;
  DeviceBuffer<uint8_t> dcodes;
  if (coarse) {
    clabels.alloc(b, "list labels");
    cdist.alloc(b, "list distances");
    if (need_residual) resid.alloc(b * d, "residuals");
  }
  if (pq) {
    plabels.alloc(b * m, "PQ labels");
    dcodes.alloc(b * m, "PQ codes");
  }
  std::vector<int32_t> hlabels(coarse ? b : 0);
  ctx.mark("encode: allocate");

  for (size_t i0 = 0; i0 < n; i0 += b) {
    ctx.poll();
    const size_t bb = std::min(b, n - i0);
    ctx.upload(xbuf.get(), x + i0 * d, bb * d * sizeof(float), "copying a batch of rows");
    ctx.mark("encode: rows to device");
    const float *r = xbuf.get();
    if (coarse) {
      assign_groups(ctx, xbuf.get(), bb, d, 1, nlist, dcent.get(), dcnorm.get(), dot.get(),
                    xnorm.get(), clabels.get(), dist_out ? cdist.get() : nullptr);
      ctx.mark("encode: coarse assignment");
      if (need_residual) {
        launch_residuals(ctx, xbuf.get(), clabels.get(), dcent.get(), bb, d, resid.get());
        r = resid.get();
        ctx.mark("encode: residuals");
      }
      if (labels_out) {
        ctx.to_host(hlabels.data(), clabels.get(), bb * sizeof(int32_t), "reading list labels");
        for (size_t i = 0; i < bb; ++i) labels_out[i0 + i] = hlabels[i];
      }
      if (dist_out)
        ctx.to_host(dist_out + i0, cdist.get(), bb * sizeof(float), "reading list distances");
      ctx.mark("encode: labels to host");
    }
    if (residual_out) {
      ctx.to_host(residual_out + i0 * d, r, bb * d * sizeof(float), "reading residuals");
      ctx.mark("encode: residuals to host");
    }
    if (pq) {
      assign_groups(ctx, r, bb, d, m, ksub, dcb.get(), dcbnorm.get(), dot.get(), xnorm.get(),
                    plabels.get(), nullptr);
      launch_labels_to_u8(ctx, plabels.get(), bb * m, dcodes.get());
      ctx.mark("encode: PQ assignment");
      ctx.to_host(codes_out + i0 * m, dcodes.get(), bb * m * sizeof(uint8_t), "reading PQ codes");
      ctx.mark("encode: codes to host");
    }
    ctx.sync("encoding batch");
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
