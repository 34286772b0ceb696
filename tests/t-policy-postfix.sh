#!/bin/sh
# t-policy-postfix.sh - the policy service end to end: a real Postfix, the
# real mxwalld, real DNS.
#
# Namespace "mx" holds Postfix (tests/lab/postfix.sh), which asks mxwalld
# through check_policy_service { unix:private/mxwall,
# default_action=DUNNO }, mxwalld itself (xdp backend on mx0, or backend
# none when the kernel lacks BTF), rbldnsd serving the list bl.example and
# dnsmasq resolving the clients' PTR names for both. swaks sends mail from
# addresses in namespace "cl", over IPv4 and IPv6. mxwall's tables are the
# seed's (rules/sender_check, rules/client_check). Every case asserts on
# what swaks saw and on what Postfix logged:
#   - a good client's mail is delivered (to Postfix's discard transport);
#   - a sender matching /ms[1-9]\.epaper\.com\.tw/ is discarded;
#   - a tenlong.com.tw sender is accepted although /.*dynamic\..*/ would
#     discard it (the first rule wins);
#   - a client whose PTR name matches /\.dynamic\./ is rejected with the
#     table's text on its first connection;
#   - a listed client gets 554 naming the list on its first connection
#     (IPv4 and IPv6), and its next TCP connection is dropped in the
#     kernel (xdp backend only);
#   - with mxwalld stopped, mail is still accepted (default_action=DUNNO).
. "$(dirname "$0")/lab/lib.sh"
. "$(dirname "$0")/lab/dns.sh"
. "$(dirname "$0")/lab/postfix.sh"

t_need_root
[ -x "$MXWALLD" ] || t_skip_all "$MXWALLD is not built"
t_need_progs postfix swaks dnsmasq rbldnsd
t_need_mxwall_user
BACKEND=xdp
[ -r /sys/kernel/btf/vmlinux ] || BACKEND=none
lab_bpffs_private || BACKEND=none

# IPv6 verdicts cover a /64 (ipv6_prefix): the good IPv6 client lives in
# another /64 than the listed one, each with an MX address on the link.
MX4=192.0.2.1 MX6=2001:db8:1::1 MX6B=2001:db8:2::1
GOOD4=192.0.2.10 LISTED4=192.0.2.66 DYN4=192.0.2.77
GOOD6=2001:db8:2::10 LISTED6=2001:db8:1::66
D=$LABDIR

# The lab: Postfix's namespace and the clients' one, one link between.
mx=$(lab_ns mx) && cl=$(lab_ns cl) || t_skip_all "cannot create namespaces"
lab_veth "$mx" mx0 "$cl" cl0 || t_skip_all "cannot create veth"
ip -n "$mx" addr add $MX4/24 dev mx0
ip -n "$mx" addr add $MX6/64 dev mx0 nodad
ip -n "$mx" addr add $MX6B/64 dev mx0 nodad
for a in $GOOD4 $LISTED4 $DYN4; do ip -n "$cl" addr add $a/24 dev cl0; done
for a in $GOOD6 $LISTED6; do ip -n "$cl" addr add $a/64 dev cl0 nodad; done

# DNS in the mx namespace: the list, and the names Postfix and mxwalld see.
cat >"$(dns_zone_file bl4)" <<'EOF'
$SOA 600 ns.bl.example hostmaster.bl.example 1 600 300 86400 600
$TTL 600
:127.0.0.2:Listed by the lab, see http://bl.example/
127.0.0.2
192.0.2.66
EOF
cat >"$(dns_zone_file bl6)" <<'EOF'
$TTL 600
:127.0.0.2:Listed by the lab, see http://bl.example/
::ffff:7f00:2
2001:db8:1::66
EOF
dns_rbldnsd "$mx" 5301 bl.example:ip4set:bl4 bl.example:ip6trie:bl6 ||
	t_skip_all "rbldnsd does not start here"
dns_dnsmasq "$mx" 53 --server=/bl.example/127.0.0.1#5301 \
	--local=/example/ --local=/example.net/ \
	--host-record=good.client.example,$GOOD4 \
	--host-record=good6.client.example,$GOOD6 \
	--host-record=77.2.0.192.dynamic.example.net,$DYN4 ||
	t_skip_all "dnsmasq does not start here"
dns_resolv_conf "$mx"

# Postfix first: it creates the private/ folder mxwalld listens in.
pf_setup "$mx"
pf_start || t_skip_all "postfix did not start: $(tail -n 3 "$PF_DIR/start.out")"
chmod 755 "$PF_SPOOL/private"

