#!/bin/sh
# t-postmap.sh - mxwall's tables answer exactly as Postfix's postmap -q.
#
# The seed's client_check and sender_check (rules/) and the corpus under
# tests/postmap/ (every regexp, pcre and cidr flag and form) are asked
# about the same generated keys (build/tools/mkkeys: host names,
# addresses, senders, odd bytes, very long strings) by Postfix's own
# `postmap -q -` and by `mxwallctl query ... -`. Any difference fails and
# prints the key, both answers and the rule mxwall matched. Inline tables
# (regexp:{...}, pcre:{...}, cidr:{...}, static:, inline:{...}) and keys
# with newlines (the m and s flags) are compared key by key on the
# command line. Last, random regexp and pcre tables (mkkeys --rules) are
# compared the same way, and a table Postfix warns about must be refused
# by mxwall.
#
# postmap reads an empty main.cf (postmap -c DIR), so the host's Postfix
# set-up plays no part. Needs postfix and postfix-pcre; no root, no
# network. MXWALL_POSTMAP_SEED and MXWALL_POSTMAP_KEYS change the keys.
. "$(dirname "$0")/lab/lib.sh"

command -v postmap >/dev/null 2>&1 ||
	t_skip_all "postmap not installed (apt-get install postfix postfix-pcre)"
MKKEYS=$BUILD/tools/mkkeys
[ -x "$MKKEYS" ] || t_skip_all "$MKKEYS not built (run make)"
export LC_ALL=C

SEED=${MXWALL_POSTMAP_SEED:-20260312}
NKEYS=${MXWALL_POSTMAP_KEYS:-12000}
PFDIR=$LABDIR/postfix
mkdir -p "$PFDIR"
: >"$PFDIR/main.cf"
KEYS=$LABDIR/keys
"$MKKEYS" "$SEED" "$NKEYS" >"$KEYS"
t_eq "generated keys" "$(wc -l <"$KEYS" | tr -d ' ')" "$NKEYS"

# show_key KEY - the key with odd bytes made visible, cut at 120 bytes.
show_key() {
	printf '%s' "$1" | cut -c1-120 | cat -v
}

# explain MAP KEY - both answers and mxwall's matching rule, one key.
explain() {
	pm=$(postmap -c "$PFDIR" -q "$2" "$1" 2>/dev/null) || pm="(no match)"
	mx=$("$MXWALLCTL" query "$1" "$2" 2>/dev/null) || mx="(no match)"
	rule=$("$MXWALLCTL" --json query "$1" "$2" 2>/dev/null |
	       sed -n 's/.*"line": *\([0-9]*\).*"rule": *\(".*"\).*/line \1: \2/p')
	echo "    key:     [$(show_key "$2")]"
	echo "    postmap: [$pm]"
	echo "    mxwall:  [$mx]"
	echo "    rule:    ${rule:-(mxwall matched no rule)}"
}

# compare_bulk MAP - all keys through both; every answer must agree.
compare_bulk() {
	map=$1
	name=$(basename "${map#*:}")
	postmap -c "$PFDIR" -q - "$map" <"$KEYS" >"$LABDIR/pm.out" \
		2>"$LABDIR/pm.err"
	"$MXWALLCTL" query "$map" - <"$KEYS" >"$LABDIR/mx.out" \
		2>"$LABDIR/mx.err"
	# postmap's only allowed remark: the obsolete X flag it ignores.
	grep -v 'ignoring obsolete regexp option "X"' "$LABDIR/pm.err" \
		>"$LABDIR/pm.err2"
	t_eq "$name: postmap reads it without a complaint" \
		"$(cat "$LABDIR/pm.err2")" ""
	t_eq "$name: mxwall reads it without a complaint" \
		"$(cat "$LABDIR/mx.err")" ""
	awk -F '\t' -v pmf="$LABDIR/pm.out" -v mxf="$LABDIR/mx.out" '
		BEGIN {
			while ((getline l < pmf) > 0) {
				k = substr(l, 1, index(l, "\t") - 1)
				pm[k] = substr(l, index(l, "\t") + 1)
			}
			while ((getline l < mxf) > 0) {
				k = substr(l, 1, index(l, "\t") - 1)
				mx[k] = substr(l, index(l, "\t") + 1)
			}
		}
		{
			a = ($0 in pm) ? "=" pm[$0] : "-"
			b = ($0 in mx) ? "=" mx[$0] : "-"
			if (a != b && !seen[$0]++)
				print
		}' "$KEYS" >"$LABDIR/diff"
	ndiff=$(wc -l <"$LABDIR/diff" | tr -d ' ')
	nmatch=$(wc -l <"$LABDIR/pm.out" | tr -d ' ')
	if [ "$ndiff" -eq 0 ]; then
		t_pass "$name: $NKEYS keys, $nmatch matched, all answers equal"
	else
		t_fail "$name: $ndiff of $NKEYS keys answered differently"
		head -n 10 "$LABDIR/diff" | while IFS= read -r k; do
			explain "$map" "$k"
		done
	fi
	t_check "$name: some keys match (the keys reach the rules)" \
		[ "$nmatch" -gt 0 ]
}

