#!/bin/sh
# t-import.sh - `mxwallctl import-postfix` on the seed's main.cf and on a
# postscreen-style main.cf.
#
# The output is the spec, so each is compared with a golden file
# (tests/conf/*.ref; regenerate with MXWALL_UPDATE_GOLDEN=1 and read the
# diff). Then every restriction of the seed is checked to be accounted
# for (carried over or listed with its reason), and the seed's import,
# with its table paths pointed at rules/, must pass `mxwalld -n` (tables
# opened) and mean what the seed meant: the seed's client_check and
# sender_check answer through the imported configuration's tables.
# A main.cf that keeps its lists in $name references imports with them
# expanded, as postconf expands them, and passes `mxwalld -n`; a loop of
# references is a note.
#
# No root, no network.
. "$(dirname "$0")/lab/lib.sh"

cd "$TOP" || exit 1
CONF=tests/conf

# golden NAME - import $CONF/NAME.cf and compare with $CONF/NAME.ref.
golden() {
	"$MXWALLCTL" import-postfix "$CONF/$1.cf" >"$LABDIR/$1.out" \
		2>"$LABDIR/$1.err"
	t_eq "$1: import exits 0" "$?" 0
	t_eq "$1: nothing on stderr" "$(cat "$LABDIR/$1.err")" ""
	if [ -n "${MXWALL_UPDATE_GOLDEN:-}" ]; then
		cp "$LABDIR/$1.out" "$CONF/$1.ref"
	fi
	if cmp -s "$LABDIR/$1.out" "$CONF/$1.ref"; then
		t_pass "$1: output equals $CONF/$1.ref"
	else
		t_fail "$1: output differs from $CONF/$1.ref"
		diff -u "$CONF/$1.ref" "$LABDIR/$1.out" | head -40
	fi
	"$MXWALLCTL" -c "$LABDIR/$1.out" config >/dev/null 2>"$LABDIR/$1.cerr"
	t_eq "$1: the output is a valid mxwall.conf" \
		"$?:$(cat "$LABDIR/$1.cerr")" "0:"
}

golden seed-main
golden postscreen-main

# Every restriction of the seed's lists is in the output: its argument
# (a table or list) or, for those without one, its name.
out=$LABDIR/seed-main.out
awk '
	/^smtpd_[a-z_]*_restrictions *=/ { inlist = 1; next }
	/^[a-z]/ { inlist = 0 }
	inlist && /^[ \t]/ { gsub(/,/, " "); for (i = 1; i <= NF; i++)
		print $i }
' "$CONF/seed-main.cf" >"$LABDIR/words"
missing=""
prev=""
while read -r w; do
	case $prev in
	reject_rbl_client|reject_rhsbl_client|check_*_access)
		grep -qF -- "$w" "$out" || missing="$missing $prev:$w"
		prev=""; continue ;;
	esac
	case $w in
	reject_rbl_client|reject_rhsbl_client|check_*_access) ;;
	*) grep -qF -- "$w" "$out" || missing="$missing $w" ;;
	esac
	prev=$w
done <"$LABDIR/words"
t_eq "seed: every restriction accounted for" "$missing" ""
t_check "seed: $(wc -l <"$LABDIR/words" | tr -d ' ') restriction words read" \
	[ "$(wc -l <"$LABDIR/words")" -ge 40 ]

# The dead lists are left out, the replaced one swapped.
t_match "seed: sorbs left out as dead" "$(cat "$out")" \
	"reject_rbl_client dul.dnsbl.sorbs.net: left out \(dead"
t_match "seed: sbl-xbl replaced by zen" "$(grep '^dnsbl_sites' -A3 "$out")" \
	"zen.spamhaus.org"
t_check "seed: no dead list in dnsbl_sites" \
	sh -c "! grep -A3 '^dnsbl_sites' '$out' | grep -Eq 'sorbs|dsbl|vix|rfc-ignorant|sbl-xbl'"

# The seed's import with its tables in rules/ passes mxwalld -n.
sed "s|/usr/local/etc/postfix/|$TOP/rules/|" "$CONF/seed-main.cf" \
	>"$LABDIR/main.cf"
"$MXWALLCTL" import-postfix "$LABDIR/main.cf" >"$LABDIR/mxwall.conf"
res=$("$MXWALLD" -n -c "$LABDIR/mxwall.conf" 2>&1)
t_eq "seed: mxwalld -n accepts the import (tables opened)" "$?" 0
t_match "seed: mxwalld -n says OK" "$res" "configuration OK"

# The imported tables mean what the seed's did.
cc=$("$MXWALLCTL" -c "$LABDIR/mxwall.conf" config |
     sed -n 's/^client_checks = regexp:\([^,]*\),.*/\1/p')
t_eq "seed: client_checks names the seed's client_check" "$cc" \
	"$TOP/rules/client_check"
t_match "seed: a dynamic PTR name is rejected" \
	"$("$MXWALLCTL" query "regexp:$cc" 103.143.85.218.board.xm.fj.dynamic.163data.com.cn)" \
	"^REJECT We can"
t_eq "seed: reject_unknown_client became a rule on \"unknown\"" \
	"$("$MXWALLCTL" query 'regexp:{ {/^unknown$/ 450 4.7.25 Client host rejected: cannot find your hostname} }' unknown)" \
	"450 4.7.25 Client host rejected: cannot find your hostname"
