#!/bin/sh
# t-fuzz.sh - every libFuzzer target runs briefly (FUZZ_CHECK_SECONDS,
# default 3) from its committed seed corpus, so a parser change that
# crashes, leaks or breaks a promised invariant shows in `make check`.
# The long campaigns are `make fuzz` (tests/fuzz/run.sh, README there).
#
# Builds into $BUILD/fuzz, apart from the campaigns' build-fuzz. Skipped
# only when clang's libFuzzer runtime is missing.
. "$(dirname "$0")/lab/lib.sh"

cd "$TOP" || exit 1
command -v clang >/dev/null || t_skip_all "clang not installed"
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)
{ (void)d; (void)n; return 0; }' >"$LABDIR/probe.c"
clang -fsanitize=fuzzer -o "$LABDIR/probe" "$LABDIR/probe.c" \
	>/dev/null 2>&1 ||
	t_skip_all "clang cannot link -fsanitize=fuzzer (libclang-rt-dev missing)"

# The harness itself can fail: a target whose contract is broken.
FUZZ_BUILD=${BUILD%/}/fuzz sh tests/fuzz/run.sh "${FUZZ_CHECK_SECONDS:-3}" \
	>"$LABDIR/run.out" 2>&1
rc=$?
cat "$LABDIR/run.out"
grep -E '^(ok|FAIL|skip) - ' "$LABDIR/run.out" >"$LABDIR/lines"
while IFS= read -r line; do
	case $line in
	"ok - "*) t_pass "${line#ok - }" ;;
	"skip - "*) t_skip "${line#skip - }" ;;
	*) t_fail "${line#FAIL - }" ;;
	esac
done <"$LABDIR/lines"
t_check "tests/fuzz/run.sh exits 0 (exit $rc)" test $rc -eq 0
t_check "at least one fuzz target ran" test -s "$LABDIR/lines"
t_done
