#!/bin/bash
# Runs on the GPU machine, from a directory made by gpu/device/bundle.sh:
#   bash run.sh tests bench trace e2e [large]
# tests: the GPU GoogleTests; bench: pgvq_gpu_bench (CPU and GPU side by side);
# trace: the GPU side alone with PGVQ_GPU_TRACE=1; e2e: e2e.sh (PostgreSQL);
# large: e2e.sh with LARGE (default 1000000) rows of 768 dimensions (MWM sets
# the builds' maintenance_work_mem, default 16GB).
# Logs go to $OUT when it is set, else to ./out.
set -u
cd "$(dirname "$0")"
OUT=${OUT:-$PWD/out}
mkdir -p "$OUT" /tmp/pgvq-device && tar xJf lib.tar.xz -C /tmp/pgvq-device
export LD_LIBRARY_PATH=/tmp/pgvq-device/lib:$PWD/bin:/usr/local/cuda/lib64:/usr/local/cuda/lib:${LD_LIBRARY_PATH:-}
if ldd bin/pgvq_gpu_bench | grep -q "libcublas.*not found"; then
	c=$(find / -name 'libcublas.so.1[0-9]*' -not -path '/proc/*' 2>/dev/null | head -1)
	echo "cuBLAS found at $c"
	export LD_LIBRARY_PATH=$(dirname "$c"):$LD_LIBRARY_PATH
fi
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm --format=csv
lscpu | grep -E "Model name|^CPU\(s\)|Thread|Socket|L3"
ldd bin/pgvq_gpu_bench bin/libpgvq_gpu.so | grep -E "not found|cublas|openblas"
rc=0
for step in "$@"; do
	case $step in
	tests) timeout 300 bin/pgvq_gpu_tests 2>&1 | tee "$OUT/tests.log" | grep -vE '^\[ +(RUN|OK) ' | tail -30
		[ "${PIPESTATUS[0]}" = 0 ] || rc=1 ;;
	bench) timeout 400 bin/pgvq_gpu_bench 2>&1 | tee "$OUT/bench.log"
		[ "${PIPESTATUS[0]}" = 0 ] || rc=1 ;;
	trace) PGVQ_GPU_TRACE=1 timeout 300 bin/pgvq_gpu_bench --no-cpu --queries 0 2>&1 | tee "$OUT/trace.log" ;;
	e2e) OUT=$OUT timeout 400 bash e2e.sh 2>&1 | tee "$OUT/e2e.log"
		[ "${PIPESTATUS[0]}" = 0 ] || rc=1 ;;
	large) OUT=$OUT LARGE=${LARGE:-1000000} timeout 540 bash e2e.sh 2>&1 | tee "$OUT/large.log"
		[ "${PIPESTATUS[0]}" = 0 ] || rc=1 ;;
	*) echo "unknown step $step"; rc=2 ;;
	esac
done
exit $rc
