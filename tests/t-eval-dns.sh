#!/bin/sh
# t-eval-dns.sh - the verdict engine against real DNS servers.
#
# Inside a namespace of its own, rbldnsd serves test lists (DNSBL, DNSWL,
# RHSBL, a filtered list, a list answering 127.255.255.254, a list that
# lists the world) and dnsmasq resolves PTR/A/AAAA and forwards the list
# zones to rbldnsd; one list's client queries go to a server that never
# answers. tests/tools/evaltool runs the evaluator and prints each
# verdict with its evidence; the checks read what a user would see there
# and in the log lines.
. "$(dirname "$0")/lab/lib.sh"
. "$(dirname "$0")/lab/dns.sh"

t_need_root
EVALTOOL=$BUILD/tools/evaltool
# EVAL_WRAP="valgrind -q --error-exitcode=9" runs the tool under a checker.
EVAL_WRAP=${EVAL_WRAP:-}
[ -x "$EVALTOOL" ] || t_skip_all "no $EVALTOOL (run make first)"
command -v rbldnsd >/dev/null || t_skip_all "rbldnsd is not installed"
command -v dnsmasq >/dev/null || t_skip_all "dnsmasq is not installed"

NS=$(lab_ns dns) || t_skip_all "cannot create a network namespace"
RBL=5301

# ---- the lists ----
cat >"$(dns_zone_file bl4)" <<'EOF'
$SOA 7200 ns.bl.test hostmaster.bl.test 1 600 300 86400 7200
$TTL 10
:127.0.0.2:Listed by bl.test, see http://bl.test/?$
127.0.0.2
192.0.2.66
192.0.2.70
10.66.0.0/16
EOF
cat >"$(dns_zone_file bl6)" <<'EOF'
$TTL 10
:127.0.0.2:Listed by bl.test (IPv6)
::ffff:7f00:2
2001:db8:66::/64
EOF
cat >"$(dns_zone_file bl2)" <<'EOF'
$SOA 7200 ns.bl2.test hostmaster.bl2.test 1 600 300 86400 7200
$TTL 2d
:127.0.0.2:Listed by bl2.test
127.0.0.2
192.0.2.67
192.0.2.68
192.0.2.69
192.0.2.71
EOF
cat >"$(dns_zone_file fil)" <<'EOF'
$SOA 7200 ns.fil.test hostmaster.fil.test 1 600 300 86400 7200
$TTL 300
127.0.0.2 :127.0.0.7:test point
192.0.2.68 :127.0.0.7:fil.test says 7
192.0.2.69 :127.0.0.5:fil.test says 5
EOF
cat >"$(dns_zone_file wl)" <<'EOF'
$SOA 7200 ns.wl.test hostmaster.wl.test 1 600 300 86400 7200
$TTL 300
:127.0.0.2:Known good sender
127.0.0.2
192.0.2.70
EOF
cat >"$(dns_zone_file err)" <<'EOF'
$SOA 7200 ns.err.test hostmaster.err.test 1 600 300 86400 7200
$TTL 300
127.0.0.2 :127.0.0.2:test point
192.0.2.71 :127.255.255.254:Query refused: public resolver
EOF
cat >"$(dns_zone_file wild)" <<'EOF'
$SOA 7200 ns.wild.test hostmaster.wild.test 1 600 300 86400 7200
$TTL 300
:127.0.0.2:Everything is listed
0.0.0.0/1
128.0.0.0/1
EOF
cat >"$(dns_zone_file rhs)" <<'EOF'
$SOA 7200 ns.rhs.test hostmaster.rhs.test 1 600 300 86400 7200
$TTL 300
:127.0.0.2:Name listed by rhs.test
test
bad.example.org
EOF
cat >"$(dns_zone_file flip)" <<'EOF'
$SOA 7200 ns.flip.test hostmaster.flip.test 1 600 300 86400 7200
127.0.0.0/24
EOF
cat >"$(dns_zone_file slow)" <<'EOF'
$SOA 7200 ns.slow.test hostmaster.slow.test 1 600 300 86400 7200
127.0.0.2
EOF

