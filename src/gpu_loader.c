/*
 * gpu_loader.c: loads the optional GPU build module on demand.
 *
 * libpgvq_gpu.so (gpu/, built with CMake -DPGVQ_WITH_CUDA=ON) is installed in
 * $libdir beside pgvq.so.  pgvq.so never links it nor CUDA: the first build
 * that wants a GPU dlopen()s it (RTLD_NOW | RTLD_LOCAL), looks up the one
 * symbol pgvq_gpu_get_api, checks the ABI version and asks for the CUDA
 * devices.  The outcome, success or the reason of the failure, is remembered
 * for the life of the backend (per library path), so a machine without the
 * module or a device pays for one failed attempt only.
 *
 * Signals: the CUDA driver starts helper threads when it initialises and when
 * it creates a context.  A thread inherits the signal mask of its creator, so
 * every signal is blocked while the library is opened, the devices counted
 * and the context of device 0 created: Postgres' handlers then never run on a
 * CUDA thread.  The mask is restored before the build calls the library, so a
 * cancel still reaches the backend and the GPU code sees it through
 * PgvqShouldStop between batches.  Nothing between blocking and restoring can
 * raise an error (no palloc, no ereport).
 *
 * This runs only in a backend that builds an index, never in the postmaster
 * (CUDA does not survive fork()).
 */
#include "postgres.h"

#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include "miscadmin.h"
#include "common/string.h"
#include "utils/guc.h"

#include "pgvq.h"
#include "gpu_loader.h"

int			pgvq_build_device = PGVQ_BUILD_DEVICE_AUTO;
double		pgvq_gpu_min_build_size = PGVQ_GPU_MIN_BUILD_SIZE_DEFAULT;
char	   *pgvq_gpu_library = NULL;

static const struct config_enum_entry build_device_options[] = {
	{"auto", PGVQ_BUILD_DEVICE_AUTO, false},
	{"cpu", PGVQ_BUILD_DEVICE_CPU, false},
	{"gpu", PGVQ_BUILD_DEVICE_GPU, false},
	{NULL, 0, false}
};

/* What the last load attempt found (per backend) */
typedef enum GpuLoadState
{
	GPU_NOT_TRIED,
	GPU_LOADED,
	GPU_FAILED
} GpuLoadState;

static GpuLoadState loadState = GPU_NOT_TRIED;
static char loadSetting[MAXPGPATH];	/* pgvq.gpu_library of that attempt */
static char loadReason[512];
static char deviceName[256];
static const pgvq_gpu_api *loadedApi = NULL;

void
PgvqGpuInit(void)
{
	DefineCustomEnumVariable("pgvq.build_device",
							 "Where ivfpq builds train and encode: auto, cpu or gpu",
							 "auto uses the GPU module when it is installed, sees a CUDA "
							 "device and the build is at least pgvq.gpu_min_build_size; "
							 "gpu fails when no GPU is usable; cpu never tries.",
							 &pgvq_build_device, PGVQ_BUILD_DEVICE_AUTO, build_device_options,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("pgvq.gpu_min_build_size",
							 "Smallest build (rows times dimensions) that pgvq.build_device = auto puts on the GPU",
							 "Smaller builds stay on the CPU, where they finish before the GPU "
							 "would have started.",
							 &pgvq_gpu_min_build_size, PGVQ_GPU_MIN_BUILD_SIZE_DEFAULT, 0, 1e18,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("pgvq.gpu_library",
							   "Path of the pgvq GPU module",
							   "$libdir stands for the package library directory; \".so\" "
							   "is added when the name has no such file.",
							   &pgvq_gpu_library, "$libdir/libpgvq_gpu",
							   PGC_SUSET, 0, NULL, NULL, NULL);
}

static bool
FileExists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
}

/*
 * The file for a pgvq.gpu_library value: "$libdir" is replaced by the package
 * library directory, a bare name is looked up there, and DLSUFFIX is added
 * when the name itself is no file (the rules of dynamic_library_path
 * expansion, without the search path).  Palloc'd; may name no file.
 */
static char *
ExpandLibraryName(const char *name)
{
	char	   *full;
	char	   *withSuffix;

	if (strncmp(name, "$libdir", 7) == 0 && (name[7] == '/' || name[7] == '\0'))
		full = psprintf("%s%s", pkglib_path, name + 7);
	else if (first_dir_separator(name) == NULL)
		full = psprintf("%s/%s", pkglib_path, name);
	else
		full = pstrdup(name);

	if (FileExists(full))
		return full;
	withSuffix = psprintf("%s%s", full, DLSUFFIX);
	if (FileExists(withSuffix) || !pg_str_endswith(full, DLSUFFIX))
		return withSuffix;			/* or the name to report as missing */
	return full;
}

/*
 * Opens the library at path and sets loadedApi or loadReason.  Runs with every
 * signal blocked; must not palloc or ereport.
 */
static void
LoadBlocked(const char *path)
{
	void	   *handle;
	pgvq_gpu_get_api_fn getApi;
	const pgvq_gpu_api *api;
	pgvq_status st;
	int			count = 0;
	int			rc;
	size_t		total = 0;
	size_t		freeBytes = 0;

	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL)
	{
		const char *err = dlerror();

		snprintf(loadReason, sizeof(loadReason), "could not load library \"%s\": %s",
				 path, err ? err : "unknown error");
		return;
	}
	/* The handle is never closed: CUDA libraries do not support unloading */
	getApi = (pgvq_gpu_get_api_fn) dlsym(handle, PGVQ_GPU_GET_API_SYMBOL);
	if (getApi == NULL)
	{
		snprintf(loadReason, sizeof(loadReason), "library \"%s\" has no function %s",
				 path, PGVQ_GPU_GET_API_SYMBOL);
		return;
	}
	api = getApi(PGVQ_GPU_ABI_VERSION);
	if (api == NULL || api->abi_version != PGVQ_GPU_ABI_VERSION ||
		api->struct_size < sizeof(pgvq_gpu_api) ||
		api->version == NULL || api->options_default == NULL ||
		api->device_count == NULL || api->device_info == NULL ||
		api->kmeans_train == NULL || api->pq_train == NULL || api->ivfpq_encode == NULL)
	{
		snprintf(loadReason, sizeof(loadReason),
				 "library \"%s\" does not provide GPU ABI version %d (it is from another pgvq release)",
				 path, PGVQ_GPU_ABI_VERSION);
		return;
	}

	memset(&st, 0, sizeof(st));
	rc = api->device_count(&count, &st);
	if (rc != PGVQ_OK || count <= 0)
	{
		snprintf(loadReason, sizeof(loadReason), "%s (%s)",
				 st.message[0] ? st.message : "no usable CUDA device", api->version());
		return;
	}

	/* Creates the context of device 0 now, while signals are blocked */
	memset(&st, 0, sizeof(st));
	rc = api->device_info(0, deviceName, sizeof(deviceName), &total, &freeBytes, &st);
	if (rc != PGVQ_OK)
	{
		snprintf(loadReason, sizeof(loadReason), "CUDA device 0 is not usable: %s (%s)",
				 st.message[0] ? st.message : "unknown error", api->version());
		return;
	}
	loadedApi = api;
}

