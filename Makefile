# pgvq: PGXS build of the extension.  The C++ core (src/core) is built by CMake
# into a static -fPIC library and linked into pgvq.so.
#
#   make && make install            (honours PG_CONFIG)
#   make installcheck               (pg_regress against a running server)

EXTENSION = pgvq
EXTVERSION = 0.1.0
MODULE_big = pgvq

# Thin C glue: every src/*.c file.
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

# The install script is assembled from sql/install/*.sql in file-name order.
DATA_built = $(EXTENSION)--$(EXTVERSION).sql

# Regression tests: every sql/*.sql (the install fragments live in sql/install/).
REGRESS = $(sort $(basename $(notdir $(wildcard sql/*.sql))))
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)

PG_CONFIG ?= pg_config
CMAKE ?= cmake
CORE_BUILD_DIR ?= build/core
CORE_BUILD_TYPE ?= Release
CORE_LIB = $(CORE_BUILD_DIR)/libpgvq_core.a

# We never need clang bitcode for JIT inlining of our functions.
override with_llvm = no

# Keep our symbols to ourselves: another extension loaded into the same backend
# (pgvector, say) exports the same function names.  Only the fmgr entry points,
# the magic block and _PG_init are visible, and internal references bind locally.
PG_CPPFLAGS += -Isrc -Isrc/core -Igpu -fvisibility=hidden \
	'-DPGDLLEXPORT=__attribute__((visibility("default")))'
PG_CFLAGS += -std=gnu99
SHLIB_LINK += $(CORE_LIB) -lopenblas -lstdc++ -lpthread -lm -Wl,-Bsymbolic

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(DATA_built): $(sort $(wildcard sql/install/*.sql))
	cat $^ > $@

# The core is always handed to CMake, which rebuilds only what changed.
.PHONY: core
core:
	$(CMAKE) -S . -B $(CORE_BUILD_DIR) -DCMAKE_BUILD_TYPE=$(CORE_BUILD_TYPE) \
		-DPGVQ_BUILD_TESTS=OFF -DPGVQ_BUILD_TOOLS=OFF -DPGVQ_WITH_CUDA=OFF >/dev/null
	$(CMAKE) --build $(CORE_BUILD_DIR) --target pgvq_core -j 2

# an (empty) recipe makes make look at the archive again once CMake ran, so
# pgvq.so relinks when only the core changed
$(CORE_LIB): core ;

$(shlib): $(CORE_LIB)

$(OBJS): $(wildcard src/*.h) $(wildcard src/core/pgvq_core*.h) gpu/pgvq_gpu.h

clean: clean-core
.PHONY: clean-core
clean-core:
	rm -rf $(CORE_BUILD_DIR)
