#!/bin/sh
# t-first-contact.sh - the promise of DESIGN.md's data flow, step 5, with
# every real part in place: the first connection of a new bad client
# reaches Postfix and is refused at RCPT with a readable reason; its
# later connections are dropped in the kernel.
#
# Namespace "mx": Postfix (tests/lab/postfix.sh) asking mxwalld's policy
# socket, mxwalld with the kernel program attached to mx0, rbldnsd
# listing 192.0.2.66 on bl.test, dnsmasq as resolver (PTR names for the
# good client and for a dynamic-looking one). Namespace "cl": the clients,
# sending with swaks.
#
#   - the listed client: 554 at RCPT naming the list; then no answer;
#   - the dynamic client (PTR matches the seed's /\.dynamic\./): the
#     table's text at RCPT; then no answer;
#   - the good client: delivered, twice;
#   - `mxwallctl why` shows the kernel's hits for the dropped attempts.
. "$(dirname "$0")/lab/lib.sh"
. "$(dirname "$0")/lab/dns.sh"
. "$(dirname "$0")/lab/postfix.sh"

t_need_root
[ -x "$MXWALLD" ] || t_skip_all "$MXWALLD not built"
[ -x "$MXWALLCTL" ] || t_skip_all "$MXWALLCTL not built"
t_need_progs postfix swaks rbldnsd dnsmasq
t_need_mxwall_user

MX4=192.0.2.1 GOOD4=192.0.2.10 LISTED4=192.0.2.66 DYN4=192.0.2.77
mx=$(lab_ns mx) && cl=$(lab_ns cl) && lab_veth "$mx" mx0 "$cl" cl0 ||
	t_skip_all "cannot create namespaces"
lab_bpffs_private || t_skip_all "cannot mount a bpf filesystem"
ip -n "$mx" addr add $MX4/24 dev mx0
for a in $GOOD4 $LISTED4 $DYN4; do ip -n "$cl" addr add $a/24 dev cl0; done

cat >"$(dns_zone_file bl)" <<EOF
\$SOA 7200 ns.bl.test hostmaster.bl.test 1 600 300 86400 7200
\$TTL 3600
:127.0.0.2:Listed by bl.test, see http://bl.test/
127.0.0.2
$LISTED4
EOF
dns_rbldnsd "$mx" 5301 bl.test:ip4set:bl || t_skip_all "rbldnsd does not start"
dns_resolv_conf "$mx"
dns_dnsmasq "$mx" 53 --server=/bl.test/127.0.0.1#5301 \
	--host-record=good.client.example,$GOOD4 \
	--host-record=77.2.0.192.dynamic.example.net,$DYN4 ||
	t_skip_all "dnsmasq does not start"

pf_setup "$mx"
pf_start || t_skip_all "postfix did not start: $(tail -n 3 "$PF_DIR/start.out")"
chmod 755 "$PF_SPOOL/private"

D=$LABDIR
mkdir -p "$D/state"
chown mxwall "$D/state"
cat >"$D/mxwall.conf" <<EOF
backend = xdp
interfaces = mx0
pin_path = $LAB_BPFFS/mxwall
state_file = $D/state/verdicts
control_socket = $D/control.sock
policy_listen = unix:$PF_POLICY_SOCKET
policy_socket_mode = 0666
mynetworks = 127.0.0.0/8
dns_servers = 127.0.0.1:53
dnsbl_sites = bl.test
dnsbl_threshold = 1
client_checks = regexp:$TOP/rules/client_check
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
grep -q 'kernel program attached to mx0' "$D/daemon.log" ||
	t_skip_all "the kernel program does not attach here"
ctl() {
	ip netns exec "$mx" "$MXWALLCTL" -s "$D/control.sock" "$@" 2>&1
}

# mail FROM-ADDR [TIMEOUT] - one message from namespace cl.
mail() {
	ip netns exec "$cl" swaks --timeout "${2:-15}" --server $MX4 \
		--local-interface "$1" --helo client.lab.example \
		--from alice@client.example --to bob@example.org 2>&1
}
queued() {
	printf '%s\n' "$1" |
		sed -n 's/.*250 2\.0\.0 Ok: queued as \([0-9A-F]*\).*/\1/p' |
		head -n 1
}
delivered() {
	pf_wait_log " $1: to=<bob@example.org>.*status=sent"
}
# connects ADDR - Postfix's count of connections from ADDR.
connects() {
	grep -c ": connect from [^ ]*\\[$1\\]" "$(pf_log)"
}

# The listed client.
RCPT_NO="<\\*\\* 554 5\\.7\\.1 <bob@example\\.org>: "
RCPT_NO="${RCPT_NO}Recipient address rejected: "
out=$(mail $LISTED4)
t_match "listed client, first contact: refused at RCPT naming the list" \
	"$out" "${RCPT_NO}Service unavailable; Client host \\[$LISTED4\\]"
t_match "listed client, first contact: the reply names the list" "$out" \
	"\\[$LISTED4\\] blocked using bl\\.test"
t_eq "listed client reached Postfix once" "$(connects $LISTED4)" 1
out=$(mail $LISTED4 5)
t_match "listed client, second contact: no answer at all" "$out" \
	'connect: timeout|Timeout|timed out'
t_eq "listed client's second contact never reached Postfix" \
	"$(connects $LISTED4)" 1

# The dynamic-PTR client.
out=$(mail $DYN4)
t_match "dynamic client, first contact: the table's text at RCPT" "$out" \
	"${RCPT_NO}We can’t allow dynamic IP to relay!"
out=$(mail $DYN4 5)
t_match "dynamic client, second contact: no answer at all" "$out" \
	'connect: timeout|Timeout|timed out'
t_eq "dynamic client's second contact never reached Postfix" \
	"$(connects $DYN4)" 1

# The good client, twice.
for i in 1 2; do
	out=$(mail $GOOD4)
	id=$(queued "$out")
	t_check "good client, contact $i: accepted (queued as $id)" \
		test -n "$id"
	t_check "good client, contact $i: delivered" delivered "$id"
done

why=$(ctl why $LISTED4)
t_match "why: the listed client is blocked by the list" "$why" \
	"^$LISTED4: block \\(dnsbl\\)"
t_match "why: the kernel counted the dropped attempt" "$why" \
	'kernel hits: *[1-9]'
t_check "mxwalld is still running" kill -0 "$PID"

t_done
