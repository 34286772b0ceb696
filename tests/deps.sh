#!/bin/sh
# deps.sh - install the Debian packages mxwall's build, tests, benchmarks
# and demo need.  Idempotent: packages already installed are skipped, and
# nothing is fetched when all are present.  Must run as root.
#
# usage: tests/deps.sh [demo]
#
# With "demo" ('make demo') only what the build of mxwalld and mxwallctl
# and the demonstration itself need is installed, so a fresh machine gets
# to the demo's table sooner; 'make check' installs everything.
set -eu

# What the build of mxwalld and mxwallctl, and the demo, need.
DEMO_PKGS="make gcc clang bpftool libbpf-dev libelf-dev zlib1g-dev
linux-libc-dev pkg-config libc-ares-dev libpcre2-dev libpcap-dev
libnftables-dev nftables iproute2 postfix postfix-pcre rbldnsd
dnsmasq-base swaks libio-socket-inet6-perl"
# And what the test suites, sanitizers and benchmarks need on top.
PKGS="$DEMO_PKGS llvm libcmocka-dev valgrind libclang-rt-14-dev tcpdump
xdp-tools postfwd unbound"
case ${1:-} in
demo)	PKGS=$DEMO_PKGS ;;
"")	;;
*)	echo "usage: tests/deps.sh [demo]" >&2; exit 2 ;;
esac

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing; run 'make deps' as root" >&2
	exit 1
fi
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" |
	debconf-set-selections
apt-get -o DPkg::Lock::Timeout=600 update -q
# xdp-tools, postfwd and unbound are only for benchmarks: never fatal.
apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends \
	$(echo "$missing" | tr ' ' '\n' |
	  grep -vx -e xdp-tools -e postfwd -e unbound) \
	</dev/null
optional=$(echo "$missing" | tr ' ' '\n' |
	grep -x -e xdp-tools -e postfwd -e unbound || true)
[ -z "$optional" ] ||
apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends \
	$optional </dev/null || echo "deps: warning: xdp-tools/postfwd/unbound not installed: benchmarks will skip them"
