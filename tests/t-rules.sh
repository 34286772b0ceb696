#!/bin/sh
# t-rules.sh - the shipped rule files under rules/ load and mean what their
# comments say.
#
# Every table in rules/ (*.pcre, *.regexp, *.cidr and the seed's
# client_check/sender_check) is loaded with Postfix's own postmap (an
# empty config directory, so the host's Postfix set-up plays no part) and
# with `mxwallctl query`; neither may complain. Then the dynamic-IP tables
# are asked about sample names, each with the answer it must give
# ("reject" or "none": no rule, or a DUNNO exception), and postmap and
# mxwallctl must agree byte for byte. rules/dnsbl_sites.conf is read with
# Postfix's postconf and with mxwall's configuration parser, and its
# entries are checked against the lists known to be dead.
#
# Needs postmap and postconf (postfix, postfix-pcre); no network, no root.
. "$(dirname "$0")/lab/lib.sh"

RULES=$TOP/rules
PFDIR=$LABDIR/postfix
mkdir -p "$PFDIR"
: >"$PFDIR/main.cf"
: >"$PFDIR/master.cf"

command -v postmap >/dev/null || t_skip_all "postmap not installed (postfix)"

# Is mxwallctl's query command there? (It lands with the table code.)
have_query=no
if [ -x "$MXWALLCTL" ] &&
    "$MXWALLCTL" query "inline:{k=v}" k >/dev/null 2>&1; then
	have_query=yes
fi

# table_type FILE - the Postfix table type of a shipped file.
table_type() {
	case $1 in
	*.pcre) echo pcre ;;
	*.cidr) echo cidr ;;
	*) echo regexp ;;
	esac
}

# pm_query SPEC KEY - postmap's answer, "" when not found; postmap's
# warnings go to $LABDIR/pm.err.
pm_query() {
	postmap -c "$PFDIR" -q "$2" "$1" 2>>"$LABDIR/pm.err"
}

# mx_query SPEC KEY - mxwallctl's answer, "" when not found.
mx_query() {
	"$MXWALLCTL" query "$1" "$2" 2>>"$LABDIR/mx.err"
}

