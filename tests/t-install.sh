#!/bin/sh
# t-install.sh - 'make install' into a staging folder (DESTDIR): the
# binaries, man pages, the systemd unit with the real daemon path, the
# example configuration (safe by default: mode = observe) and its tables;
# the example passes mxwalld -n; an existing configuration is never
# replaced.
. "$(dirname "$0")/lab/lib.sh"
[ -x "$MXWALLD" ] || t_skip_all "$MXWALLD not built"
S=$LABDIR/stage
B=$(cd "$BUILD" && pwd)

out=$(sh "$TOP/tests/install.sh" "$S" /usr/local "$B" 2>&1)
t_check "install.sh succeeds" test $? = 0
for f in usr/local/sbin/mxwalld usr/local/sbin/mxwallctl \
    usr/local/share/man/man8/mxwalld.8 lib/systemd/system/mxwalld.service \
    etc/mxwall/mxwall.conf etc/mxwall/mxwall.conf.example \
    etc/mxwall/client_check; do
	t_check "installed $f" test -f "$S/$f"
done
t_check "mxwalld is executable" test -x "$S/usr/local/sbin/mxwalld"
unit=$S/lib/systemd/system/mxwalld.service
t_check "unit runs the installed daemon" \
	grep -qx "ExecStart=/usr/local/sbin/mxwalld -f -c /etc/mxwall/mxwall.conf" \
	"$unit"
t_check "unit is Type=notify" grep -qx "Type=notify" "$unit"
t_check "unit starts before Postfix" grep -qx "Before=postfix.service" "$unit"
t_check "no placeholder left in the unit" sh -c "! grep -q @ '$unit'"
t_check "example configuration is safe by default (observe)" \
	grep -qx "mode = observe" "$S/etc/mxwall/mxwall.conf"

# The example, with its tables where they were staged, passes -n.
sed "s|/etc/mxwall/|$S/etc/mxwall/|g" "$S/etc/mxwall/mxwall.conf" \
	>"$LABDIR/check.conf"
t_check "example configuration passes mxwalld -n" \
	"$MXWALLD" -n -c "$LABDIR/check.conf"

echo "# mine" >"$S/etc/mxwall/mxwall.conf"
sh "$TOP/tests/install.sh" "$S" /usr/local "$B" >/dev/null 2>&1
t_eq "an existing configuration is left as it is" \
	"$(cat "$S/etc/mxwall/mxwall.conf")" "# mine"
t_done
