# SPDX-License-Identifier: MIT
#
# isola's build: one non-recursive GNU Makefile. Everything is built under build/.
#
#   make            build build/isola (and the internal library its tests link)
#   make demo       install what is missing, build, run the example suite (README command 1)
#   make check      install what is missing, build, run the whole test suite under isola (2)
#   make bench      run the benchmarks against the peer tools, write bench/RESULTS.md
#   make install    PREFIX=/usr/local DESTDIR=
#
# WERROR=1 (set by CI) turns every warning into an error.

VERSION    := 0.1.0
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
CC         ?= cc
Q          ?= @
B          := build

WARNINGS := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wformat=2 \
            -Wno-format-nonliteral -Wpointer-arith -Wvla -Wundef \
            -Werror=implicit-function-declaration -Werror=shadow -Werror=missing-prototypes \
            -Werror=format=2 -Werror=incompatible-pointer-types -Werror=int-conversion
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif

# What the build needs goes in ISOLA_CPPFLAGS and ISOLA_CFLAGS; CPPFLAGS and CFLAGS are the
# user's and come last, so that `make CFLAGS='-O0 -fsanitize=address'` adds to the build's flags
# (and overrides its -O2 -g) instead of replacing -fPIC, the warnings and the include paths.
ISOLA_CPPFLAGS := -Iinclude -Isrc -D_GNU_SOURCE -DISOLA_BUILDING -DISOLA_VERSION='"$(VERSION)"'
ISOLA_CFLAGS   := -std=gnu11 $(WARNINGS) -fvisibility=hidden -fPIC -MMD -MP
CFLAGS         ?= -O2 -g
LDLIBS_CORE := -linih

# Reporters: one file per format (src/report/). report.c, the callback table the scheduler calls,
# is core; the formats go into the isola command and the unit tests only, so that libisola does
# not depend on them. The formats that need a heavy library are plugins (report-plugin.h), opened
# only when that report is asked for: JSON and the trace (jansson) in report-json.so, JUnit
# (libxml2, which pulls in ICU and the C++ runtime) in report-junit.so. A plain run loads neither.
REPORT_SRCS := src/report/report-setup.c src/report/report-human.c src/report/lineprinter.c \
	src/report/report-text.c src/report/report-out.c src/report/report-record.c \
	src/report/report-tap.c src/report/report-html.c src/report/report-plugin.c
PLUGIN_JSON_SRCS  := src/report/plugin-json.c src/report/report-json.c src/report/report-trace.c \
	src/report/report-read.c src/testlist/import-json.c
PLUGIN_JUNIT_SRCS := src/report/plugin-junit.c src/report/report-junit.c src/report/junit-read.c
ISOLA_CPPFLAGS += $(shell pkg-config --cflags libxml-2.0 jansson 2>/dev/null)
LDLIBS_JSON  := $(shell pkg-config --libs jansson 2>/dev/null)
LDLIBS_JUNIT := $(shell pkg-config --libs libxml-2.0 2>/dev/null)
LDLIBS_DL    := -ldl

# Plugins sit in lib/isola/ beside bin/: in the build tree (build/bin/isola, build/isola being a
# link to it) as where make install puts them. ISOLA_PLUGINDIR is where isola looks when the
# binary was moved away from its lib/.
PLUGINDIR   ?= $(PREFIX)/lib/isola
PLUGINS     := $(B)/lib/isola/report-json.so $(B)/lib/isola/report-junit.so
ISOLA_CPPFLAGS += -DISOLA_PLUGINDIR='"$(PLUGINDIR)"'

# The pipeline, stage by stage (see README "Source layout").
CORE_SRCS := \
	src/util/util.c src/util/fdpass.c \
	src/config/settings.c src/config/config.c \
	src/testlist/testlist.c src/testlist/partition.c src/testlist/timings.c src/testlist/source.c \
	src/sched/scheduler.c src/sched/order.c src/sched/tally.c src/sched/fixture.c \
	src/sched/workers.c src/sched/jobserver.c src/sched/evidence.c \
	src/protocol/protocol.c src/protocol/tap.c \
	src/sandbox/rmtree.c src/sandbox/sandbox.c \
	src/stage/stage.c src/stage/stage-copy.c src/stage/stage-overlay.c src/stage/stage-bind.c src/stage/stage-remove.c src/stage/stage-tree.c src/stage/stage-writes.c \
	src/spawn/environ.c src/spawn/contract.c src/spawn/spawn.c src/spawn/spawn-ns.c src/spawn/mountns.c src/spawn/isolate.c src/spawn/proctree.c src/spawn/keeper.c src/spawn/container.c src/spawn/fence.c \
	src/capture/capture.c \
	src/lib/lib-sandbox.c src/lib/lib-proc.c \
	src/report/report.c
