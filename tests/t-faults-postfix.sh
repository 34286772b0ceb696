#!/bin/sh
# t-faults-postfix.sh - Postfix restarted under a running mxwalld.
#
# Namespace "mx" holds a real Postfix (tests/lab/postfix.sh, asking
# check_policy_service unix:private/mxwall), the real mxwalld (policy
# socket only: backend none, so every refusal is visible at RCPT),
# rbldnsd listing 192.0.2.66 and 192.0.2.67 on bl.test, and dnsmasq as
# everybody's resolver; namespace "cl" holds the clients, which send
# with swaks.
#
#   before: the listed client is refused at RCPT naming the list, the
#           good client's mail is delivered;
#   Postfix is stopped and started again (its smtpd processes and their
#           policy connections go away; mxwalld's socket in Postfix's
#           private/ folder must survive);
#   after:  the client refused before is refused again (from the cache),
#           a listed client not seen before is refused too - so Postfix
#           asks mxwalld again - and the good client's mail is
#           delivered; mxwalld ran through it all.
. "$(dirname "$0")/lab/lib.sh"
. "$(dirname "$0")/lab/dns.sh"
. "$(dirname "$0")/lab/postfix.sh"

t_need_root
[ -x "$MXWALLD" ] || t_skip_all "$MXWALLD not built"
for p in postfix swaks rbldnsd dnsmasq; do
	command -v $p >/dev/null 2>&1 ||
		[ -x /usr/sbin/$p ] || t_skip_all "$p is not installed"
done
getent passwd mxwall >/dev/null ||
	useradd --system --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin mxwall ||
	t_skip_all "cannot create the mxwall user"

MX4=192.0.2.1 GOOD4=192.0.2.10 LISTED4=192.0.2.66 NEW4=192.0.2.67
mx=$(lab_ns mx) && cl=$(lab_ns cl) && lab_veth "$mx" mx0 "$cl" cl0 ||
	t_skip_all "cannot create namespaces"
ip -n "$mx" addr add $MX4/24 dev mx0
for a in $GOOD4 $LISTED4 $NEW4; do ip -n "$cl" addr add $a/24 dev cl0; done

# DNS: the list, and names for Postfix and mxwalld.
cat >"$(dns_zone_file bl)" <<EOF
\$SOA 7200 ns.bl.test hostmaster.bl.test 1 600 300 86400 7200
\$TTL 3600
:127.0.0.2:Listed by bl.test
127.0.0.2
$LISTED4
$NEW4
EOF
dns_rbldnsd "$mx" 5301 bl.test:ip4set:bl || t_skip_all "rbldnsd does not start"
mkdir -p "/etc/netns/$mx"
echo "nameserver 127.0.0.1" >"/etc/netns/$mx/resolv.conf"
netns_conf_cleanup() { rm -rf "/etc/netns/$mx"; }
lab_on_exit netns_conf_cleanup
dns_dnsmasq "$mx" 53 --server=/bl.test/127.0.0.1#5301 \
	--host-record=good.client.example,$GOOD4 ||
	t_skip_all "dnsmasq does not start"

pf_setup "$mx"
pf_start || t_skip_all "postfix did not start: $(tail -n 3 "$PF_DIR/start.out")"
chmod 755 "$PF_SPOOL/private"

D=$LABDIR
mkdir -p "$D/state"
chown mxwall "$D/state"
cat >"$D/mxwall.conf" <<EOF
backend = none
state_file = $D/state/verdicts
control_socket = $D/control.sock
policy_listen = unix:$PF_POLICY_SOCKET
policy_socket_mode = 0666
mynetworks = 127.0.0.0/8
dns_servers = 127.0.0.1:53
dnsbl_sites = bl.test
dnsbl_threshold = 1
user = mxwall
EOF
: >"$D/daemon.log"
lab_spawn "$mx" sh -c "exec '$MXWALLD' -f -c '$D/mxwall.conf' \
	</dev/null >/dev/null 2>>'$D/daemon.log'" >"$D/pid"
PID=$(cat "$D/pid")
lab_wait_file "$PF_POLICY_SOCKET" 10 || {
	cat "$D/daemon.log"
	t_skip_all "mxwalld did not start"
}

# mail FROM-ADDR - one message from namespace cl; prints the transcript.
n=0
mail() {
	n=$((n + 1))
	ip netns exec "$cl" swaks --timeout 30 \
		--server $MX4 --local-interface "$1" --helo client.lab.example \
		--from alice@client.example --to bob@example.org \
		--header "Subject: case $n" --body "case $n" 2>&1
}
queued() {
	printf '%s\n' "$1" |
		sed -n 's/.*250 2\.0\.0 Ok: queued as \([0-9A-F]*\).*/\1/p' |
		head -n 1
}
delivered() {
	pf_wait_log " $1: to=<bob@example.org>.*status=sent"
}
# What swaks shows for a refused client (%s: its address).
RCPT_NO="<\\*\\* 554 5\\.7\\.1 <bob@example\\.org>: "
RCPT_NO="${RCPT_NO}Recipient address rejected: "
REFUSED="${RCPT_NO}Service unavailable; Client host \\[%s\\] blocked"
REFUSED="$REFUSED using bl\\.test"

# Before the restart.
out=$(mail $LISTED4)
t_match "before: listed client refused at RCPT naming the list" "$out" \
	"$(printf "$REFUSED" "$LISTED4")"
out=$(mail $GOOD4)
id=$(queued "$out")
t_check "before: good client accepted (queued as $id)" test -n "$id" ||
	printf '%s\n' "$out"
t_check "before: good client's mail delivered" delivered "$id"

# Restart Postfix.
pf_stop
t_check "Postfix stopped" \
	sh -c "! ip netns exec $mx ss -Hltn 'sport = :25' | grep -q ."
t_check "mxwalld's policy socket survives Postfix's stop" \
	test -S "$PF_POLICY_SOCKET"
pf_start
t_check "Postfix started again" lab_wait_port "$mx" tcp 25 10
t_check "mxwalld's policy socket survives Postfix's start" \
	test -S "$PF_POLICY_SOCKET"

# After the restart.
out=$(mail $LISTED4)
t_match "after: the client refused before is refused again" "$out" \
	"$(printf "$REFUSED" "$LISTED4")"
out=$(mail $NEW4)
t_match "after: a new listed client is refused through the policy socket" \
	"$out" "$(printf "$REFUSED" "$NEW4")"
out=$(mail $GOOD4)
id=$(queued "$out")
t_check "after: good client accepted (queued as $id)" test -n "$id"
t_check "after: good client's mail delivered" delivered "$id"
t_check "mxwalld ran through the restart" kill -0 "$PID"
t_check "mxwalld logged no policy protocol error" \
	sh -c "! grep -q 'closing the connection unanswered' '$D/daemon.log'"

t_done
