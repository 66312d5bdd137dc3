# Shared helpers for scripts/*.sh (sourced, not run).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PGBIN=$("$PG_CONFIG" --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
PGVQ_DATA=${PGVQ_DATA:-$(cd "$REPO/.." && pwd)/shared/data}
JOBS=${JOBS:-2}

log() { printf '\n=== %s\n' "$*"; }

# Debian packages every script needs.  Installs only what is missing.
install_deps() {
	local pkgs=(build-essential cmake postgresql-15 postgresql-server-dev-15
		libopenblas-dev postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
		libgtest-dev libipc-run-perl clang libclang-rt-14-dev mmdebstrap)
	local missing=()
	for p in "${pkgs[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing: ${missing[*]}"
		local sudo=""
		[ "$(id -u)" -eq 0 ] || sudo=sudo
		$sudo apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
}

# Builds the core, the tools and the extension, and installs the extension.
build_and_install() {
	log "building core, tools and unit tests (cmake)"
	cmake -S "$REPO" -B "$REPO/build/dev" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$REPO/build/dev" -j "$JOBS"
	log "building and installing the extension (PGXS)"
	make -C "$REPO" -s -j "$JOBS" PG_CONFIG="$PG_CONFIG"
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo make -C "$REPO" -s install PG_CONFIG="$PG_CONFIG"
	build_and_install_gpu
}

# The nvcc to build the GPU module with ($CUDACXX, /usr/local/cuda, or the PATH); empty if none.
gpu_nvcc() {
	local n=${CUDACXX:-/usr/local/cuda/bin/nvcc}
	[ -x "$n" ] || n=$(command -v nvcc 2>/dev/null || true)
	echo "$n"
}

# configure_gpu NVCC: the CMake build of gpu/ in build/gpu (CUDA on), installing
# libpgvq_gpu.so into this PG_CONFIG's pkglibdir.
configure_gpu() {
	CUDACXX=$1 cmake -S "$REPO" -B "$REPO/build/gpu" -DCMAKE_BUILD_TYPE=Release \
		-DPGVQ_WITH_CUDA=ON -DPGVQ_BUILD_TOOLS=OFF \
		-DPGVQ_GPU_INSTALL_DIR="$("$PG_CONFIG" --pkglibdir)" >/dev/null
}

# The optional GPU module: built and installed beside pgvq.so when nvcc exists.
# Without nvcc nothing happens (pgvq builds on the CPU); a failed CUDA build is
# reported but does not stop the rest (the gpu suite then fails).
build_and_install_gpu() {
	local nvcc sudo=""
	nvcc=$(gpu_nvcc)
	if [ -z "$nvcc" ] || [ ! -f "$REPO/gpu/CMakeLists.txt" ]; then
		log "no nvcc: the GPU module is not built (builds run on the CPU)"
		return 0
	fi
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	log "building and installing the GPU module (CUDA, $nvcc)"
	if ! { configure_gpu "$nvcc" &&
		cmake --build "$REPO/build/gpu" -j "$JOBS" --target pgvq_gpu &&
		$sudo cmake --install "$REPO/build/gpu" --component pgvq_gpu >/dev/null; }; then
		echo "*** the GPU module did not build or install; pgvq itself is installed"
	fi
}

# Runs a command as the postgres OS user (Postgres refuses to run as root).
as_pg() {
	if [ "$(id -un)" = postgres ]; then "$@"; elif [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

# start_cluster DIR PORT: a throwaway cluster listening only on a Unix socket in DIR
# (shared_buffers: PGVQ_SHARED_BUFFERS, 512MB by default).
start_cluster() {
	local dir=$1 port=$2
	rm -rf "$dir"
	mkdir -p "$dir"
	chown postgres: "$dir" 2>/dev/null || true
	as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C >/dev/null
	cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir'
port = $port
fsync = off
shared_buffers = ${PGVQ_SHARED_BUFFERS:-512MB}
maintenance_work_mem = 1GB
max_wal_size = 4GB
max_parallel_maintenance_workers = 2
CONF
	as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null
	export PGHOST=$dir PGPORT=$port PGUSER=postgres
}

stop_cluster() {
	local dir=$1
	[ -d "$dir/data" ] && as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}
