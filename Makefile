# mxwall - top-level build.
#
# make            build the kernel object, its skeleton, mxwalld and mxwallctl
# make deps       install the Debian packages the build and the tests need
# make check      deps, build, then every test suite (tests/run.sh)
# make bench      benchmarks, figures printed (bench/run.sh)
# make demo       the end-to-end demonstration (tests/demo.sh)
# make portable   the build without libbpf/libnftables (as on FreeBSD)
# make install    binaries, man pages, service files, example configuration
#
# Sources are found by folder, so adding a file needs no change here:
#   lib/*.c        code shared by the daemon and the ctl tool (libmxwall.a)
#   daemon/*.c     the daemon; daemon/mxwalld.c holds main()
#   ctl/*.c        the ctl tool; ctl/mxwallctl.c holds main()
#   tests/unit/test_*.c   one cmocka suite each, linked with both archives
#   bench/bench_*.c       one benchmark program each
#   tests/tools/*.c       helper programs the integration suites drive
# Linux-only sources wrap their whole body in #if MXWALL_LINUX; with
# WITH_LINUX=0 they compile to nothing and libbpf/libnftables are not linked.

WITH_LINUX ?= 1
BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=
SANITIZE ?=

CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
NPROC := $(shell nproc 2>/dev/null || echo 2)
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wstrict-prototypes
CPPFLAGS += -D_GNU_SOURCE -Ilib -Ibpf -Idaemon -Ictl -I$(BUILD) \
	-DMXWALL_VERSION='"$(VERSION)"' -DMXWALL_LINUX=$(WITH_LINUX)
LIBS := -lcares -lpcre2-8 -lpcap
ifeq ($(WITH_LINUX),1)
LIBS += -lbpf -lnftables -lelf -lz
endif
ifneq ($(SANITIZE),)
CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZE)
endif

LIB_SRCS := $(wildcard lib/*.c)
DAEMON_SRCS := $(filter-out daemon/mxwalld.c,$(wildcard daemon/*.c))
CTL_SRCS := $(filter-out ctl/mxwallctl.c,$(wildcard ctl/*.c))
TEST_SRCS := $(wildcard tests/unit/test_*.c)
BENCH_SRCS := $(wildcard bench/bench_*.c)
TOOL_SRCS := $(wildcard tests/tools/*.c)

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(BUILD)/%.o)
CTL_OBJS := $(CTL_SRCS:%.c=$(BUILD)/%.o)
TESTS := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
BENCHES := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)
TOOLS := $(TOOL_SRCS:tests/tools/%.c=$(BUILD)/tools/%)

ifeq ($(WITH_LINUX),1)
SKEL := $(BUILD)/mxwall.skel.h
BPF_OBJ := $(BUILD)/mxwall.bpf.o
# Helper BPF programs the benchmarks load beside mxwall's (bench/*.bpf.c).
BPF_OBJ += $(patsubst bench/%.bpf.c,$(BUILD)/bench/%.bpf.o,$(wildcard bench/*.bpf.c))
endif

PROGS := $(BUILD)/mxwalld $(BUILD)/mxwallctl

.PHONY: all deps check bench demo portable install clean format fuzz
all: $(BPF_OBJ) $(SKEL) $(PROGS) $(TESTS) $(BENCHES) $(TOOLS)

deps:
	@sh tests/deps.sh

# The kernel object: one source, XDP and TC entry points.
$(BUILD)/mxwall.bpf.o: bpf/mxwall.bpf.c $(wildcard bpf/*.h)
	@mkdir -p $(@D)
	$(CLANG) -O2 -g -target bpf -D__TARGET_ARCH_x86 \
		-I/usr/include/$(MULTIARCH) -Ibpf -Wall -c $< -o $@

$(BUILD)/bench/%.bpf.o: bench/%.bpf.c $(wildcard bpf/*.h)
	@mkdir -p $(@D)
	$(CLANG) -O2 -g -target bpf -D__TARGET_ARCH_x86 \
		-I/usr/include/$(MULTIARCH) -Ibpf -Wall -c $< -o $@

$(BUILD)/mxwall.skel.h: $(BUILD)/mxwall.bpf.o
	$(BPFTOOL) gen skeleton $< name mxwall > $@.tmp && mv $@.tmp $@

$(BUILD)/%.o: %.c $(SKEL) $(wildcard lib/*.h lib/*.def bpf/*.h daemon/*.h ctl/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c $< -o $@

$(BUILD)/libmxwall.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/daemon.a: $(DAEMON_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/ctl.a: $(CTL_OBJS)
	@rm -f $@
	ar rcs $@ $^

ARCHIVES := $(BUILD)/daemon.a $(BUILD)/ctl.a $(BUILD)/libmxwall.a

$(BUILD)/mxwalld: $(BUILD)/daemon/mxwalld.o $(ARCHIVES)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/mxwallctl: $(BUILD)/ctl/mxwallctl.o $(ARCHIVES)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(ARCHIVES)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(WARN) -Wno-missing-field-initializers \
		$(LDFLAGS) -o $@ $< $(ARCHIVES) $(LIBS) -lcmocka

$(BUILD)/tools/%: tests/tools/%.c $(ARCHIVES)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< $(ARCHIVES) $(LIBS)

$(BUILD)/bench/%: bench/%.c $(ARCHIVES)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< $(ARCHIVES) $(LIBS)

check: deps
	$(MAKE) all
	sh tests/run.sh

bench: deps
	$(MAKE) all
	sh bench/run.sh

# The demo needs only the two programs: built in parallel, after the
# packages the demo needs (a subset of 'make deps'), so that a fresh
# machine reaches the table in under a minute.
demo:
	@sh tests/deps.sh demo
	$(MAKE) -j$(NPROC) $(PROGS)
	sh tests/demo.sh

portable:
	$(MAKE) WITH_LINUX=0 BUILD=build-portable \
		build-portable/mxwalld build-portable/mxwallctl

fuzz:
	sh tests/fuzz/run.sh $(FUZZ_SECONDS)

format:
	clang-format -i $(wildcard bpf/*.[ch] lib/*.[ch] daemon/*.[ch] ctl/*.[ch] tests/unit/*.[ch] bench/*.c)

install: all
	sh tests/install.sh "$(DESTDIR)" "$(PREFIX)" "$(BUILD)"

clean:
	rm -rf build build-portable build-asan

# make man: regenerate docs/mxwall.conf.5 from lib/params.def (the unit
# test test_config fails while the committed page is out of date).
.PHONY: man
man: $(BUILD)/mxwallctl
	$(BUILD)/mxwallctl config --man > docs/mxwall.conf.5