const pgvq_gpu_api *
PgvqGpuLoad(const char **reason)
{
	const char *setting = pgvq_gpu_library ? pgvq_gpu_library : "$libdir/libpgvq_gpu";

	if (loadState != GPU_NOT_TRIED && strcmp(loadSetting, setting) != 0)
		loadState = GPU_NOT_TRIED;	/* the setting changed: try the new library */

	if (loadState == GPU_NOT_TRIED)
	{
		char	   *path = ExpandLibraryName(setting);

		loadedApi = NULL;
		loadReason[0] = '\0';
		deviceName[0] = '\0';
		strlcpy(loadSetting, setting, sizeof(loadSetting));

		if (!FileExists(path))
			snprintf(loadReason, sizeof(loadReason),
					 "the GPU module \"%s\" is not installed", path);
		else
		{
			sigset_t	all;
			sigset_t	old;

			sigfillset(&all);
			pthread_sigmask(SIG_SETMASK, &all, &old);
			LoadBlocked(path);
			pthread_sigmask(SIG_SETMASK, &old, NULL);
		}
		loadState = loadedApi != NULL ? GPU_LOADED : GPU_FAILED;
		pfree(path);
	}

	if (reason != NULL)
		*reason = loadState == GPU_LOADED ? NULL : loadReason;
	return loadState == GPU_LOADED ? loadedApi : NULL;
}

/* The loaded module, or an error saying why there is none. */
static const pgvq_gpu_api *
GpuRequired(void)
{
	const char *reason;
	const pgvq_gpu_api *api = PgvqGpuLoad(&reason);

	if (api == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pgvq.build_device is \"gpu\" but no GPU is usable"),
				 errdetail("%s", reason),
				 errhint("Install the pgvq GPU module on a machine with a CUDA device, "
						 "or set pgvq.build_device to \"auto\" or \"cpu\".")));
	return api;
}

void
PgvqGpuCheckRequired(void)
{
	if (pgvq_build_device == PGVQ_BUILD_DEVICE_GPU)
		(void) GpuRequired();
}

const pgvq_gpu_api *
PgvqGpuForBuild(double work)
{
	const pgvq_gpu_api *api;
	const char *reason;

	switch (pgvq_build_device)
	{
		case PGVQ_BUILD_DEVICE_CPU:
			return NULL;

		case PGVQ_BUILD_DEVICE_GPU:
			api = GpuRequired();
			elog(DEBUG1, "pgvq: building on GPU \"%s\" (%s)", deviceName, api->version());
			return api;

		default:
			if (work < pgvq_gpu_min_build_size)
			{
				elog(DEBUG1, "pgvq: the build (%.0f rows x dimensions) stays on the CPU: "
					 "pgvq.gpu_min_build_size is %.0f", work, pgvq_gpu_min_build_size);
				return NULL;
			}
			api = PgvqGpuLoad(&reason);
			if (api == NULL)
				elog(DEBUG1, "pgvq: the build stays on the CPU: %s", reason);
			else
				elog(DEBUG1, "pgvq: building on GPU \"%s\" (%s)", deviceName, api->version());
			return api;
	}
}

bool
PgvqGpuCheckStatus(int rc, const pgvq_status *st, const char *what)
{
	if (rc == PGVQ_OK)
		return true;
	if (rc == PGVQ_CANCELLED || pgvq_build_device == PGVQ_BUILD_DEVICE_GPU)
	{
		PgvqCheckStatus(rc, st, psprintf("%s on the GPU", what));
		/* PgvqCheckStatus returns only for PGVQ_OK */
		elog(ERROR, "unexpected GPU status %d", rc);
	}
	ereport(NOTICE,
			(errmsg("%s on the GPU failed, continuing on the CPU", what),
			 errdetail("%s", st != NULL && st->message[0] ? st->message : "unknown error")));
	return false;
}