dns_rbldnsd "$NS" $RBL bl.test:ip4set:bl4 bl.test:ip6trie:bl6 \
	bl2.test:ip4set:bl2 fil.test:ip4set:fil wl.test:ip4set:wl \
	err.test:ip4set:err wild.test:ip4set:wild rhs.test:dnset:rhs \
	slow.test:ip4set:slow flip.test:ip4set:flip list.dsbl.org:ip4set:wild \
	relays.maps.vix.com:ip4set:wild cbl.anti-spam.org.cn:ip4set:wild ||
	t_skip_all "rbldnsd does not start here"

# slow.test: the test points go to rbldnsd (so the list passes its
# probe), every other query to an address that swallows packets.
dns_silent "$NS" 5399
V6P=0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0
FWD=""
for z in bl.test bl2.test fil.test wl.test err.test wild.test rhs.test \
    flip.test list.dsbl.org relays.maps.vix.com cbl.anti-spam.org.cn; do
	FWD="$FWD --server=/$z/127.0.0.1#$RBL"
done
for p in 1.0.0.127 2.0.0.127 "1.$V6P" "2.$V6P"; do
	FWD="$FWD --server=/$p.slow.test/127.0.0.1#$RBL"
done
FWD="$FWD --server=/slow.test/127.0.0.1#5399"

# shellcheck disable=SC2086
dns_dnsmasq "$NS" 53 $FWD --local=/example.net/ --local=/example.org/ \
	--host-record=c-10.dynamic.example.net,198.51.100.10 \
	--ptr-record=11.100.51.198.in-addr.arpa,x.dynamic.forged.example.net \
	--host-record=x.dynamic.forged.example.net,198.51.100.99 \
	--host-record=mail.example.net,198.51.100.13 \
	--host-record=bad.example.org,198.51.100.14 \
	--host-record=mail6.example.net,2001:db8:66::25 ||
	t_skip_all "dnsmasq does not start here"

# conf NAME EXTRA... - write a configuration; common settings first.
conf() {
	f=$LABDIR/$1.conf
	shift
	{
		echo "dns_servers = 127.0.0.1:53"
		echo "dns_query_timeout = 1s"
		echo "dns_query_tries = 1"
		echo "dnsbl_timeout = 3s"
		echo "dnsbl_min_ttl = 60s"
		echo "dnsbl_max_ttl = 1h"
		echo "mynetworks = 127.0.0.0/8"
		echo "client_checks = regexp:$TOP/rules/client_check"
		for l in "$@"; do echo "$l"; done
	} >"$f"
	echo "$f"
}

MAIN=$(conf main \
	"dnsbl_sites = bl.test*2, bl2.test, fil.test=127.0.0.[4;6..8]," \
	"	wl.test*-3, err.test*2, wild.test*2" \
	"dnsbl_threshold = 2" "dnsbl_allowlist_threshold = -1" \
	"rhsbl_sites = rhs.test*2")

# verdict OUT ADDR - the summary line of ADDR's verdict in OUT.
verdict() { printf '%s\n' "$1" | grep -E "^$2 " | head -n 1; }
# evidence OUT ADDR LIST - ADDR's evidence line for LIST.
evidence() {
	printf '%s\n' "$1" | awk -v a="$2" -v l="$3" '
		/^[^ ]/ { on = ($1 == a) }
		on && $2 ~ "^" l { print; exit }'
}
# detail OUT ADDR KEY - ADDR's indented line starting with KEY.
detail() {
	printf '%s\n' "$1" | awk -v a="$2" -v k="$3" '
		/^[^ ]/ { on = ($1 == a) }
		on && $1 == k { print; exit }'
}

