#!/usr/bin/env bash
# Packs what the GPU checks need into one directory for a GPU machine that has
# the NVIDIA driver and CUDA's cuBLAS but no compilers' dependencies (OpenBLAS,
# GoogleTest) and no PostgreSQL: the GPU module with its tests and benchmark,
# OpenBLAS, pgvq built for Debian's PostgreSQL 15, and that PostgreSQL.
#
#   gpu/device/bundle.sh [DIR]      # default DIR: .devcarry (git-ignored locally)
#   # on the GPU machine:  bash DIR/run.sh tests bench trace e2e
#
# Run on Debian 12 with the packages of scripts/common.sh installed and nvcc
# in /usr/local/cuda.  PGVQ_CUDA_ARCHS (default 90, the H100/H200) picks the
# GPU architecture.  About 30 MB in all.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
DIR=${1:-$REPO/.devcarry}
ARCHS=${PGVQ_CUDA_ARCHS:-90}
PGBIN=/usr/lib/postgresql/15/bin
PGLIB=/usr/lib/postgresql/15/lib
PGSHARE=/usr/share/postgresql/15
BUILD=$REPO/build/gpu-device
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT

cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DPGVQ_WITH_CUDA=ON \
	-DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc -DCMAKE_CUDA_ARCHITECTURES="$ARCHS" >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target pgvq_gpu pgvq_gpu_tests pgvq_gpu_bench pgvq_vecs >/dev/null
make -C "$REPO" -j "$(nproc)" PG_CONFIG=$PGBIN/pg_config >/dev/null
make -C "$REPO" install PG_CONFIG=$PGBIN/pg_config DESTDIR="$STAGE/dest" >/dev/null

rm -rf "$DIR"
mkdir -p "$DIR/bin" "$STAGE/lib"
cp "$BUILD"/gpu/{pgvq_gpu_bench,pgvq_gpu_tests,libpgvq_gpu.so} "$BUILD/pgvq_vecs" "$DIR/bin/"
cp "$REPO"/gpu/device/{run.sh,e2e.sh} "$DIR/"
for l in libopenblas.so.0 libgfortran.so.5 libquadmath.so.0; do
	cp -L "/lib/x86_64-linux-gnu/$l" "$STAGE/lib/"
done
tar cJf "$DIR/lib.tar.xz" -C "$STAGE" lib

# PostgreSQL, relocated: the binaries find share/ and lib/ relative to bin/.
R=$STAGE/pgroot
mkdir -p "$R$PGBIN" "$R$PGLIB" "$R/usr/share/postgresql" "$R/libs" "$R/zoneinfo"
for b in postgres initdb pg_ctl psql; do cp "$PGBIN/$b" "$R$PGBIN/"; done
for l in plpgsql.so dict_snowball.so; do cp "$PGLIB/$l" "$R$PGLIB/"; done
cp "$STAGE/dest$PGLIB/pgvq.so" "$BUILD/gpu/libpgvq_gpu.so" "$R$PGLIB/"
cp -a "$PGSHARE" "$R/usr/share/postgresql/"
rm -f "$R$PGSHARE"/extension/vector*
cp "$STAGE/dest$PGSHARE"/extension/pgvq* "$R$PGSHARE/extension/"
cp -L /usr/share/zoneinfo/UTC "$R/zoneinfo/"
# Every shared library they need but the C and C++ runtimes (and the CUDA and
# OpenBLAS ones, which come separately).
for f in "$R$PGBIN"/* "$R$PGLIB"/*.so; do ldd "$f" | awk '{print $3}' | grep '^/' || true; done |
	sort -u |
	grep -v -E '/(libc|libm|libstdc\+\+|libgcc_s|libpthread|libdl|librt)\.so|cublas|openblas|gfortran|quadmath' |
	xargs -I{} cp -L {} "$R/libs/"
strip "$R$PGBIN"/* 2>/dev/null || true
tar cJf "$DIR/pg.tar.xz" -C "$STAGE" pgroot
du -sh "$DIR"
