#!/bin/sh
# run.sh - every test suite of mxwall, for 'make check'.
#
# Suites:
#   build/tests/test_*        cmocka unit suites (normal build)
#   build-asan/tests/test_*   the same under AddressSanitizer + UBSan
#   tests/t-*.sh              integration suites (namespaces, real servers)
#   the portable build        compiles without libbpf/libnftables
# Each suite prints its own "N passed, N failed" line; a suite that exits
# 77 was skipped (it says why). The last line sums them all up; the exit
# status is non-zero when any suite failed.
#
# MXWALL_TESTS=pattern runs only the suites whose name contains pattern.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
pat=${MXWALL_TESTS:-}
B=${BUILD:-build}
log=$top/$B/test-logs
mkdir -p "$log"

suites_ok=0 suites_failed=0 suites_skipped=0 failed_names=""

run_suite() {
	name=$1; shift
	case "$name" in *"$pat"*) ;; *) return ;; esac
	echo "=== $name"
	start=$(date +%s)
	"$@" >"$log/$name.log" 2>&1
	rc=$?
	end=$(date +%s)
	# Show the suite's output only when it failed; always show its summary.
	if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
		tail -n 60 "$log/$name.log"
	else
		grep -E '^(\[  (PASSED|FAILED|SKIPPED)|.*[0-9]+ passed, [0-9]+ failed|skipped:)' \
			"$log/$name.log" | tail -n 5
	fi
	case $rc in
	0) suites_ok=$((suites_ok + 1)); r=ok ;;
	77) suites_skipped=$((suites_skipped + 1)); r=skipped ;;
	*) suites_failed=$((suites_failed + 1)); r="FAILED (exit $rc)"
	   failed_names="$failed_names $name" ;;
	esac
	echo "--- $name: $r in $((end - start))s (log: $log/$name.log)"
}

# Unit suites, normal build.
for t in $B/tests/test_*; do
	[ -x "$t" ] || continue
	run_suite "unit-$(basename "$t")" "$t"
done

# Unit suites under sanitizers.
case "unit-asan" in *"$pat"*)
	if make -s BUILD=$B-asan SANITIZE=address,undefined CC=clang \
	    $(ls tests/unit/test_*.c 2>/dev/null |
	      sed "s|tests/unit/\(.*\)\.c|$B-asan/tests/\1|") \
	    >"$log/asan-build.log" 2>&1; then
		for t in $B-asan/tests/test_*; do
			[ -x "$t" ] || continue
			run_suite "asan-$(basename "$t")" env \
			    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
			    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "$t"
		done
	else
		tail -n 30 "$log/asan-build.log"
		suites_failed=$((suites_failed + 1))
		failed_names="$failed_names asan-build"
	fi ;;
esac

# The portable build (no libbpf, no libnftables) must still compile.
run_suite portable-build make -s portable

# Integration suites.
for t in tests/t-*.sh; do
	[ -f "$t" ] || continue
	run_suite "$(basename "$t" .sh)" sh "$t"
done

echo
echo "suites: $suites_ok ok, $suites_failed failed, $suites_skipped skipped"
[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "$suites_ok passed, $suites_failed failed, $suites_skipped skipped"
[ $suites_failed -eq 0 ]
