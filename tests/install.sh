#!/bin/sh
# install.sh - 'make install': binaries, man pages, service files and an
# example configuration that is safe by default (mode = observe).
#
# usage: sh tests/install.sh DESTDIR PREFIX BUILD
#   DESTDIR  staging root ("" for the live system);
#   PREFIX   /usr/local by default;
#   BUILD    the build folder holding mxwalld and mxwallctl.
#
# Installs:
#   PREFIX/sbin/mxwalld, PREFIX/sbin/mxwallctl
#   PREFIX/share/man/man8/mxwalld.8, mxwallctl.8; man5/mxwall.conf.5
#   Linux:   /lib/systemd/system/mxwalld.service
#   FreeBSD: PREFIX/etc/rc.d/mxwalld (and the pf backend in the example)
#   ETC/mxwall.conf (only if missing: an existing one is never replaced),
#   ETC/mxwall.conf.example, and the shipped tables (client_check,
#   sender_check, dnsbl_sites.conf, dynamic-*.pcre) when missing;
#   ETC is /etc/mxwall on Linux, PREFIX/etc/mxwall on FreeBSD.
# On the live system (DESTDIR empty, as root) it also creates the system
# user and group "mxwall" when missing and /var/lib/mxwall owned by it.
set -eu

DESTDIR=${1:-}
PREFIX=${2:-/usr/local}
BUILD=${3:-build}
cd "$(dirname "$0")/.."

OS=$(uname -s)
SBIN=$PREFIX/sbin
MAN=$PREFIX/share/man
if [ "$OS" = FreeBSD ]; then
	ETC=$PREFIX/etc/mxwall
else
	ETC=/etc/mxwall
fi

for f in "$BUILD/mxwalld" "$BUILD/mxwallctl"; do
	[ -x "$f" ] || { echo "install: $f is not built: run make first" >&2;
			 exit 1; }
done

inst() { # MODE SRC DST
	mkdir -p "$(dirname "$3")"
	cp "$2" "$3.tmp.$$"
	chmod "$1" "$3.tmp.$$"
	mv "$3.tmp.$$" "$3"
	echo "install: $3"
}

inst 755 "$BUILD/mxwalld" "$DESTDIR$SBIN/mxwalld"
inst 755 "$BUILD/mxwallctl" "$DESTDIR$SBIN/mxwallctl"
for m in docs/*.8; do
	[ -f "$m" ] && inst 644 "$m" "$DESTDIR$MAN/man8/$(basename "$m")"
done
for m in docs/*.5; do
	[ -f "$m" ] && inst 644 "$m" "$DESTDIR$MAN/man5/$(basename "$m")"
done

# Service files, with the real path of the daemon.
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
if [ "$OS" = FreeBSD ]; then
	sed "s|@SBINDIR@|$SBIN|g" daemon/mxwalld.rc >"$tmp"
	inst 755 "$tmp" "$DESTDIR$PREFIX/etc/rc.d/mxwalld"
else
	sed "s|@SBINDIR@|$SBIN|g" daemon/mxwalld.service >"$tmp"
	inst 644 "$tmp" "$DESTDIR/lib/systemd/system/mxwalld.service"
fi

# The example configuration: tables under ETC; pf on FreeBSD.
sed -e "s|/etc/mxwall/|$ETC/|g" rules/mxwall.conf >"$tmp"
if [ "$OS" = FreeBSD ]; then
	sed -i '' -e 's/^backend = xdp$/backend = pf/' \
		-e 's|/var/lib/mxwall/|/var/db/mxwall/|' "$tmp"
fi
inst 644 "$tmp" "$DESTDIR$ETC/mxwall.conf.example"
if [ -e "$DESTDIR$ETC/mxwall.conf" ]; then
	echo "install: $DESTDIR$ETC/mxwall.conf exists: left as it is"
else
	inst 644 "$tmp" "$DESTDIR$ETC/mxwall.conf"
fi
for t in client_check sender_check dnsbl_sites.conf dynamic-normal.pcre \
    dynamic-strict.pcre; do
	[ -f "rules/$t" ] || continue
	if [ -e "$DESTDIR$ETC/$t" ]; then
		echo "install: $DESTDIR$ETC/$t exists: left as it is"
	else
		inst 644 "rules/$t" "$DESTDIR$ETC/$t"
	fi
done

# The system user and the state folder, on the live system only.
if [ -z "$DESTDIR" ] && [ "$(id -u)" = 0 ]; then
	if ! id mxwall >/dev/null 2>&1; then
		if [ "$OS" = FreeBSD ]; then
			pw useradd mxwall -d /nonexistent -s /usr/sbin/nologin \
				-c "mxwall daemon"
		else
			useradd --system --no-create-home \
				--home-dir /nonexistent \
				--shell /usr/sbin/nologin mxwall
		fi
		echo "install: created the system user mxwall"
	fi
	if [ "$OS" = FreeBSD ]; then
		STATE=/var/db/mxwall
	else
		STATE=/var/lib/mxwall
	fi
	mkdir -p "$STATE"
	chown mxwall "$STATE"
	chmod 750 "$STATE"
	echo "install: $STATE (owned by mxwall)"
	if [ "$OS" != FreeBSD ] && command -v systemctl >/dev/null &&
	    [ -d /run/systemd/system ]; then
		systemctl daemon-reload || true
	fi
fi
echo "install: done. Check the configuration with:" \
	"$SBIN/mxwalld -n -c $ETC/mxwall.conf"