# Step 1: every shipped table loads cleanly in both.
tables=""
for f in "$RULES"/*.pcre "$RULES"/*.regexp "$RULES"/*.cidr \
    "$RULES"/client_check "$RULES"/sender_check; do
	[ -f "$f" ] && tables="$tables $f"
done
t_check "rules/ ships tables" test -n "$tables"
for f in $tables; do
	spec=$(table_type "$f"):$f
	name=${f#"$TOP"/}
	: >"$LABDIR/pm.err"
	pm_query "$spec" probe.example >/dev/null
	t_eq "postmap loads $name without warnings" \
		"$(cat "$LABDIR/pm.err")" ""
	if [ $have_query = yes ]; then
		: >"$LABDIR/mx.err"
		mx_query "$spec" probe.example >/dev/null
		rc=$?
		# 0 found, 1 not found; anything else is a failure.
		t_check "mxwallctl query loads $name (exit $rc)" \
			test $rc -le 1
		t_eq "mxwallctl query loads $name without diagnostics" \
			"$(cat "$LABDIR/mx.err")" ""
	fi
done

# The checks above can fail: a broken table is noticed by both.
printf '/(unclosed/ REJECT x\n' >"$LABDIR/broken.pcre"
: >"$LABDIR/pm.err"
pm_query "pcre:$LABDIR/broken.pcre" x >/dev/null
t_match "postmap reports a broken pcre table" "$(cat "$LABDIR/pm.err")" \
	'warning: .*broken.pcre, line 1'
if [ $have_query = yes ]; then
	"$MXWALLCTL" query "pcre:$LABDIR/broken.pcre" x \
		>/dev/null 2>"$LABDIR/mx.err"
	t_eq "mxwallctl query refuses a broken pcre table (exit)" "$?" 1
	t_match "mxwallctl query names the broken line" \
		"$(cat "$LABDIR/mx.err")" 'broken.pcre, line 1'
else
	t_skip "mxwallctl query not built yet ($MXWALLCTL): mxwall half" \
		"of the table checks not run"
fi

# Step 2: sample names. Format: TABLE WANT NAME, WANT reject or none.
# "none" covers both no match and the DUNNO exceptions for named relays.
cases=$LABDIR/cases
cat >"$cases" <<'EOF'
# Dynamic pools, as providers name them: both tiers reject.
normal reject 103.143.85.218.board.xm.fj.dynamic.163data.com.cn
normal reject pool-71-105-12-34.nycmny.fios.verizon.net
normal reject cpe-24-28-1-2.nyc.res.rr.com
normal reject c-73-12-34-56.hsd1.ca.comcast.net
normal reject p5DE8A1B2.dip0.t-ipconnect.de
normal reject 1-2-3-4.dynamic.isp.example
normal reject 89.67.45.123.dsl.isp.example
normal reject adsl-99-1-2-3.dsl.isp.example
normal reject dhcp-10-1-2-3.campus.example.edu
normal reject host7.dhcp.campus.example.edu
normal reject cpc123-bagu12-2-0-cust456.1-3.cable.virginm.net
normal reject dyn-1-2-3-4.isp.example
normal reject ppp-1-2-3-4.isp.example
normal reject DIALUP-1-2-3-4.ISP.EXAMPLE
normal reject x1.pppoe.isp.example
strict reject 103.143.85.218.board.xm.fj.dynamic.163data.com.cn
strict reject pool-71-105-12-34.nycmny.fios.verizon.net
strict reject c-73-12-34-56.hsd1.ca.comcast.net
strict reject 1-2-3-4.dynamic.isp.example
strict reject p5DE8A1B2.dip0.t-ipconnect.de
# Only the strict tier: generic per-address names and looser words.
normal none 1-2-3-4.isp.example
strict reject 1-2-3-4.isp.example
normal none host-1-2-3-4.hosting.example
strict reject host-1-2-3-4.hosting.example
normal none 4.3.2.1.isp.example
strict reject 4.3.2.1.isp.example
normal none c0a80101.isp.example
strict reject c0a80101.isp.example
normal none user123.res.isp.example
strict reject user123.res.isp.example
normal none 1-2-3-4.static.isp.example
strict reject 1-2-3-4.static.isp.example
normal none dynamic-88.isp.example
strict reject dynamic-88.isp.example
normal none ec2-1-2-3-4.compute-1.amazonaws.com
strict reject ec2-1-2-3-4.compute-1.amazonaws.com
# Names a careless pattern would catch: neither tier may.
normal none generaldynamics.com
strict none generaldynamics.com
normal none mail.generaldynamics.com
strict none mail.generaldynamics.com
normal none dynamicsecurity.com
strict none dynamicsecurity.com
normal none www.dynamicsecurity.com
strict none www.dynamicsecurity.com
normal none mail.dynamic-solutions.example
strict none mail.dynamic-solutions.example
normal none smtp.dsl-provider.example
strict none smtp.dsl-provider.example
normal none mail.dsl-provider.example
strict none mail.dsl-provider.example
normal none mx1.dsl.isp.example
strict none mx1.dsl.isp.example
normal none smtp-out.cable.isp.example
strict none smtp-out.cable.isp.example
normal none relay2.dynamic.isp.example
strict none relay2.dynamic.isp.example
normal none mail-1-2-3-4.dynamic.isp.example
strict none mail-1-2-3-4.dynamic.isp.example
normal none www.dynamic.example
normal none server1.home.pl
strict none server1.home.pl
normal none deadbeef.example.com
strict none deadbeef.example.com
normal none mail.example.com
strict none mail.example.com
normal none mta5.am0.yahoodns.net
strict none mta5.am0.yahoodns.net
normal none mail-wr1-f54.google.com
strict none mail-wr1-f54.google.com
normal none a27-12.smtp-out.amazonses.com
normal none o1.email.example.com
strict none o1.email.example.com
normal none unknown
strict none unknown
EOF

# classify ANSWER - "reject" for a REJECT/5xx answer, "none" for no
# answer or DUNNO, the answer itself for anything else (a test failure).
classify() {
	case $1 in
	"" | DUNNO) echo none ;;
	REJECT* | 5[0-9][0-9]*) echo reject ;;
	*) echo "$1" ;;
	esac
}

while read -r tier want name; do
	case $tier in "" | "#"*) continue ;; esac
	spec=pcre:$RULES/dynamic-$tier.pcre
	got=$(pm_query "$spec" "$name")
	t_eq "postmap: dynamic-$tier: $name" "$(classify "$got")" "$want"
	if [ $have_query = yes ]; then
		mgot=$(mx_query "$spec" "$name")
		t_eq "mxwallctl query agrees with postmap: dynamic-$tier: $name" \
			"$mgot" "$got"
	fi
done <"$cases"
[ $have_query = yes ] ||
	t_skip "mxwallctl query not built yet: sample names checked with" \
		"postmap only"

# Step 3: dnsbl_sites.conf. Postfix's postconf reads it under postscreen's
# names; it must not warn, and must see every entry.
sites=$RULES/dnsbl_sites.conf
pcdir=$LABDIR/postconf
mkdir -p "$pcdir"
sed -e 's/^dnsbl_/postscreen_dnsbl_/' "$sites" >"$pcdir/main.cf"
: >"$pcdir/master.cf"
entries=$(postconf -c "$pcdir" -h postscreen_dnsbl_sites \
	2>"$LABDIR/pc.err" | tr ', ' '\n\n' | grep -v '^$')
t_eq "postconf reads dnsbl_sites.conf without warnings" \
	"$(cat "$LABDIR/pc.err")" ""
t_eq "postconf sees dnsbl_threshold" \
	"$(postconf -c "$pcdir" -h postscreen_dnsbl_threshold 2>&1)" 3
n=$(printf '%s\n' "$entries" | grep -c .)
t_check "dnsbl_sites has entries ($n)" test "$n" -ge 5
# Each entry is domain[=filter][*weight]; filter octets are numbers or
# [a..b;c] sets.
oct='([0-9]{1,3}|\[[0-9.;]+\])'
bad=$(printf '%s\n' "$entries" | grep -Ev \
	"^[a-z0-9.-]+\.[a-z]+(=$oct\.$oct\.$oct\.$oct)?(\*-?[0-9]+)?\$")
t_eq "every dnsbl_sites entry is domain[=filter][*weight]" "$bad" ""
# A filter must never accept the 127.255.255.0/24 error codes as a listing.
t_eq "no filter names 127.255.255.x" \
	"$(printf '%s\n' "$entries" | grep '=127\.255\.255\.')" ""
for want in zen.spamhaus.org=127.0.0. list.dnswl.org=127.0. bl.spamcop.net; do
	t_match "dnsbl_sites lists $want" "$entries" "^$want"
done
t_match "dnsbl_sites gives DNSWL negative weights" "$entries" \
	'^list\.dnswl\.org=.*\*-[0-9]+$'
for dead in sorbs.net dsbl.org maps.vix.com rfc-ignorant.org \
    anti-spam.org.cn ecenter.idv.tw softworking.com uceprotect.net; do
	t_eq "dnsbl_sites uses no dead or unsafe list ($dead)" \
		"$(printf '%s\n' "$entries" | grep -F "$dead")" ""
done

# And with mxwall's own parser, once it is built.
: >"$LABDIR/mc.err"
"$MXWALLCTL" -c "$sites" config >"$LABDIR/mc.out" 2>"$LABDIR/mc.err"
rc=$?
if grep -q 'not built yet' "$LABDIR/mc.err" || [ ! -x "$MXWALLCTL" ]; then
	t_skip "mxwall's configuration parser not built yet:" \
		"dnsbl_sites.conf checked with postconf only"
else
	t_eq "mxwallctl config reads dnsbl_sites.conf (exit)" "$rc" 0
	t_match "mxwallctl config shows the lists" "$(cat "$LABDIR/mc.out")" \
		'zen\.spamhaus\.org'
	sed 's/\*3$/*3x/' "$sites" >"$LABDIR/bad-sites.conf"
	"$MXWALLCTL" -c "$LABDIR/bad-sites.conf" config \
		>/dev/null 2>"$LABDIR/mc.err"
	t_eq "mxwallctl config refuses a bad weight (exit)" "$?" 1
	t_match "mxwallctl config names the bad weight" \
		"$(cat "$LABDIR/mc.err")" 'line [0-9]+: dnsbl_sites: weight "3x"'
fi

# mxwalld -n checks the whole configuration as the daemon would start it.
if [ -x "$MXWALLD" ]; then
	"$MXWALLD" -n -c "$sites" >"$LABDIR/n.out" 2>&1
	t_eq "mxwalld -n accepts dnsbl_sites.conf (exit)" "$?" 0
	sed 's/127\.0\.0\.\[2\.\.11\]/127.0.0.[2..300]/' "$sites" \
		>"$LABDIR/bad-filter.conf"
	"$MXWALLD" -n -c "$LABDIR/bad-filter.conf" >"$LABDIR/n.out" 2>&1
	t_eq "mxwalld -n refuses a bad reply filter (exit)" "$?" 1
	t_match "mxwalld -n names the bad filter" "$(cat "$LABDIR/n.out")" \
		'reply filter "127\.0\.0\.\[2\.\.300\]"'
	# The dynamic-IP tables as the README tells users to configure them.
	printf 'client_checks = pcre:%s, pcre:%s\n' \
		"$RULES/dynamic-normal.pcre" "$RULES/dynamic-strict.pcre" \
		>"$LABDIR/tables.conf"
	"$MXWALLD" -n -c "$LABDIR/tables.conf" >"$LABDIR/n.out" 2>&1
	t_eq "mxwalld -n accepts client_checks with both dynamic tiers" \
		"$?" 0
else
	t_skip "mxwalld not built ($MXWALLD): mxwalld -n not run"
fi

t_done