OUT=$(ip netns exec "$NS" $EVAL_WRAP "$EVALTOOL" -w -c "$MAIN" -L \
	2>"$LABDIR/main.err" <<'EOF'
192.0.2.66
192.0.2.1
192.0.2.67
192.0.2.68
192.0.2.69
192.0.2.70
192.0.2.71
2001:db8:66::1234
2001:db8:67::1
198.51.100.10
198.51.100.11
198.51.100.12
198.51.100.13
198.51.100.14
2001:db8:66::25
127.0.0.5
EOF
)
ERR=$(cat "$LABDIR/main.err")
echo "$OUT" | sed 's/^/# /'
echo "$ERR" | sed 's/^/# log: /'

# Listed / unlisted.
t_match "listed client is blocked by bl.test with its reply and weight" \
	"$(verdict "$OUT" 192.0.2.66)" "action=BLOCK reason=dnsbl score=2 "
t_match "the block names the list, reply and TXT" \
	"$(detail "$OUT" 192.0.2.66 decided-by)" \
	'decided-by bl.test reply=127.0.0.2 txt="Listed by bl.test, see http://bl.test/\?192.0.2.66"'
t_match "the BLOCK log line has list, reply, score and ttl" "$ERR" \
	'BLOCK client=\[192.0.2.66\] name=unknown reason=dnsbl list=bl.test reply=127.0.0.2 score=2 ttl=60'
t_match "unlisted client gets no verdict" \
	"$(verdict "$OUT" 192.0.2.1)" "action=NONE reason=none score=0 "

# Two lists adding up; filters.
t_match "one weight-1 list alone stays under the threshold" \
	"$(verdict "$OUT" 192.0.2.67)" "action=NONE reason=none score=1 "
t_match "bl2.test + fil.test (filter match) add up to a block" \
	"$(verdict "$OUT" 192.0.2.68)" "action=BLOCK reason=dnsbl score=2 "
t_match "fil.test reply 127.0.0.7 matches 127.0.0.[4;6..8]" \
	"$(evidence "$OUT" 192.0.2.68 fil.test)" "listed reply=127.0.0.7"
t_match "fil.test reply 127.0.0.5 does not match the filter" \
	"$(evidence "$OUT" 192.0.2.69 fil.test)" "unmatched reply=127.0.0.5"
t_match "a reply outside the filter adds nothing" \
	"$(verdict "$OUT" 192.0.2.69)" "action=NONE reason=none score=1 "

# DNSWL.
t_match "DNSWL -3 pulls a bl.test listing under the allow threshold" \
	"$(verdict "$OUT" 192.0.2.70)" "action=ALLOW reason=dnswl score=-1 "
t_match "the allow names the DNSWL" \
	"$(detail "$OUT" 192.0.2.70 decided-by)" "decided-by wl.test "

# 127.255.255.0/24 is an error, never a listing.
t_match "127.255.255.254 counts as a list error" \
	"$(evidence "$OUT" 192.0.2.71 err.test)" "error reply=127.255.255.254"
t_match "the error reply adds no weight" \
	"$(verdict "$OUT" 192.0.2.71)" "action=NONE reason=none score=1 "

# IPv6.
t_match "IPv6 client inside a listed /64 is blocked (32-nibble query)" \
	"$(verdict "$OUT" 2001:db8:66::1234)" \
	"^2001:db8:66::1234 2001:db8:66::/64 action=BLOCK reason=dnsbl"
t_match "IPv6 client outside the /64 is not" \
	"$(verdict "$OUT" 2001:db8:67::1)" "action=NONE"
t_eq "rbldnsd saw the 32 reversed nibbles" \
	"$(dns_query_count "$DNS_DIR/rbldnsd-$RBL.log" \
	' 4\.3\.2\.1(\.0){16}\.6\.6\.0\.0\.8\.b\.d\.0\.1\.0\.0\.2\.bl\.test A IN')" 1

# PTR and forward confirmation.
t_match "PTR with .dynamic. (verified) hits client_check line 14" \
	"$(verdict "$OUT" 198.51.100.10)" "action=BLOCK reason=rule "
