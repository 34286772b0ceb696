#!/bin/sh
# run.sh - build and run mxwall's libFuzzer targets (`make fuzz`).
#
# usage: tests/fuzz/run.sh [SECONDS] [TARGET...]
#
# SECONDS (default $FUZZ_SECONDS, else 60) is the time each target runs;
# TARGETs are names like "addr" or "table" (default: every
# tests/fuzz/fuzz_*.c). Each target is compiled with clang
# -fsanitize=fuzzer,address,undefined straight from the sources its
# "FUZZ_SOURCES:" line names, into $FUZZ_BUILD (default build-fuzz), and
# rebuilt only when a source or header changed. A target marked
# "FUZZ_SKEL: yes" (the packet parser) also gets the kernel object and
# its libbpf skeleton built there, and needs root: without root it is
# reported as skipped.
#
# Corpora: the committed seeds in tests/fuzz/corpus/TARGET are read, never
# written; new inputs go to $FUZZ_BUILD/corpus/TARGET. A crash, leak,
# sanitizer report, timeout or broken contract is a finding: its input is
# kept as $FUZZ_BUILD/artifacts/TARGET/crash-* (reproduce with
# `$FUZZ_BUILD/fuzz_TARGET FILE`) and the run fails.
#
# Each run appends "date target seconds executions result" to
# $FUZZ_BUILD/stats.tsv (tests/fuzz/README.md records the totals) and
# prints "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."

secs=${1:-${FUZZ_SECONDS:-60}}
[ $# -gt 0 ] && shift
FB=${FUZZ_BUILD:-build-fuzz}
CLANG=${CLANG:-clang}
FLAGS="-g -O1 -fsanitize=fuzzer,address,undefined
	-fno-sanitize-recover=all -fno-omit-frame-pointer
	-D_GNU_SOURCE -DMXWALL_LINUX=1 -DMXWALL_VERSION=\"fuzz\"
	-Ilib -Ibpf -Idaemon -Ictl -Itests/fuzz -I$FB"

if [ $# -gt 0 ]; then
	targets=$*
else
	targets=$(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_\(.*\)\.c|\1|')
fi
mkdir -p "$FB"
passed=0 failed=0 skipped=0

# field NAME FILE - the words after "NAME:" on the file's comment line.
field() {
	sed -n "s/^ \* $1:[ 	]*//p" "$2" | head -n 1
}

# skeleton - the kernel object and its skeleton header in $FB, as the
# Makefile builds them.
skeleton() {
	if [ -f "$FB/mxwall.skel.h" ] &&
	    [ -z "$(find bpf -newer "$FB/mxwall.skel.h")" ]; then
		return 0
	fi
	$CLANG -O2 -g -target bpf -D__TARGET_ARCH_x86 \
	    -I/usr/include/"$(cc -print-multiarch)" -Ibpf -Wall \
	    -c bpf/mxwall.bpf.c -o "$FB/mxwall.bpf.o" &&
	    bpftool gen skeleton "$FB/mxwall.bpf.o" name mxwall \
	    >"$FB/mxwall.skel.h.tmp" &&
	    mv "$FB/mxwall.skel.h.tmp" "$FB/mxwall.skel.h"
}

# build TARGET - compile fuzz_TARGET when it is missing or out of date.
build() {
	src=tests/fuzz/fuzz_$1.c bin=$FB/fuzz_$1
	srcs="$src $(field FUZZ_SOURCES "$src")"
	libs=$(field FUZZ_LIBS "$src")
	if [ "$(field FUZZ_SKEL "$src")" = yes ]; then
		skeleton >"$FB/build-$1.log" 2>&1 || {
			cat "$FB/build-$1.log"
			return 1
		}
	fi
	if [ -x "$bin" ] &&
	    [ -z "$(find $srcs tests/fuzz/fuzz.h lib/*.h daemon/*.h bpf/*.h \
		-newer "$bin" 2>/dev/null)" ]; then
		return 0
	fi
	echo "fuzz: building $bin"
	# shellcheck disable=SC2086
	$CLANG $FLAGS -o "$bin" $srcs $libs >"$FB/build-$1.log" 2>&1 && return 0
	cat "$FB/build-$1.log"
	return 1
}

for t in $targets; do
	if [ ! -f "tests/fuzz/fuzz_$t.c" ]; then
		echo "fuzz: no target $t (tests/fuzz/fuzz_$t.c)"
		failed=$((failed + 1))
		continue
	fi
	if [ "$(field FUZZ_SKEL "tests/fuzz/fuzz_$t.c")" = yes ] &&
	    [ "$(id -u)" != 0 ]; then
		echo "skip - fuzz $t: needs root (BPF_PROG_TEST_RUN)"
		skipped=$((skipped + 1))
		continue
	fi
	if ! build "$t"; then
		echo "FAIL - fuzz $t: build failed"
		failed=$((failed + 1))
		continue
	fi
	work=$FB/corpus/$t art=$FB/artifacts/$t/ seeds=tests/fuzz/corpus/$t
	mkdir -p "$work" "$art" "$seeds"
	log=$FB/run-$t.log
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
	    "$FB/fuzz_$t" -max_total_time="$secs" -timeout=10 \
	    -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
	    -artifact_prefix="$art" "$work" "$seeds" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
		tail -n 1)
	execs=${execs:-0}
	if [ $rc -eq 0 ]; then
		result=clean
		passed=$((passed + 1))
		echo "ok - fuzz $t: $execs executions in ${secs}s, no finding"
	else
		result=FINDING
		failed=$((failed + 1))
		echo "FAIL - fuzz $t: finding after $execs executions" \
			"(exit $rc; log $log)"
		grep -E 'ERROR|fuzz: |runtime error|Test unit written' "$log" |
			head -n 10
	fi
	printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$t" \
		"$secs" "$execs" "$result" >>"$FB/stats.tsv"
done

echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
