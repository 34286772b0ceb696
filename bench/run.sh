#!/bin/sh
# run.sh - every benchmark of mxwall, for 'make bench': runs each one in
# turn and lets it print its figures (nothing is asserted). A
# build/bench/bench_X program runs with no arguments unless bench/X.sh
# exists, which then drives it; every bench/*.sh other than this one is
# run with sh. BUILD selects the build directory.
# Keep the whole under about five minutes.
set -u
cd "$(dirname "$0")/.."
B=${BUILD:-build}
export BUILD=$B
rc=0
for b in "$B"/bench/bench_*; do
	[ -x "$b" ] || continue
	x=$(basename "$b"); x=${x#bench_}
	[ -f "bench/$x.sh" ] && continue
	echo "### $(basename "$b")"
	"$b" || rc=1
	echo
done
for s in bench/*.sh; do
	[ "$(basename "$s")" = run.sh ] && continue
	[ -f "$s" ] || continue
	echo "### $(basename "$s" .sh)"
	sh "$s" || rc=1
	echo
done
exit $rc