t_match "the rule evidence has file:line, key and text" \
	"$(detail "$OUT" 198.51.100.10 rule)" \
	"rule regexp:$TOP/rules/client_check:14 key=\"c-10.dynamic.example.net\" result=\"REJECT We can"
t_match "forged PTR: name unknown, forward confirmation failed" \
	"$(detail "$OUT" 198.51.100.11 ptr=\"x.dynamic.forged.example.net\")" \
	'name="unknown" fcrdns=mismatch'
t_match "forged .dynamic. PTR is not matched by client_checks" \
	"$(verdict "$OUT" 198.51.100.11)" "action=NONE"
t_match "no PTR: name unknown" \
	"$(detail "$OUT" 198.51.100.12 'ptr=""')" 'name="unknown" fcrdns=no-ptr'
t_match "verified name" \
	"$(detail "$OUT" 198.51.100.13 'ptr="mail.example.net"')" \
	'name="mail.example.net" fcrdns=verified'
t_match "IPv6 forward confirmation by AAAA" \
	"$(detail "$OUT" 2001:db8:66::25 'ptr="mail6.example.net"')" \
	'fcrdns=verified'
t_match "RHSBL on the verified name blocks" \
	"$(verdict "$OUT" 198.51.100.14)" "action=BLOCK reason=rhsbl score=2"
t_match "mynetworks is allowed without any query" \
	"$(verdict "$OUT" 127.0.0.5)" "action=ALLOW reason=static"

# Health: the list that lists 127.0.0.1 is quarantined, and harmless.
t_match "wild.test is quarantined (lists 127.0.0.1)" "$OUT" \
	'^list wild.test\*2 dnsbl quarantined .*why="lists 127.0.0.1'
t_match "QUARANTINE log line" "$ERR" \
	'QUARANTINE list=wild.test why="lists 127.0.0.1'
t_match "a quarantined list weighs nothing" \
	"$(evidence "$OUT" 192.0.2.1 wild.test)" "quarantined"
t_match "healthy lists are ok" "$OUT" '^list bl.test\*2 dnsbl ok '

# TTL clamping: bl.test's 10 s TTL -> 60 s; NXDOMAIN SOA 7200 s -> 1 h.
t_match "TTL under dnsbl_min_ttl is raised" \
	"$(verdict "$OUT" 192.0.2.66)" " ttl=60$"
t_match "NXDOMAIN SOA TTL over dnsbl_max_ttl is cut" \
	"$(verdict "$OUT" 192.0.2.1)" " ttl=3600$"
t_match "list evidence keeps the TTL as served" \
	"$(evidence "$OUT" 192.0.2.67 bl2.test)" "ttl=172800"

# A list whose server does not answer: time-out, no block, rest decide.
SLOW=$(conf slow "dnsbl_sites = slow.test*2, bl.test*2" \
	"dnsbl_threshold = 2")
OUT=$(ip netns exec "$NS" $EVAL_WRAP "$EVALTOOL" -w -c "$SLOW" -L 192.0.2.1 \
	192.0.2.66 2>"$LABDIR/slow.err")
echo "$OUT" | sed 's/^/# /'
t_match "slow.test passed its probe" "$OUT" '^list slow.test\*2 dnsbl ok'
t_match "slow.test timed out for a client" \
	"$(evidence "$OUT" 192.0.2.1 slow.test)" "timeout"
t_match "a time-out never blocks" "$(verdict "$OUT" 192.0.2.1)" \
	"action=NONE .* tempfail"
t_match "the other list still decides" "$(verdict "$OUT" 192.0.2.66)" \
	"action=BLOCK reason=dnsbl score=2"

# Concurrent requests for one address: one evaluation, one query set.
ONE=$(ip netns exec "$NS" $EVAL_WRAP "$EVALTOOL" -w -q -s -c "$MAIN" \
	192.0.2.66 \
	2>/dev/null | sed -n 's/.* queries=\([0-9]*\) .*/\1/p')