for f in "$TOP"/rules/client_check "$TOP"/rules/sender_check \
	 "$TOP"/tests/postmap/*; do
	case $f in
	*.pcre) compare_bulk "pcre:$f" ;;
	*.cidr) compare_bulk "cidr:$f" ;;
	*) compare_bulk "regexp:$f" ;;
	esac
done

# rules_hit MAP - how many of the table's rules some key matched.
rules_hit() {
	"$MXWALLCTL" --json query "$1" - <"$KEYS" 2>/dev/null |
		sed -n 's/.*"line": *\([0-9]*\).*/\1/p' | sort -u | wc -l |
		tr -d ' '
}
t_check "regexp-forms: the keys reach at least 18 rules" \
	[ "$(rules_hit "regexp:$TOP/tests/postmap/regexp-forms.regexp")" -ge 18 ]
t_check "pcre-forms: the keys reach at least 15 rules" \
	[ "$(rules_hit "pcre:$TOP/tests/postmap/pcre-forms.pcre")" -ge 15 ]
t_check "net.cidr: the keys reach at least 12 rules" \
	[ "$(rules_hit "cidr:$TOP/tests/postmap/net.cidr")" -ge 12 ]

# random_tables KIND N - N random tables (mkkeys --rules) against short
# keys. Where postmap reads a table without a word, every answer must be
# equal; where it warns about a rule (and would skip it), mxwall must
# refuse the table. Pathological tables that hit a pcre limit in postmap
# are left out: the limits differ on purpose (mxwall.conf(5), BUGS).
random_tables() {
	kind=$1 n=$2 same=0 refused=0 limit=0 bad=""
	awk 'length($0) < 300 && NR <= 1500' "$KEYS" >"$LABDIR/short"
	i=1
	while [ $i -le "$n" ]; do
		t=$LABDIR/random.$kind.$i
		"$MKKEYS" --rules "$i" "$kind" >"$t"
		timeout 30 postmap -c "$PFDIR" -q - "$kind:$t" \
			<"$LABDIR/short" >"$LABDIR/pm.out" 2>"$LABDIR/pm.err"
		timeout 30 "$MXWALLCTL" query "$kind:$t" - \
			<"$LABDIR/short" >"$LABDIR/mx.out" 2>"$LABDIR/mx.err"
		if grep -q 'limit' "$LABDIR/pm.err"; then
			limit=$((limit + 1))
		elif [ -s "$LABDIR/pm.err" ]; then
			if [ -s "$LABDIR/mx.err" ] && [ ! -s "$LABDIR/mx.out" ]
			then
				refused=$((refused + 1))
			else
				bad="$bad $i(accepted)"
			fi
		elif cmp -s "$LABDIR/pm.out" "$LABDIR/mx.out" &&
		     [ ! -s "$LABDIR/mx.err" ]; then
			same=$((same + 1))
		else
			bad="$bad $i"
		fi
		i=$((i + 1))
	done
	if [ -z "$bad" ]; then
		t_pass "$n random $kind tables: $same answered alike," \
			"$refused refused by both, $limit left out (limits)"
	else
		t_fail "random $kind tables differ: seeds$bad" \
			"(mkkeys --rules SEED $kind)"
	fi
	t_check "random $kind tables: most are compared" [ "$same" -ge $((n / 3)) ]
}

random_tables regexp 30
random_tables pcre 30

# Several keys: KEY<TAB>RESULT per match, exit 2 when only some match.
out=$("$MXWALLCTL" query "regexp:$TOP/rules/client_check" \
	a.dynamic.example nothing.example); rc=$?
t_eq "query with two keys, one matching: exit 2" "$rc" 2
t_match "query with two keys: key<TAB>result" "$out" \
	"^a\.dynamic\.example	REJECT We can"
"$MXWALLCTL" query "regexp:$TOP/rules/client_check" x.example y.example
t_eq "query with two keys, none matching: exit 1" "$?" 1

# compare_one MAP KEY... - key by key on the command line.
compare_one() {
	map=$1; shift
	for k in "$@"; do
		pm=$(postmap -c "$PFDIR" -q "$k" "$map" 2>/dev/null); pmrc=$?
		mx=$("$MXWALLCTL" query "$map" "$k" 2>/dev/null); mxrc=$?
		if [ "$pm" = "$mx" ] && [ $pmrc = $mxrc ]; then
			t_pass "$map [$(show_key "$k" | tr '\n' '|')]"
		else
			t_fail "$map [$(show_key "$k" | tr '\n' '|')]"
			echo "    postmap: [$pm] exit $pmrc"
			echo "    mxwall:  [$mx] exit $mxrc"
		fi
	done
}

nl='
'
compare_one "regexp:$TOP/tests/postmap/regexp-flags.regexp" \
	"abc${nl}x" "x${nl}abc" "ABC${nl}abc" "zz${nl}abc${nl}y"
compare_one "pcre:$TOP/tests/postmap/pcre-forms.pcre" \
	"abc${nl}x" "x${nl}abc" "a${nl}c" "a.c" "ecfs1${nl}" "x10${nl}" \
	"x10" "postmaster@a${nl}b"
compare_one 'regexp:{ {/^a(.)/ first $1}, {!/b/ no b}, {/./ any} }' \
	"abc" "xbz" "zzz" "b"
compare_one 'pcre:{ {/^a(.)$/s first [$1]}, {if /x/}, {/y/ x and y}, {endif} }' \
	"ab" "a${nl}" "xy" "yx" "x"
compare_one 'cidr:{ {10.0.0.0/8 ten}, {!192.0.2.0/24 not-doc}, {::/0 six} }' \
	"10.1.2.3" "192.0.2.9" "8.8.8.8" "::1" "foo"
compare_one 'static:{REJECT static text}' "anything" ""
compare_one 'inline:{ Key1=value1, { key2 = value two } }' \
	"key1" "KEY1" "key2" "key3"

t_done