t_match "seed: the sender table discards PC HOME mail" \
	"$("$MXWALLCTL" query "regexp:$TOP/rules/sender_check" news@ms1.epaper.com.tw)" \
	"^DISCARD PC HOME Spam$"

# $name references are expanded as Postfix expands them: a restriction
# list and an RBL list kept in parameters of their own, a table path
# under $config_directory (the directory main.cf is in), conditionals.
# postconf, reading the same main.cf, is the reference.
X=$LABDIR/expand
mkdir -p "$X"
cp rules/client_check "$X/client_check"
: >"$X/master.cf"
cat >"$X/main.cf" <<'MAINCF'
rbl_primary = zen.spamhaus.org=127.0.0.[2..11]
rbl_sites = $rbl_primary*3, bl.spamcop.net*2, list.dnswl.org*-5
use_psbl = yes
local_checks = check_client_access regexp:$config_directory/client_check
my_restrictions = permit_mynetworks, $local_checks,
	reject_rbl_client ${rbl_primary},
	${use_psbl?{reject_rbl_client psbl.surriel.com}:{}}
	${no_such_switch?{reject_rbl_client b.barracudacentral.org}}
smtpd_recipient_restrictions = $my_restrictions, reject_unauth_destination
postscreen_dnsbl_sites = $rbl_sites
postscreen_dnsbl_threshold = 3
mynetworks = 127.0.0.0/8
MAINCF
"$MXWALLCTL" import-postfix "$X/main.cf" >"$X/mxwall.conf" 2>"$X/err"
t_eq "expand: import exits 0, nothing on stderr" "$?:$(cat "$X/err")" "0:"
t_eq "expand: client_checks names the expanded table path" \
	"$(grep '^client_checks' "$X/mxwall.conf")" \
	"client_checks = regexp:$X/client_check"
t_eq "expand: dnsbl_sites names the expanded lists" \
	"$(awk '/^dnsbl_sites/ { p = 1; print; next } p && /^ / { print; next }
		{ p = 0 }' "$X/mxwall.conf" | tr -s ' \n' '  ')" \
	"dnsbl_sites = zen.spamhaus.org=127.0.0.[2..11]*3, psbl.surriel.com*3,\
 bl.spamcop.net*2, list.dnswl.org*-5 "
t_check "expand: no \$ left in the parameters" \
	sh -c "! grep -v '^#' '$X/mxwall.conf' | grep -qF '\$'"
t_match "expand: the unset switch is noted, its list left out" \
	"$(cat "$X/mxwall.conf")" \
	"main.cf, line 9: smtpd_recipient_restrictions: [$][{]no_such_switch[?].*:\
 left out: main.cf does not set [$]no_such_switch"
t_check "expand: barracuda (behind the unset switch) is not imported" \
	sh -c "! grep -v '^#' '$X/mxwall.conf' | grep -q barracuda"
res=$("$MXWALLD" -n -c "$X/mxwall.conf" 2>&1)
t_eq "expand: mxwalld -n accepts the import (tables opened)" "$?" 0
t_match "expand: mxwalld -n says OK" "$res" "configuration OK"

# The same lists as Postfix's own expansion, where postconf is here.
if command -v postconf >/dev/null 2>&1; then
	pc_rcpt=$(postconf -c "$X" -x -h smtpd_recipient_restrictions \
		2>/dev/null)
	pc_sites=$(postconf -c "$X" -x -h postscreen_dnsbl_sites 2>/dev/null)
	ours=$(grep -v '^#' "$X/mxwall.conf")
	missing="" n=0
	for d in $(echo "$pc_rcpt" | tr ',' ' ' | awk '{
		for (i = 1; i < NF; i++)
			if ($i == "reject_rbl_client") print $(i + 1) }') \
		 $(echo "$pc_sites" | tr ',' ' '); do
		n=$((n + 1))
		echo "$ours" | grep -qF -- "$d" || missing="$missing $d"
	done
	t_eq "expand: postconf's $n lists are all in dnsbl_sites" \
		"$n:$missing" "5:"
	t_eq "expand: postconf's client table is client_checks" \
		"$(echo "$pc_rcpt" |
		   sed -n 's/.*check_client_access \([^ ,]*\).*/\1/p')" \
		"regexp:$X/client_check"
else
	t_skip "expand: postconf is not installed: no comparison with Postfix"
fi

# A loop is a note naming the parameters, not a hang.
cat >"$X/loop.cf" <<'MAINCF'
smtpd_client_restrictions = reject_rbl_client bl.spamcop.net, $a
a = $b
b = ${a}
MAINCF
res=$(timeout 10 "$MXWALLCTL" import-postfix "$X/loop.cf" 2>&1)
t_eq "loop: import exits 0" "$?" 0
t_match "loop: a note names the loop" "$res" \
	"loop.cf, line 1: smtpd_client_restrictions: cannot be expanded:\
 [$]a refers to itself: a [(]line 2[)] -> b [(]line 3[)] -> a: not imported"

# A missing file is an error that says so.
res=$("$MXWALLCTL" import-postfix /nonexistent/main.cf 2>&1)
t_eq "missing main.cf: exit 1" "$?" 1
t_eq "missing main.cf: message" "$res" \
	"mxwallctl: /nonexistent/main.cf: cannot open: No such file or directory: nothing imported"

t_done