Q66='query\[A\] 66\.2\.0\.192\.bl\.test'
before=$(dns_query_count "$DNS_DIR/dnsmasq-53.log" "$Q66")
FIVE=$(ip netns exec "$NS" $EVAL_WRAP "$EVALTOOL" -w -q -s -r 5 -c "$MAIN" \
	192.0.2.66 2>/dev/null)
after=$(dns_query_count "$DNS_DIR/dnsmasq-53.log" "$Q66")
t_match "five requests, four joined, one evaluation" "$FIVE" \
	"requests=5 joined=4 evaluations=1 queries=$ONE "
t_eq "five verdicts delivered" \
	"$(printf '%s\n' "$FIVE" | grep -c '^192.0.2.66 BLOCK')" 5
t_eq "dnsmasq saw one bl.test query for the five" \
	"$((after - before))" 1

# The seed's RBL chain as written: dead and wildcard lists are
# quarantined or flagged, good clients pass.
SEED=$(conf seed "dnsbl_sites = dul.dnsbl.sorbs.net, cbl.anti-spam.org.cn," \
	"	rbl.softworking.com, or.ecenter.idv.tw, dialup.ecenter.idv.tw," \
	"	spam.ecenter.idv.tw, bl.spamcop.net, sbl-xbl.spamhaus.org," \
	"	list.dsbl.org, rbl.maps.vix.com, dul.maps.vix.com," \
	"	relays.maps.vix.com" \
	"rhsbl_sites = dns.rfc-ignorant.org")
OUT=$(ip netns exec "$NS" $EVAL_WRAP "$EVALTOOL" -w -q -L -c "$SEED" 192.0.2.1 \
	198.51.100.13 2001:db8:67::1 2>"$LABDIR/seed.err")
ERR=$(cat "$LABDIR/seed.err")
echo "$OUT" | sed 's/^/# /'
echo "$ERR" | sed 's/^/# log: /'
t_eq "no good client is blocked by the seed's chain" \
	"$(printf '%s\n' "$OUT" | grep -c ' BLOCK ')" 0
t_eq "every seed list is quarantined here" \
	"$(printf '%s\n' "$OUT" | grep '^list ' | grep -vc ' quarantined ')" 0
t_match "list.dsbl.org flagged by the built-in table" "$OUT" \
	'^list list.dsbl.org\*1 dnsbl quarantined .*DSBL.* dead=yes'
t_match "cbl.anti-spam.org.cn lists everything here: quarantined" "$OUT" \
	'^list cbl.anti-spam.org.cn\*1 dnsbl quarantined .*why="lists 127.0.0.1'
t_match "sbl-xbl.spamhaus.org: warned as replaced by zen" "$ERR" \
	'sbl-xbl.spamhaus.org is replaced: .*use zen.spamhaus.org instead'

# A quarantined list is asked again and used once it passes: flip.test
# lists 127.0.0.1 at first, then is fixed (rbldnsd reloads within 1 s).
FLIP=$(conf flip "dnsbl_sites = flip.test" "dnsbl_probe_interval = 100s")
OUT=$( {
	echo lists
	sleep 1.5
	printf '%s\n' '$SOA 7200 ns.flip.test hm.flip.test 2 600 300 86400 60' \
		127.0.0.2 >"$(dns_zone_file flip).new"
	chmod 644 "$(dns_zone_file flip).new"
	mv "$(dns_zone_file flip).new" "$(dns_zone_file flip)"
	echo "sleep 12"
	echo lists
} | ip netns exec "$NS" $EVAL_WRAP "$EVALTOOL" -w -c "$FLIP" \
	2>"$LABDIR/flip.err")
