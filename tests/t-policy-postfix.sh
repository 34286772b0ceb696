#!/bin/sh
# t-policy-postfix.sh - the policy service end to end, with a real Postfix.
#
# Postfix (tests/lab/postfix.sh) runs in namespace "mx" and asks the
# policy service through check_policy_service { unix:private/mxwall,
# default_action=DUNNO }; dnsmasq in "mx" gives Postfix the clients' PTR
# names; swaks sends mail from addresses in namespace "cl" over IPv4 and
# IPv6. mxwall's tables are the seed's (rules/sender_check,
# rules/client_check). Every case asserts on what swaks saw and on what
# Postfix logged:
#   - a sender matching /ms[1-9]\.epaper\.com\.tw/ is discarded;
#   - a tenlong.com.tw sender is accepted although /.*dynamic\..*/ would
#     discard it (the first rule wins);
#   - a client whose PTR name matches /\.dynamic\./ is rejected with the
#     table's text;
#   - a listed client gets 554 naming the list (IPv4 and IPv6);
#   - a good client's mail is delivered (to Postfix's discard transport);
#   - with the policy service stopped, mail is still accepted
#     (default_action=DUNNO).
#
# The policy service is build/tools/policy_fake: the real policy code
# (daemon/policy.c) with client verdicts from a file, standing in for
# mxwalld's evaluator (the file says what the evaluator would decide for
# these clients from the same tables and lists).
. "$(dirname "$0")/lab/lib.sh"
. "$(dirname "$0")/lab/dns.sh"
. "$(dirname "$0")/lab/postfix.sh"

t_need_root
for p in postfix swaks dnsmasq; do
	command -v $p >/dev/null 2>&1 ||
		[ -x /usr/sbin/$p ] || t_skip_all "$p is not installed"
done
POLICYD=$BUILD/tools/policy_fake
[ -x "$POLICYD" ] || t_skip_all "$POLICYD is not built"

MX4=192.0.2.1 MX6=2001:db8:1::1
GOOD4=192.0.2.10 LISTED4=192.0.2.66 DYN4=192.0.2.77
GOOD6=2001:db8:1::10 LISTED6=2001:db8:1::66

# The lab: Postfix's namespace and the clients' one, one link between.
mx=$(lab_ns mx) && cl=$(lab_ns cl) || t_skip_all "cannot create namespaces"
lab_veth "$mx" mx0 "$cl" cl0
ip -n "$mx" addr add $MX4/24 dev mx0
ip -n "$mx" addr add $MX6/64 dev mx0 nodad
for a in $GOOD4 $LISTED4 $DYN4; do ip -n "$cl" addr add $a/24 dev cl0; done
for a in $GOOD6 $LISTED6; do ip -n "$cl" addr add $a/64 dev cl0 nodad; done

# Postfix resolves through dnsmasq inside its namespace.
mkdir -p "/etc/netns/$mx"
echo "nameserver 127.0.0.1" >"/etc/netns/$mx/resolv.conf"
netns_conf_cleanup() { rm -rf "/etc/netns/$mx"; }
lab_on_exit netns_conf_cleanup
dns_dnsmasq "$mx" 53 \
	--host-record=good.client.example,$GOOD4 \
	--host-record=good6.client.example,$GOOD6 \
	--host-record=77.2.0.192.dynamic.example.net,$DYN4 ||
	t_skip_all "dnsmasq did not start"

# The policy service: the seed's tables, verdicts for the three clients.
cat >"$LABDIR/mxwall.conf" <<EOF
backend = none
policy_listen = unix:$PF_POLICY_SOCKET
policy_socket_mode = 0666
client_checks = regexp:$TOP/rules/client_check
sender_checks = regexp:$TOP/rules/sender_check
EOF
cat >"$LABDIR/verdicts" <<EOF
$GOOD4 allow
$GOOD6 allow
$LISTED4 block dnsbl bl.example Listed by the lab, see http://bl.example/
$LISTED6 block dnsbl bl.example Listed by the lab, see http://bl.example/
$DYN4 block rule regexp:$TOP/rules/client_check 14 REJECT We can’t allow dynamic IP to relay!
EOF

pf_setup "$mx"
pf_start || t_skip_all "postfix did not start: $(tail -n 3 "$PF_DIR/start.out")"
chmod 755 "$PF_SPOOL/private"
policy_pid=$(lab_spawn - sh -c "exec '$POLICYD' -c '$LABDIR/mxwall.conf' \
	-V '$LABDIR/verdicts' >/dev/null 2>'$LABDIR/policy.log'")
lab_wait_file "$PF_POLICY_SOCKET" 5 || {
	cat "$LABDIR/policy.log"
	t_skip_all "the policy service did not start"
}

# mail FROM-ADDR SERVER SENDER - one message from namespace cl; prints
# swaks' transcript.
n=0
mail() {
	n=$((n + 1))
	ip netns exec "$cl" swaks --timeout 30 \
		--server "$2" --local-interface "$1" --helo client.lab.example \
		--from "$3" --to "bob@example.org" \
		--header "Subject: case $n" --body "case $n" 2>&1
}