CLI_SRCS := src/cli/main.c src/cli/options.c src/cli/usage.c src/cli/cmd-run.c src/cli/cmd-clean.c src/cli/cmd-exec.c \
	src/cli/cmd-merge.c src/cli/cmd-timings.c src/cli/cmd-repro.c

CORE_OBJS := $(CORE_SRCS:%.c=$(B)/%.o)
CLI_OBJS  := $(CLI_SRCS:%.c=$(B)/%.o)
CORE_LIB  := $(B)/libisola-core.a
REPORT_OBJS := $(REPORT_SRCS:%.c=$(B)/%.o)
REPORT_LIB  := $(B)/libisola-report.a
PLUGIN_JSON_OBJS  := $(PLUGIN_JSON_SRCS:%.c=$(B)/%.o)
PLUGIN_JUNIT_OBJS := $(PLUGIN_JUNIT_SRCS:%.c=$(B)/%.o)

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:%.c=$(B)/%)
HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPER_BINS := $(HELPER_SRCS:%.c=$(B)/%)

# libisola: the public API (include/isola/isola.h) over the same core as the command.
SOVERSION  := 0
LIB_SO     := $(B)/libisola.so.$(VERSION)
LIB_SONAME := libisola.so.$(SOVERSION)
LIB_A      := $(B)/libisola.a
LIB_PC     := $(B)/isola.pc
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
LIB_TEST_SRCS := $(wildcard tests/lib/test_*.c)
LIB_TEST_BINS := $(LIB_TEST_SRCS:%.c=$(B)/%)

.PHONY: all lib demo check check-sanitize test unit bench soak fuzz fuzzers install deps clean format
all: $(B)/isola $(PLUGINS) lib $(UNIT_BINS) $(HELPER_BINS) $(LIB_TEST_BINS)
lib: $(LIB_SO) $(LIB_A) $(LIB_PC)

# Only ISOLA_API symbols are exported: everything is built -fvisibility=hidden.
$(LIB_SO): $(CORE_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(LIB_SONAME) -Wl,--no-undefined -o $@ $(CORE_OBJS) \
		$(LDLIBS_CORE) -lpthread
	ln -sf $(notdir $@) $(B)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(B)/libisola.so

# The static library is one relocatable object whose hidden symbols are made local, so that
# isola's internal names (xmalloc, strv_push...) can never clash with a program's own.
$(LIB_A): $(CORE_OBJS)
	$(LD) -r -o $(B)/libisola-all.o $(CORE_OBJS)
	objcopy --localize-hidden $(B)/libisola-all.o
	@rm -f $@
	$(AR) rcs $@ $(B)/libisola-all.o

# For building against the tree itself: PKG_CONFIG_PATH=build.
$(LIB_PC): isola.pc.in Makefile
	sed -e 's|@PREFIX@|$(abspath .)|' -e 's|@LIBDIR@|$(abspath $(B))|' \
		-e 's|@INCLUDEDIR@|$(abspath include)|' -e 's|@VERSION@|$(VERSION)|' $< >$@

$(B)/tests/lib/%: tests/lib/%.c $(LIB_SO)
	@mkdir -p $(dir $@)
	$(CC) -Iinclude -std=gnu11 $(WARNINGS) $(CFLAGS) $(LDFLAGS) -o $@ $< -L$(B) -lisola -lcmocka -Wl,-rpath,$(abspath $(B))

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ISOLA_CPPFLAGS) $(CPPFLAGS) $(ISOLA_CFLAGS) $(CFLAGS) -c -o $@ $<