ERR=$(cat "$LABDIR/flip.err")
echo "$OUT" | sed 's/^/# /'
t_match "flip.test starts quarantined" "$(echo "$OUT" | head -n 1)" \
	'^list flip.test\*1 dnsbl quarantined .*why="lists 127.0.0.1'
t_match "it passes its next probe (a tenth of the interval later)" \
	"$(echo "$OUT" | tail -n 1)" \
	'^list flip.test\*1 dnsbl ok .*why="lists 127.0.0.2, not 127.0.0.1"'
t_match "UNQUARANTINE log line" "$ERR" 'UNQUARANTINE list=flip.test why='

# Reload: new resolver settings and lists apply; lists kept keep their
# health. The first configuration points at a port nobody answers.
DEAD=$(conf dead "dns_servers = 127.0.0.1:9" "dnsbl_sites = wild.test")
sed -i '/^dns_servers = 127.0.0.1:53$/d' "$DEAD"
LIVE=$(conf live "dnsbl_sites = bl.test*2, wild.test" "dnsbl_threshold = 2")
OUT=$(printf '%s\n' 192.0.2.66 sync "reload $LIVE" 192.0.2.66 sync lists |
	ip netns exec "$NS" $EVAL_WRAP "$EVALTOOL" -q -c "$DEAD" \
	2>"$LABDIR/reload.err")
echo "$OUT" | sed 's/^/# /'
t_match "before the reload nothing answers: no block" \
	"$(echo "$OUT" | sed -n 1p)" "^192.0.2.66 NONE "
t_eq "the reload is taken" "$(echo "$OUT" | sed -n 2p)" "reload ok"
t_match "after it the new resolver and list block" \
	"$(echo "$OUT" | sed -n 3p)" "^192.0.2.66 BLOCK dnsbl score=2 "
t_match "the new list is probed and healthy" "$OUT" \
	'^list bl.test\*2 dnsbl ok '
t_match "a kept list is probed again through the new resolver" "$OUT" \
	'^list wild.test\*1 dnsbl quarantined .*why="lists 127.0.0.1'

# Circuit breaker: a burst of listed clients trips it, calm recovers it.
BRK=$(conf brk "dnsbl_sites = bl.test*2" "dnsbl_threshold = 2" \
	"circuit_breaker_window = 2s" "circuit_breaker_min_clients = 10" \
	"circuit_breaker_share = 50" "circuit_breaker_factor = 4")
{
	i=1; while [ $i -le 20 ]; do echo "10.1.0.$i"; i=$((i + 1)); done
	echo sync
	i=1; while [ $i -le 30 ]; do echo "10.66.0.$i"; i=$((i + 1)); done
	echo sync
	echo "sleep 2.5"
	i=21; while [ $i -le 40 ]; do echo "10.1.0.$i"; i=$((i + 1)); done
	echo sync
	echo "10.66.1.1"
} >"$LABDIR/brk.in"
OUT=$(ip netns exec "$NS" $EVAL_WRAP "$EVALTOOL" -w -q -j 1 -c "$BRK" \
	<"$LABDIR/brk.in" 2>"$LABDIR/brk.err")
ERR=$(cat "$LABDIR/brk.err")
echo "$ERR" | grep BREAKER | sed 's/^/# log: /'
t_match "the first listed clients are blocked for real" \
	"$(printf '%s\n' "$OUT" | grep '^10.66.0.1 ')" "BLOCK dnsbl .*[0-9]$"
t_match "the breaker trips and says why" "$ERR" \
	'BREAKER state=on why="blocked 20 of 40 new clients in 2s'
t_match "later blocks are held in observe mode" \
	"$(printf '%s\n' "$OUT" | grep '^10.66.0.30 ')" \
	"BLOCK dnsbl .* observe$"
t_match "the breaker recovers when blocks settle" "$ERR" \
	'BREAKER state=off why='
t_match "after recovery blocks are real again" \
	"$(printf '%s\n' "$OUT" | grep '^10.66.1.1 ')" "BLOCK dnsbl .*[0-9]$"

t_done
