#!/bin/sh
# t-daemon-pf.sh - mxwalld with the pf backend, against a STAND-IN pfctl.
#
# pf cannot run on Linux, so pfctl_path points at a shell script that
# records its arguments and standard input and answers as pfctl does
# ("N/N addresses added."). What is checked is what mxwalld would send
# to a real pf: the start-up replace from the snapshot, an add plus a
# state kill for a new block, a delete when a verdict expires or is
# forgotten, a flush in observe mode. Also: the daemon runs as the
# unprivileged user with no capabilities left (pf needs none), the
# snapshot is written at stop in its documented format, a reload with a
# broken table keeps the old rules and names file and line, and mxwalld
# -n checks a configuration.
. "$(dirname "$0")/lab/lib.sh"
t_need_root
[ -x "$MXWALLD" ] || t_skip_all "$MXWALLD not built"
CTL=$BUILD/tools/ctlcall
[ -x "$CTL" ] || t_skip_all "$CTL not built"

t_need_mxwall_user

NS=$(lab_ns pf) || t_skip_all "cannot create a network namespace"
D=$LABDIR
mkdir -p "$D/state"
chown mxwall "$D/state"
PFLOG=$D/pfctl.log

cat >"$D/pfctl" <<EOF
#!/bin/sh
# STAND-IN for pfctl(8), for mxwall's tests only: records what it is
# asked and answers like pfctl; it changes nothing anywhere.
echo "pfctl stand-in (mxwall test): \$*" >&2
echo "ARGS \$*" >>"$PFLOG"
case "\$4" in
add|delete|replace)
	n=0
	while read -r a; do echo "IN \$a" >>"$PFLOG"; n=\$((n + 1)); done
	case "\$4" in
	add|replace) echo "\$n/\$n addresses added." >&2 ;;
	delete) echo "\$n/\$n addresses deleted." >&2 ;;
	esac ;;
esac
exit 0
EOF
chmod 755 "$D/pfctl"
: >"$PFLOG"
: >"$D/daemon.log"
chmod 666 "$PFLOG"

printf '%s\n' '/\.dynamic\./ REJECT dynamic address' >"$D/client_check"
cat >"$D/mxwall.conf" <<EOF
backend = pf
pf_table = mxtest
pfctl_path = $D/pfctl
interfaces = lo
state_file = $D/state/verdicts
control_socket = $D/control.sock
policy_listen =
client_checks = regexp:$D/client_check
user = mxwall
snapshot_interval = 10s
EOF

# A snapshot from "before": two live blocks, one allow, one expired.
now=$(date +%s)
cat >"$D/state/verdicts" <<EOF
# mxwall verdicts v1
192.0.2.66 block dnsbl 1 $now $((now + 3600)) reason=dnsbl list=bl.example reply=127.0.0.2 score=1
192.0.2.77 block rule 0 $now $((now + 3)) reason=rule table=regexp:x line=1
198.51.100.1 allow default 0 $now $((now + 3600)) reason=none
192.0.2.99 block dnsbl 1 $((now - 100)) $((now - 10)) reason=dnsbl list=old
EOF
chown mxwall "$D/state/verdicts"

t_check "mxwalld -n accepts the configuration" \
	"$MXWALLD" -n -c "$D/mxwall.conf"

# A service manager's notification socket: every datagram to a file.
lab_spawn - python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)
while True:
    m = s.recv(4096).decode()
    with open(sys.argv[2], "a") as f:
        f.write(m + "\n")
' "$D/notify.sock" "$D/notify.log" >/dev/null
lab_wait_file "$D/notify.sock"

# start - run mxwalld in the namespace, wait for its control socket.
start() {
	# Not in $(...): the daemon would hold the substitution's pipe.
	lab_spawn "$NS" env NOTIFY_SOCKET="$D/notify.sock" \
		sh -c "exec '$MXWALLD' -f -c '$D/mxwall.conf' \
		</dev/null >/dev/null 2>>'$D/daemon.log'" >"$D/pid"
	PID=$(cat "$D/pid")
	i=0
	while [ $i -lt 50 ] && ! grep -q "started:" "$D/daemon.log"; do
		sleep 0.1
		i=$((i + 1))
	done
}
start
t_check "daemon started" grep -q "started:" "$D/daemon.log"
sleep 0.2
t_eq "READY=1 sent to the service manager" "$(cat "$D/notify.log")" \
	"READY=1"

got=$(sed -n '/^ARGS -t mxtest -T replace -f -$/,/^ARGS/p' "$PFLOG" |
	grep '^IN' | sort | tr '\n' ' ')
t_eq "start-up replace carries the live blocks of the snapshot" "$got" \
	"IN 192.0.2.66 IN 192.0.2.77 "
t_match "start-up restore is counted" "$(cat "$D/daemon.log")" \
	"start-up restore: backend pf: 2 added, 0 deleted"

