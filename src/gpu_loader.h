/*
 * gpu_loader.h: the optional GPU build module (libpgvq_gpu.so, gpu/), loaded
 * with dlopen() only when a build wants it, and the settings that choose the
 * build device.
 *
 * pgvq.so never links CUDA: everything the GPU module offers is reached
 * through the function table that pgvq_gpu_get_api() returns.
 */
#ifndef PGVQ_GPU_LOADER_H
#define PGVQ_GPU_LOADER_H

#include "pgvq_gpu.h"

/* pgvq.build_device */
typedef enum PgvqBuildDevice
{
	PGVQ_BUILD_DEVICE_AUTO,		/* the GPU when usable and the build is large */
	PGVQ_BUILD_DEVICE_CPU,		/* never try the GPU */
	PGVQ_BUILD_DEVICE_GPU		/* the GPU or an error */
} PgvqBuildDevice;

/*
 * Default of pgvq.gpu_min_build_size: rows x dimensions below which `auto`
 * stays on the CPU (5e7: 65k rows of 768 dimensions, 390k rows of 128).
 * Measured on an H100 host with 16 cores: the first GPU build of a backend
 * pays about 0.4-0.5 s for cuBLAS, the context and the kernels, and overtakes
 * the CPU build at about 4e7-6e7 (README, GPU section).
 */
#define PGVQ_GPU_MIN_BUILD_SIZE_DEFAULT 5e7

extern int	pgvq_build_device;
extern double pgvq_gpu_min_build_size;
extern char *pgvq_gpu_library;

/* Registers the GUCs above; called from _PG_init. */
extern void PgvqGpuInit(void);

/*
 * Loads the GPU module (once per backend and library path) and returns its
 * function table when the library loaded, has the ABI this pgvq was built
 * for and sees at least one CUDA device; otherwise NULL and, if reason is not
 * NULL, why (a string that lives as long as the backend).  Never raises an
 * error.
 */
extern const pgvq_gpu_api *PgvqGpuLoad(const char **reason);

/*
 * The GPU a build of `work` (rows x dimensions) should use, by
 * pgvq.build_device: NULL means the CPU.  Under `gpu` it raises
 * ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE naming the reason when no GPU is
 * usable; under `auto` it returns NULL (with a DEBUG1 message) when the build
 * is smaller than pgvq.gpu_min_build_size or no GPU is usable.
 */
extern const pgvq_gpu_api *PgvqGpuForBuild(double work);

/* With pgvq.build_device = gpu: an error now, before any work, when no GPU is usable. */
extern void PgvqGpuCheckRequired(void);

/*
 * Checks the status of a GPU call made for `what`.  Returns true on PGVQ_OK.
 * PGVQ_CANCELLED, and every failure under pgvq.build_device = gpu, raise the
 * error PgvqCheckStatus raises.  Other failures under `auto` give a NOTICE
 * and return false: the caller redoes the work on the CPU (and stays there).
 */
extern bool PgvqGpuCheckStatus(int rc, const pgvq_status *st, const char *what);

#endif							/* PGVQ_GPU_LOADER_H */
