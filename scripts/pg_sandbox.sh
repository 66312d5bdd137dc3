#!/usr/bin/env bash
# Developer helper: a private, relocated copy of the Debian PostgreSQL 15
# installation under /opt/pgsb/NAME, so several people (or agents) can
# `make install` and run tests at once without overwriting each other's pgvq.so.
#   eval "$(scripts/pg_sandbox.sh NAME)"   # exports PG_CONFIG
set -euo pipefail
name=${1:?usage: pg_sandbox.sh NAME}
S=/opt/pgsb/$name
if [ ! -x "$S/lib/postgresql/15/bin/pg_config" ]; then
	mkdir -p "$S/lib/postgresql" "$S/share/postgresql" "$S/include"
	cp -a /usr/lib/postgresql/15 "$S/lib/postgresql/"
	cp -a /usr/share/postgresql/15 "$S/share/postgresql/"
	cp -a /usr/include/postgresql "$S/include/"
fi
echo "export PG_CONFIG=$S/lib/postgresql/15/bin/pg_config"