t_eq "runs as the unprivileged user" \
	"$(ps -o user= -p "$PID" | tr -d ' ')" mxwall
t_eq "keeps no capabilities (pf needs none)" \
	"$(awk '/^CapEff/ {print $2}' /proc/"$PID"/status)" \
	0000000000000000

: >"$PFLOG"
"$CTL" "$D/control.sock" block 203.0.113.5 >/dev/null 2>&1
sleep 0.3
t_match "a new block is added to the table" "$(cat "$PFLOG")" \
	"ARGS -t mxtest -T add -f -"
t_check "the added address is on pfctl's input" \
	grep -qx "IN 203.0.113.5" "$PFLOG"
t_check "states of the newly blocked host are killed" \
	grep -qx "ARGS -k 203.0.113.5" "$PFLOG"
t_match "the block is logged" "$(cat "$D/daemon.log")" \
	"BLOCK client=\[203.0.113.5\] reason=manual"
kill -USR1 "$PID"
sleep 0.3
t_check "SIGUSR1 writes the snapshot now" \
	grep -q "^203.0.113.5 block manual " "$D/state/verdicts"

# 192.0.2.77 expires 3 s after $now; the sweeper runs every second.
sleep 3
i=0
while [ $i -lt 30 ] && ! grep -q "EXPIRE client=\[192.0.2.77\]" \
    "$D/daemon.log"; do
	sleep 0.2
	i=$((i + 1))
done
t_match "expiry is logged" "$(cat "$D/daemon.log")" \
	"EXPIRE client=\[192.0.2.77\] action=block"
t_check "the expired address is deleted from the table" \
	sh -c "sed -n '/-T delete/,\$p' '$PFLOG' | grep -qx 'IN 192.0.2.77'"

: >"$PFLOG"
"$CTL" "$D/control.sock" forget 203.0.113.5 >/dev/null 2>&1
sleep 0.3
t_check "forget deletes from the table" \
	sh -c "grep -q -- '-T delete' '$PFLOG' &&
	       grep -qx 'IN 203.0.113.5' '$PFLOG'"

# A reload with a broken table keeps the old rules and says where.
printf '%s\n' '/\.dynamic\./ REJECT dynamic address' '/unclosed REJECT' \
	>"$D/client_check"
kill -HUP "$PID"
sleep 0.5
t_match "broken reload is refused with file and line" \
	"$(grep RELOAD "$D/daemon.log")" \
	"RELOAD failed .*client_check, line 2"
t_check "the daemon is still running" kill -0 "$PID"
printf '%s\n' '/\.dynamic\./ REJECT dynamic address' >"$D/client_check"
kill -HUP "$PID"
sleep 0.5
t_match "a good reload is accepted" "$(grep RELOAD "$D/daemon.log")" \
	"RELOAD ok"
t_match "reloads are announced (RELOADING=1, then READY=1)" \
	"$(tr '\n' ' ' <"$D/notify.log")" \
	"^READY=1 RELOADING=1 READY=1 RELOADING=1 READY=1 $"

# Observe mode: the table is emptied and nothing is added.
sed -i 's/^backend = pf/backend = pf\nmode = observe/' "$D/mxwall.conf"
: >"$PFLOG"
kill -HUP "$PID"
sleep 0.5
t_check "observe mode empties the pf table" \
	grep -qx "ARGS -t mxtest -T flush" "$PFLOG"
: >"$PFLOG"
"$CTL" "$D/control.sock" block 203.0.113.9 >/dev/null 2>&1
sleep 0.3
t_check "observe mode adds nothing to the pf table" \
	sh -c "! grep -q -- '-T add' '$PFLOG'"

# The periodic snapshot (every 10 s here, from a child process).
started_at=$(stat -c %Y "$D/pid")
left=$((started_at + 11 - $(date +%s)))
[ $left -gt 0 ] && sleep $left
sleep 0.5
t_check "the periodic snapshot holds the latest verdict" \
	grep -q "^203.0.113.9 block manual " "$D/state/verdicts"

lab_stop "$PID"
t_check "stops on SIGTERM" sh -c "! kill -0 $PID 2>/dev/null"
t_eq "STOPPING=1 sent at stop" "$(tail -n 1 "$D/notify.log")" "STOPPING=1"
t_check "snapshot written at stop, with its header" \
	grep -qx "# mxwall verdicts v1" "$D/state/verdicts"
t_check "snapshot keeps the live block" \
	grep -q "^192.0.2.66 block dnsbl 1 " "$D/state/verdicts"
t_check "snapshot drops the expired verdict" \
	sh -c "! grep -q '^192.0.2.77 ' '$D/state/verdicts'"
t_check "no temporary file is left" test ! -e "$D/state/verdicts.tmp"

t_done
