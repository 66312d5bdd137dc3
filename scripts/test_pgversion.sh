#!/usr/bin/env bash
# Builds, installs and tests pgvq against another PostgreSQL major version in
# a Debian chroot made by mmdebstrap: 17 in trixie, 18 in forky (this machine's
# own 15 is tested by scripts/test.sh directly).  Inside the chroot: the core
# (CMake) and the extension are built with compiler warnings counted as
# failures, installed, and pg_regress (make installcheck), pgTAP and the TAP
# tests (test/t, PostgreSQL::Test::Cluster of that version) run against
# throwaway clusters as the postgres user.  Prints one line per step and the
# path of the full log.  Run as root.
#
#   scripts/test_pgversion.sh 17
#   PGVQ_CHROOT_CACHE=/var/cache/pgvq (default) keeps the chroot between runs
#     (rebuilt when missing or when its suite, mirror or package list
#     changes); PGVQ_CHROOT_CACHE= makes a fresh one in /tmp and removes it.
#   PGVQ_PGVERSION_LOG=FILE   the full log (default build/test-pgN.log)
#   PGVQ_MIRROR=URI           the Debian mirror (default: the one apt uses)
source "$(dirname "$0")/common.sh"

mode=host
case ${1:-} in --ns | --inside) mode=${1#--}; shift ;; esac
ver=${1:?usage: test_pgversion.sh 17|18}
case $ver in
17) suite=trixie ;;
18) suite=forky ;;
*) echo "test_pgversion.sh: PostgreSQL $ver is not tested in a chroot (17 or 18)" >&2; exit 2 ;;
esac
pkgs="postgresql-$ver postgresql-server-dev-$ver postgresql-$ver-pgtap libtap-parser-sourcehandler-pgtap-perl"
pkgs+=" build-essential cmake libopenblas-dev libipc-run-perl"
IN=/build # the working folder inside the chroot
# a throwaway chroot: no fsync per unpacked file, no documentation
mmopts=(--dpkgopt=force-unsafe-io --dpkgopt='path-exclude=/usr/share/doc/*'
	--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*')

# ---- inside the chroot: build, install, test; results to $IN/summary --------
inside_step() {
	local name=$1; shift
	log "pg$ver: $name"
	local t0=$SECONDS
	if "$@"; then echo "  $name: ok ($((SECONDS - t0)) s)" >>"$IN/summary"
	else echo "  $name: FAILED ($((SECONDS - t0)) s)" >>"$IN/summary"; return 1; fi
}

inside_build() {
	local out=$IN/make.log
	make -C "$REPO" -j "$JOBS" PG_CONFIG="$PG_CONFIG" 2>&1 | tee "$out"
	[ "${PIPESTATUS[0]}" -eq 0 ] || return 1
	if grep -E ':[0-9]+:[0-9]+: warning:' "$out"; then echo "*** compiler warnings (above)"; return 1; fi
	make -C "$REPO" -s install PG_CONFIG="$PG_CONFIG"
}

inside_regress() {
	if ! as_pg make -C "$REPO" -s installcheck PG_CONFIG="$PG_CONFIG"; then
		[ -f "$REPO/regression.diffs" ] && head -n 300 "$REPO/regression.diffs"
		return 1
	fi
}

inside_pgtap() {
	as_pg "$PGBIN/psql" -X -q -d postgres -c "CREATE DATABASE pgvq_pgtap" &&
		as_pg "$PGBIN/psql" -X -q -d pgvq_pgtap -c "CREATE EXTENSION pgtap" &&
		as_pg pg_prove -d pgvq_pgtap "$REPO"/test/pgtap/*.sql
}

inside_tap() {
	local pgxs
	pgxs=$(dirname "$("$PG_CONFIG" --pgxs)")/../..
	(cd "$REPO/test" && as_pg env PATH="$PGBIN:$PATH" PG_REGRESS="$pgxs/src/test/regress/pg_regress" \
		PERL5LIB="$pgxs/src/test/perl" PG_CONFIG="$PG_CONFIG" prove -I "$pgxs/src/test/perl" t/*.pl)
}

if [ "$mode" = inside ]; then
	: >"$IN/summary"
	echo "  $("$PG_CONFIG" --version), $(. /etc/os-release && echo "$PRETTY_NAME"), $(gcc --version | head -n 1)" >>"$IN/summary"
	inside_step build inside_build || exit 1
	chown -R postgres: "$REPO"
	start_cluster "$IN/cluster" 5432
	trap 'stop_cluster "$IN/cluster"' EXIT
	trap 'exit 130' INT TERM
	rc=0
	inside_step regress inside_regress || rc=1
	inside_step pgtap inside_pgtap || rc=1
	inside_step tap inside_tap || rc=1
	exit $rc
fi

# ---- in a private mount namespace: mount, chroot, unmount -------------------
if [ "$mode" = ns ]; then
	root=${PGVQ_CHROOT:?}
	mounted=()
	unmount_all() {
		local i
		for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" || true; done
		mounted=()
	}
	trap unmount_all EXIT
	trap 'exit 130' INT TERM
	mount -t proc proc "$root/proc" && mounted+=("$root/proc")
	mount --bind /dev "$root/dev" && mounted+=("$root/dev")
	mount --make-private "$root/dev"
	mount -t tmpfs -o mode=1777,size=1g shm "$root/dev/shm" && mounted+=("$root/dev/shm")
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 JOBS="$JOBS" \
		PG_CONFIG="/usr/lib/postgresql/$ver/bin/pg_config" \
		bash "$IN/pgvq/scripts/test_pgversion.sh" --inside "$ver"
	exit $?
fi

# ---- on the host: the chroot (cached or fresh), the source copy, the run ----
mirror() {
	local m=${PGVQ_MIRROR:-}
	[ -n "$m" ] || m=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
		tr ' ' '\n' | grep -v security | head -n 1 || true)
	[ -n "$m" ] || m=$(awk '$1 == "deb" && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
	echo "${m:-http://deb.debian.org/debian}"
}

# make_chroot DIR: a fresh chroot of $suite with $pkgs (about a minute or two).
make_chroot() {
	local dir=$1 m
	m=$(mirror)
	command -v mmdebstrap >/dev/null || {
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null
	}
	rm -rf "$dir"
	# forky's Release file can be past its Valid-Until; the option stays in the chroot's apt.conf.d
	mmdebstrap --variant=apt --aptopt='Acquire::Check-Valid-Until "false"' "${mmopts[@]}" \
		--include="${pkgs// /,}" "$suite" "$dir" "deb $m $suite main"
}

# copy_source ROOT: the working tree's files (tracked and untracked, not ignored) into ROOT$IN/pgvq.
copy_source() {
	local dst=$1$IN/pgvq
	rm -rf "$1$IN"
	mkdir -p "$dst"
	if git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$REPO" && git ls-files -co --exclude-standard -z | tar --null --ignore-failed-read -T - -cf - 2>/dev/null) |
			tar -xf - -C "$dst"
	else
		tar -C "$REPO" --exclude=./build --exclude=./.git -cf - . | tar -xf - -C "$dst"
	fi
}

[ "$(id -u)" -eq 0 ] || { echo "test_pgversion.sh must run as root (mmdebstrap, chroot, mounts)" >&2; exit 2; }
logfile=${PGVQ_PGVERSION_LOG:-$REPO/build/test-pg$ver.log}
mkdir -p "$(dirname "$logfile")"
: >"$logfile"
cache=${PGVQ_CHROOT_CACHE-/var/cache/pgvq}
stamp="$suite $(mirror) $pkgs ${mmopts[*]}"
t0=$SECONDS
if [ -n "$cache" ]; then
	root=$cache/chroot-$suite-pg$ver
	mkdir -p "$cache"
	exec 9>"$root.lock"
	flock 9 # one run at a time per chroot (the install goes into it)
	if [ "$(cat "$root.stamp" 2>/dev/null)" != "$stamp" ] || [ ! -x "$root/usr/lib/postgresql/$ver/bin/pg_config" ]; then
		rm -f "$root.stamp"
		echo "pg$ver: making the $suite chroot in $root"
		make_chroot "$root" >>"$logfile" 2>&1 || { echo "pg$ver: mmdebstrap FAILED (log: $logfile)"; exit 1; }
		echo "$stamp" >"$root.stamp"
	else
		echo "pg$ver: reusing the $suite chroot in $root"
	fi
else
	root=$(mktemp -d /tmp/pgvq-chroot-$suite.XXXXXX)
	trap 'rm -rf --one-file-system "$root"' EXIT
	echo "pg$ver: making the $suite chroot in $root"
	make_chroot "$root" >>"$logfile" 2>&1 || { echo "pg$ver: mmdebstrap FAILED (log: $logfile)"; exit 1; }
fi
echo "  chroot: $((SECONDS - t0)) s"
copy_source "$root"
rc=0
PGVQ_CHROOT=$root unshare --mount --propagation private -- bash "$0" --ns "$ver" >>"$logfile" 2>&1 || rc=$?
cat "$root$IN/summary" 2>/dev/null || true
echo "pg$ver: $([ $rc -eq 0 ] && echo passed || echo FAILED) in $((SECONDS - t0)) s; full log: $logfile"
exit $rc