mkdir -p "$D/state"
chown mxwall "$D/state"
# conf - write mxwall.conf for $BACKEND.
conf() {
	cat >"$D/mxwall.conf" <<EOF
backend = $BACKEND
interfaces = mx0
attach_mode = generic
pin_path = ${LAB_BPFFS:-$D}/mxwall
control_socket = $D/control.sock
state_file = $D/state/verdicts
policy_listen = unix:$PF_POLICY_SOCKET
user = mxwall
mynetworks = 127.0.0.0/8, [::1]/128
dns_servers = 127.0.0.1:53
dnsbl_sites = bl.example
dnsbl_threshold = 1
client_checks = regexp:$TOP/rules/client_check
sender_checks = regexp:$TOP/rules/sender_check
EOF
}
# start - run mxwalld in the mx namespace; 0 once it says "started:".
start() {
	conf
	: >"$D/mxwalld.log"
	DPID=$(lab_spawn "$mx" sh -c "exec '$MXWALLD' -f -c '$D/mxwall.conf' \
		</dev/null >/dev/null 2>>'$D/mxwalld.log'")
	i=0
	while [ $i -lt 100 ] && ! grep -q "started:" "$D/mxwalld.log"; do
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	grep -q "started:" "$D/mxwalld.log"
}
# Without the kernel program the policy service is still worth testing.
if ! start && [ "$BACKEND" = xdp ]; then
	echo "mxwalld did not start with the xdp backend:"
	cat "$D/mxwalld.log"
	BACKEND=none
	start
fi
grep -q "started:" "$D/mxwalld.log" || {
	cat "$D/mxwalld.log"
	t_skip_all "mxwalld does not start here (its log is above)"
}
t_pass "mxwalld started (backend $BACKEND) and listens for Postfix"

# mail FROM-ADDR SERVER SENDER [TIMEOUT] - one message from namespace
# cl; prints swaks' transcript.
n=0
mail() {
	n=$((n + 1))
	ip netns exec "$cl" swaks --timeout "${4:-15}" \
		--server "$2" --local-interface "$1" --helo client.lab.example \
		--from "$3" --to "bob@example.org" \
		--header "Subject: case $n" --body "case $n" 2>&1
}

# queued TRANSCRIPT - the queue id Postfix gave, or nothing.
queued() {
	printf '%s\n' "$1" |
		sed -n 's/.*250 2\.0\.0 Ok: queued as \([0-9A-F]*\).*/\1/p' |
		head -n 1
}

# Pieces of the lines Postfix writes (extended regular expressions).
RCPT='<bob@example\.org>: Recipient address'
SENT="status=sent \\(delivered to the lab's discard transport\\)"
DYNTEXT='We can’t allow dynamic IP to relay!'
# listed ADDR - the reject text of a listed client, as a regex.
listed() {
	printf '%s%s%s\n' 'Service unavailable; Client host \[' "$1" \
		'\] blocked using bl\.example'
}
# A long regex below is split across lines with "$(:<newline>)", which
# expands to nothing.

# delivered ID - Postfix logged the message's delivery to discard.
delivered() {
	[ -n "$1" ] &&
		pf_wait_log " $1: to=<bob@example.org>.*relay=none.*$SENT"
}

# no_answer TRANSCRIPT - swaks never got a banner: dropped on the way.
no_answer() {
	printf '%s\n' "$1" | grep -qi 'error connecting\|timed* *out' &&
		! printf '%s\n' "$1" | grep -q '^<- *220 '
}

# 1. A good client: delivered.
out=$(mail $GOOD4 $MX4 alice@good.example)
id=$(queued "$out")
t_check "good IPv4 client: accepted (queued as $id)" test -n "$id"
t_check "good IPv4 client: delivered to the discard transport" delivered "$id"

# 2. The seed's PChome rule: discarded, and Postfix says so.
out=$(mail $GOOD4 $MX4 news@ms1.epaper.com.tw)
id=$(queued "$out")
t_check "ms1.epaper.com.tw sender: accepted at SMTP (queued as $id)" \
	test -n "$id"
t_check "ms1.epaper.com.tw sender: Postfix logs the discard" pf_wait_log \
	"NOQUEUE: discard: RCPT from good\\.client\\.example\\[$GOOD4\\]: $(:
	)$RCPT PC HOME Spam; from=<news@ms1\\.epaper\\.com\\.tw>"
t_check "ms1.epaper.com.tw sender: never delivered" \
	sh -c "! grep -q ' $id: to=<bob@example.org>.*status=sent' $(pf_log)"