# queued TRANSCRIPT - the queue id Postfix gave, or nothing.
queued() {
	printf '%s\n' "$1" | sed -n 's/.*250 2\.0\.0 Ok: queued as \([0-9A-F]*\).*/\1/p' |
		head -n 1
}

# delivered ID - Postfix logged the message's delivery to discard.
delivered() {
	pf_wait_log " $1: to=<bob@example.org>.*relay=none.*status=sent \\(delivered to the lab's discard transport\\)"
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
	"NOQUEUE: discard: RCPT from good\\.client\\.example\\[$GOOD4\\]: <bob@example\\.org>: Recipient address PC HOME Spam; from=<news@ms1\\.epaper\\.com\\.tw> to=<bob@example\\.org>"
t_check "ms1.epaper.com.tw sender: never delivered" \
	sh -c "! grep -q ' $id: to=<bob@example.org>.*status=sent' $(pf_log)"

# 3. tenlong.com.tw: OK comes before the dynamic rule that would discard.
out=$(mail $GOOD4 $MX4 promo@dynamic.tenlong.com.tw)
id=$(queued "$out")
t_check "dynamic.tenlong.com.tw sender: accepted (queued as $id)" \
	test -n "$id"
t_check "dynamic.tenlong.com.tw sender: delivered, not discarded" \
	delivered "$id"
t_check "dynamic.tenlong.com.tw sender: the POLICY line names rule OK" \
	grep -q "POLICY action=ok .*from=<promo@dynamic.tenlong.com.tw>.*check=sender_checks table=regexp:$TOP/rules/sender_check" \
	"$LABDIR/policy.log"

# 4. A client whose PTR name is dynamic: the table's text.
out=$(mail $DYN4 $MX4 alice@good.example)
t_match "dynamic PTR client: swaks sees the table's text at RCPT" "$out" \
	"<\\*\\* 554 5\\.7\\.1 <bob@example\\.org>: Recipient address rejected: We can’t allow dynamic IP to relay!"
t_check "dynamic PTR client: Postfix logs the reject with the PTR name" \
	pf_wait_log "NOQUEUE: reject: RCPT from 77\\.2\\.0\\.192\\.dynamic\\.example\\.net\\[$DYN4\\]: 554 5\\.7\\.1 <bob@example\\.org>: Recipient address rejected: We can’t allow dynamic IP to relay!"

# 5. A listed client, IPv4 and IPv6: 554 naming the list.
out=$(mail $LISTED4 $MX4 alice@good.example)
t_match "listed IPv4 client: 554 naming the list" "$out" \
	"<\\*\\* 554 5\\.7\\.1 <bob@example\\.org>: Recipient address rejected: Service unavailable; Client host \\[$LISTED4\\] blocked using bl\\.example; Listed by the lab, see http://bl\\.example/"
t_check "listed IPv4 client: Postfix logs the reject" pf_wait_log \
	"NOQUEUE: reject: RCPT from unknown\\[$LISTED4\\]: 554 5\\.7\\.1 <bob@example\\.org>: Recipient address rejected: Service unavailable; Client host \\[$LISTED4\\] blocked using bl\\.example"
out=$(mail $LISTED6 "[$MX6]" alice@good.example)
t_match "listed IPv6 client: 554 naming the list" "$out" \
	"<\\*\\* 554 5\\.7\\.1 <bob@example\\.org>: Recipient address rejected: Service unavailable; Client host \\[$LISTED6\\] blocked using bl\\.example"
t_check "listed IPv6 client: Postfix logs the reject" pf_wait_log \
	"NOQUEUE: reject: RCPT from unknown\\[$LISTED6\\]: 554 5\\.7\\.1 <bob@example\\.org>: Recipient address rejected: Service unavailable; Client host \\[$LISTED6\\] blocked using bl\\.example"

# 6. A good IPv6 client: delivered.
out=$(mail $GOOD6 "[$MX6]" alice@good.example)
id=$(queued "$out")
t_check "good IPv6 client: accepted (queued as $id)" test -n "$id"
t_check "good IPv6 client: delivered to the discard transport" \
	delivered "$id"

# 7. The policy service stopped: mail still flows (default_action=DUNNO).
kill "$policy_pid"
i=0
while kill -0 "$policy_pid" 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
t_check "policy service stopped: its socket is gone" \
	test ! -e "$PF_POLICY_SOCKET"
out=$(mail $LISTED4 $MX4 alice@good.example)
id=$(queued "$out")
t_check "policy service stopped: even the listed client is accepted" \
	test -n "$id"
t_check "policy service stopped: Postfix used default_action" pf_wait_log \
	"warning: problem talking to server private/mxwall"
t_check "policy service stopped: and delivered the mail" delivered "$id"

# The service logged one POLICY line per answer that was not DUNNO.
t_eq "POLICY lines: one per answer that was not DUNNO" \
	"$(grep -c 'POLICY action=' "$LABDIR/policy.log")" 5
t_check "no request was refused as malformed" \
	sh -c "! grep -q 'closing the connection unanswered' $LABDIR/policy.log"

t_done