$(CORE_LIB): $(CORE_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(REPORT_LIB): $(REPORT_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(B)/bin/isola: $(CLI_OBJS) $(REPORT_LIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJS) $(REPORT_LIB) $(CORE_LIB) $(LDLIBS_CORE) -lm $(LDLIBS_DL)

# build/isola is what the scripts, the tests and the README run; it is a link so that the binary
# finds its plugins in ../lib/isola/ (it resolves /proc/self/exe). Its plugins come with it.
$(B)/isola: $(B)/bin/isola $(PLUGINS)
	ln -sfn bin/isola $@

# A plugin is linked with what it uses of the core (its own hidden copy) and its library; it
# exports isola_report_plugin only (src/report/plugin.map).
$(B)/lib/isola/report-json.so: $(PLUGIN_JSON_OBJS) $(REPORT_LIB) $(CORE_LIB) src/report/plugin.map
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,--no-undefined -Wl,--version-script=src/report/plugin.map \
		-o $@ $(PLUGIN_JSON_OBJS) $(REPORT_LIB) $(CORE_LIB) $(LDLIBS_CORE) -lm $(LDLIBS_JSON) -lpthread
$(B)/lib/isola/report-junit.so: $(PLUGIN_JUNIT_OBJS) $(REPORT_LIB) $(CORE_LIB) src/report/plugin.map
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,--no-undefined -Wl,--version-script=src/report/plugin.map \
		-o $@ $(PLUGIN_JUNIT_OBJS) $(REPORT_LIB) $(CORE_LIB) $(LDLIBS_CORE) -lm $(LDLIBS_JUNIT) -lpthread

$(B)/tests/unit/%: tests/unit/%.c $(REPORT_LIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ISOLA_CPPFLAGS) $(CPPFLAGS) $(ISOLA_CFLAGS) $(CFLAGS) -o $@ $< $(REPORT_LIB) $(CORE_LIB) $(LDLIBS_CORE) -lm \
		$(LDLIBS_DL) -lcmocka

# Helpers may open pseudo-terminals (openpty/forkpty: -lutil).
$(B)/tests/helpers/%: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ISOLA_CPPFLAGS) $(CPPFLAGS) $(ISOLA_CFLAGS) $(CFLAGS) -o $@ $< -lutil

# Installs the Debian packages the build and the tests need, only those missing.
deps:
	@scripts/install-deps

# README command 1: the example suite, unisolated and then under isola.
demo:
	@scripts/install-deps build
	@$(MAKE) --no-print-directory $(B)/isola
	@scripts/demo.sh $(B)/isola

# README command 2 (and CI): every test, run by the freshly built isola.
check: deps
	@$(MAKE) --no-print-directory all
	@scripts/check $(B)/isola

test: check

# The same suite under AddressSanitizer, UBSan and LeakSanitizer: a build of its own in
# build-sanitize/, and every test run by that isola (any finding fails its test). GCC 12 gives
# false -Wformat-overflow/-truncation positives under -fsanitize=undefined: those are off here.
SANITIZE_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all -Wno-format-overflow -Wno-format-truncation
check-sanitize: deps
	@$(MAKE) --no-print-directory B=build-sanitize CFLAGS='$(SANITIZE_CFLAGS)' all
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
		ISOLA_CHECK_BUILD=build-sanitize scripts/check build-sanitize/isola

# The soak of issue 14: 10,000 mixed tests, two runs at once with isola clean looping beside them;
# writes doc/soak.md (several minutes; not in CI).
soak:
	@scripts/install-deps build test
	@$(MAKE) --no-print-directory $(B)/isola
	@bench/soak

bench:
	@scripts/install-deps build bench
	@$(MAKE) --no-print-directory $(B)/isola
	@bench/run

install: $(B)/isola lib
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
		$(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/isola $(DESTDIR)$(PLUGINDIR)
	install -m 0755 $(B)/bin/isola $(DESTDIR)$(BINDIR)/isola
	install -m 0644 $(PLUGINS) $(DESTDIR)$(PLUGINDIR)/
	install -m 0644 doc/isola.1 $(DESTDIR)$(MANDIR)/man1/isola.1
	install -m 0644 doc/libisola.3 $(DESTDIR)$(MANDIR)/man3/libisola.3
	install -m 0644 include/isola/isola.h $(DESTDIR)$(INCLUDEDIR)/isola/isola.h
	install -m 0755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(LIB_SO)) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libisola.so
	install -m 0644 $(LIB_A) $(DESTDIR)$(LIBDIR)/libisola.a
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
		-e 's|@VERSION@|$(VERSION)|' isola.pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/isola.pc

format:
	clang-format -i $(CORE_SRCS) $(REPORT_SRCS) $(PLUGIN_JSON_SRCS) $(PLUGIN_JUNIT_SRCS) $(CLI_SRCS) src/*/*.h include/isola/*.h

# libFuzzer harnesses (tests/fuzz/fuzz_*.c): built with clang, ASan and UBSan into build-fuzz/,
# each run for FUZZ_SECONDS from its seed corpus tests/fuzz/corpus/NAME/ (what it finds new goes
# to build-fuzz/corpus/NAME/, never into the repository). A crash, leak or UB stops it, with the
# input saved as build-fuzz/crash-NAME-*.
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  := -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
	-Wno-format-nonliteral
fuzz:
	@scripts/install-deps build fuzz
	@$(MAKE) --no-print-directory CC=clang B=build-fuzz CFLAGS='$(FUZZ_CFLAGS)' fuzzers
	@scripts/fuzz build-fuzz $(FUZZ_SECONDS)

FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
# What the fuzzers link beside the core: the option parser, and the CTest/Meson importer (which
# the JSON plugin holds in isola).
FUZZ_OBJS := $(B)/src/cli/options.o $(B)/src/cli/usage.o $(B)/src/testlist/import-json.o
fuzzers: $(FUZZ_BINS)
$(B)/fuzz/%: tests/fuzz/%.c $(CORE_LIB) $(FUZZ_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ISOLA_CPPFLAGS) $(CPPFLAGS) $(ISOLA_CFLAGS) $(CFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_OBJS) $(CORE_LIB) $(LDLIBS_CORE) $(LDLIBS_JSON) -lpthread

clean:
	rm -rf $(B) build-sanitize build-fuzz

-include $(shell find $(B) -name '*.d' -type f 2>/dev/null)