# 3. tenlong.com.tw: OK comes before the dynamic rule that would discard.
out=$(mail $GOOD4 $MX4 promo@dynamic.tenlong.com.tw)
id=$(queued "$out")
t_check "dynamic.tenlong.com.tw sender: accepted (queued as $id)" \
	test -n "$id"
t_check "dynamic.tenlong.com.tw sender: delivered, not discarded" \
	delivered "$id"
t_check "dynamic.tenlong.com.tw sender: mxwalld's POLICY line names rule OK" \
	grep -q "POLICY action=ok .*from=<promo@dynamic.tenlong.com.tw>.*$(:
	)check=sender_checks table=regexp:$TOP/rules/sender_check" \
	"$D/mxwalld.log"

# 4. A client whose PTR name is dynamic: the table's text, at once.
out=$(mail $DYN4 $MX4 alice@good.example)
t_match "dynamic PTR client: swaks sees the table's text at RCPT" "$out" \
	"<\\*\\* 554 5\\.7\\.1 $RCPT rejected: $DYNTEXT"
t_check "dynamic PTR client: Postfix logs the reject with the PTR name" \
	pf_wait_log "NOQUEUE: reject: RCPT from $(:
	)77\\.2\\.0\\.192\\.dynamic\\.example\\.net\\[$DYN4\\]: $(:
	)554 5\\.7\\.1 $RCPT rejected: $DYNTEXT"

# 5. A listed client, IPv4 and IPv6: 554 naming the list, with its TXT
# (kept in the verdict cache, so also when the kernel reported it first).
out=$(mail $LISTED4 $MX4 alice@good.example)
t_match "listed IPv4 client: 554 naming the list on its first connection" \
	"$out" "<\\*\\* 554 5\\.7\\.1 $RCPT rejected: $(listed $LISTED4)$(:
	); Listed by the lab, see http://bl\\.example/\$"
t_check "listed IPv4 client: Postfix logs the reject" pf_wait_log \
	"NOQUEUE: reject: RCPT from unknown\\[$LISTED4\\]: $(:
	)554 5\\.7\\.1 $RCPT rejected: $(listed $LISTED4)"
out=$(mail $LISTED6 "[$MX6]" alice@good.example)
t_match "listed IPv6 client: 554 naming the list on its first connection" \
	"$out" "<\\*\\* 554 5\\.7\\.1 $RCPT rejected: $(listed $LISTED6)$(:
	); Listed by the lab, see http://bl\\.example/\$"
t_check "listed IPv6 client: Postfix logs the reject" pf_wait_log \
	"NOQUEUE: reject: RCPT from unknown\\[$LISTED6\\]: $(:
	)554 5\\.7\\.1 $RCPT rejected: $(listed $LISTED6)"

# 6. The next connections of the blocked clients never reach Postfix.
if [ "$BACKEND" = xdp ]; then
	sleep 0.5
	for a in $LISTED4 $DYN4; do
		c=$(grep -c "connect from .*\\[$a\\]" "$(pf_log)")
		out=$(mail $a $MX4 alice@good.example 3)
		t_check "$a again: no answer, dropped in the kernel" \
			no_answer "$out"
		t_eq "$a again: Postfix never saw the connection" \
			"$(grep -c "connect from .*\\[$a\\]" "$(pf_log)")" "$c"
	done
else
	t_skip "kernel drop of the next connection: no BTF, backend none"
fi

# 7. A good IPv6 client: delivered.
out=$(mail $GOOD6 "[$MX6B]" alice@good.example)
id=$(queued "$out")
t_check "good IPv6 client: accepted (queued as $id)" test -n "$id"
t_check "good IPv6 client: delivered to the discard transport" \
	delivered "$id"

# mxwalld logged one POLICY line per answer that was not DUNNO.
t_eq "POLICY lines: one per answer that was not DUNNO" \
	"$(grep -c 'POLICY action=' "$D/mxwalld.log")" 5
t_check "no request was refused as malformed" \
	sh -c "! grep -q 'closing the connection unanswered' $D/mxwalld.log"

# 8. mxwalld stopped: mail still flows (default_action=DUNNO).
kill "$DPID"
i=0
while kill -0 "$DPID" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
t_check "mxwalld stopped" sh -c "! kill -0 $DPID 2>/dev/null"
out=$(mail $GOOD4 $MX4 alice@good.example)
id=$(queued "$out")
t_check "mxwalld stopped: mail is still accepted (queued as $id)" \
	test -n "$id"
t_check "mxwalld stopped: Postfix used default_action" pf_wait_log \
	"warning: problem talking to server private/mxwall"
t_check "mxwalld stopped: and delivered the mail" delivered "$id"

t_done
