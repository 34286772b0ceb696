# postfix.sh - a real Postfix for integration suites, from a private
# configuration directory inside a network namespace the suite created.
#
# Source it after lib.sh:  . "$(dirname "$0")/lab/postfix.sh"
#
#   pf_setup NS [MAIN.CF LINES...]
#                      write $PF_DIR/main.cf and master.cf: smtpd on port
#                      25 of every address in NS (IPv4 and IPv6), mail
#                      for $PF_DOMAIN relayed to the discard transport
#                      (delivered mail is logged and dropped), then
#                      check_policy_service { unix:private/mxwall,
#                      default_action=DUNNO } after
#                      reject_unauth_destination; extra lines are
#                      appended to main.cf (later lines win)
#   pf_start           start Postfix in NS and wait for port 25
#   pf_stop            stop it (postfix stop, then its master by PID)
#   pf_log             the maillog (Postfix logs there through postlog)
#   pf_wait_log REGEX [SECONDS]   wait until the maillog matches
#   PF_POLICY_SOCKET   where the policy service must listen
#
# Known traps, handled here: `postfix -c DIR` needs an absolute path;
# Postfix's directories must be searchable by user postfix; logging goes
# to a file (maillog_file and the postlog service), so no syslog daemon
# is needed; the queue is private to the suite, so nothing is left
# behind and nothing from the host's Postfix is touched.

PF_DIR=$LABDIR/postfix
PF_SPOOL=$PF_DIR/spool
PF_DOMAIN=${PF_DOMAIN:-example.org}
PF_POLICY_SOCKET=$PF_SPOOL/private/mxwall
PF_NS=""

# pf_setup NS [LINE...] - write the configuration for a Postfix in NS.
pf_setup() {
	PF_NS=$1
	shift
	mkdir -p "$PF_DIR" "$PF_SPOOL" "$PF_DIR/data"
	chmod 755 "$PF_DIR" "$PF_SPOOL"
	chown postfix "$PF_DIR/data"
	cat >"$PF_DIR/main.cf" <<EOF
# main.cf written by tests/lab/postfix.sh
compatibility_level = 3.6
config_directory = $PF_DIR
queue_directory = $PF_SPOOL
data_directory = $PF_DIR/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.lab.example
mydomain = lab.example
mydestination =
relay_domains = $PF_DOMAIN
relay_transport = discard:delivered to the lab's discard transport
default_transport = discard:delivered to the lab's discard transport
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = all
inet_protocols = all
mynetworks = 127.0.0.0/8 [::1]/128
smtpd_banner = \$myhostname ESMTP lab
biff = no
smtpd_recipient_restrictions = permit_mynetworks,
	reject_unauth_destination,
	check_policy_service { unix:private/mxwall, default_action=DUNNO }
smtpd_policy_service_timeout = 30s
maillog_file = $PF_DIR/maillog
maillog_file_prefixes = $LABDIR
EOF
	for l in "$@"; do
		printf '%s\n' "$l" >>"$PF_DIR/main.cf"
	done
	cat >"$PF_DIR/master.cf" <<'EOF'
# master.cf written by tests/lab/postfix.sh: no chroot, log to postlog.
smtp      inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	lab_on_exit pf_stop
}

# pf_start - start Postfix in its namespace; wait until it listens.
pf_start() {
	ip netns exec "$PF_NS" postfix -c "$PF_DIR" start \
		>"$PF_DIR/start.out" 2>&1 || {
		echo "postfix.sh: postfix did not start:" >&2
		cat "$PF_DIR/start.out" >&2
		return 1
	}
	lab_wait_port "$PF_NS" tcp 25 10
}

# pf_stop - stop Postfix; if its master survives, end it by PID.
pf_stop() {
	[ -n "$PF_NS" ] || return 0
	[ -f "$PF_SPOOL/pid/master.pid" ] || return 0
	ip netns exec "$PF_NS" postfix -c "$PF_DIR" stop >/dev/null 2>&1
	pid=$(tr -d ' ' <"$PF_SPOOL/pid/master.pid" 2>/dev/null)
	i=0
	while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	rm -f "$PF_SPOOL/pid/master.pid"
	return 0
}

pf_log() { echo "$PF_DIR/maillog"; }

# pf_wait_log REGEX [SECONDS] - wait until the maillog has a match.
pf_wait_log() {
	i=0 max=$((${2:-10} * 10))
	while [ $i -lt $max ]; do
		grep -Eq -- "$1" "$PF_DIR/maillog" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
