#!/bin/sh
# t-demo.sh - 'make demo' must keep working: runs tests/demo.sh and
# checks its table and details the way a person reading them would, then
# that it left nothing behind, also when stopped half-way.
#
# Checked: the good sender's two messages are delivered; the dynamic-IP,
# DNSBL-listed and IPv6 clients are rejected at RCPT with the table's
# text or the list's name, and their second attempt is dropped in the
# kernel (Postfix saw one connection only); each 'why' line gives the
# verdict and its reason; the demo takes less than a minute; after it,
# and after a demo stopped with SIGTERM while mail is on its way, no
# namespace, process, mount or /etc/netns folder of it remains.
# Skips (77) without root or what the demo needs.
. "$(dirname "$0")/lab/lib.sh"

t_need_root
[ -x "$MXWALLD" ] || t_skip_all "$MXWALLD not built"
[ -r /sys/kernel/btf/vmlinux ] || t_skip_all "kernel without BTF"
t_need_progs rbldnsd dnsmasq postfix swaks

# demo TAG - run the demo with lab tag TAG; output in $LABDIR/TAG.out.
demo() {
	LAB=$1 BUILD=$BUILD sh "$TOP/tests/demo.sh" >"$LABDIR/$1.out" 2>&1
}
# leftovers TAG - what a demo with lab tag TAG left behind, if anything.
leftovers() {
	ip netns list | grep "^$1-" | sed 's/^/namespace /'
	ls -d /etc/netns/"$1"-* 2>/dev/null
	grep "mxwall-lab\.$1\." /proc/mounts | sed 's/^/mount /'
	for p in /proc/[0-9]*; do
		w="$(readlink "$p/cwd" 2>/dev/null) $({ tr '\0' ' ' \
			<"$p/cmdline"; } 2>/dev/null)"
		case $w in
		*"mxwall-lab.$1."*) echo "process ${p#/proc/}: $w" ;;
		esac
	done
	ls -d /tmp/mxwall-lab."$1".* 2>/dev/null
}

tag=dm$$
start=$(date +%s)
demo $tag
rc=$?
took=$(($(date +%s) - start))
OUT=$(cat "$LABDIR/$tag.out")
sed 's/^/# /' "$LABDIR/$tag.out"
t_eq "the demo exits 0" "$rc" 0
t_check "the demo takes less than a minute (${took}s)" test "$took" -lt 60

# row LABEL - the table's row for a client.
row() { printf '%s\n' "$OUT" | grep -E "^$1 " | head -n 1; }
# block LABEL - the detail lines for a client.
block() {
	printf '%s\n' "$OUT" | sed -n "/^$1 [0-9a-f]/,/^\$/p"
}
t_match "good sender: delivered twice" "$(row 'good sender')" \
	'^good sender +192\.0\.2\.10 +delivered +delivered$'
t_match "dynamic IP: rejected, then dropped in the kernel" \
	"$(row 'dynamic IP')" \
	'^dynamic IP +192\.0\.2\.77 +rejected at RCPT +dropped in the kernel$'
t_match "DNSBL-listed: rejected, then dropped in the kernel" \
	"$(row 'DNSBL-listed')" \
	'^DNSBL-listed +192\.0\.2\.66 +rejected at RCPT +dropped in the kernel$'
t_match "IPv6: rejected, then dropped in the kernel" \
	"$(row 'IPv6, listed')" \
	'^IPv6, listed +2001:db8:66::10 +rejected at RCPT +dropped in the kernel$'

B=$(block 'good sender')
t_match "good sender: Postfix queued both" "$B" \
	'2nd: 250 2\.0\.0 Ok: queued as [0-9A-F]+'
t_match "good sender: why shows the verified name" "$B" \
	'ptr="mail\.good\.example" name="mail\.good\.example" fcrdns=verified'
B=$(block 'dynamic IP')
t_match "dynamic IP: the seed's table text at RCPT" "$B" \
	"1st: 554 5\.7\.1 <bob@example\.org>: Recipient address rejected: We can’t allow dynamic IP to relay!"
t_match "dynamic IP: Postfix saw one connection" "$B" \
	'2nd: no answer within 4 s; Postfix saw 1 connection from it'
t_match "dynamic IP: why names the rule's file and line" "$B" \
	'why: 192\.0\.2\.77: block \(rule\), expires in .*
 +reason=rule table=regexp:[^ ]*/rules/client_check line=14 key="77\.2\.0\.192\.dynamic\.example\.net"'
t_match "dynamic IP: the kernel counted its SYNs" "$B" 'kernel hits: [1-9]'
B=$(block 'DNSBL-listed')
t_match "DNSBL-listed: 554 naming the list" "$B" \
	'1st: 554 5\.7\.1 .*Client host \[192\.0\.2\.66\] blocked using bl\.test'
t_match "DNSBL-listed: Postfix saw one connection" "$B" \
	'Postfix saw 1 connection from it'
t_match "DNSBL-listed: why names the list and reply" "$B" \
	'why: 192\.0\.2\.66: block \(dnsbl\), expires in .*
 +reason=dnsbl list=bl\.test reply=127\.0\.0\.2'
B=$(block 'IPv6, listed')
t_match "IPv6: 554 naming the list" "$B" \
	'1st: 554 5\.7\.1 .*Client host \[2001:db8:66::10\] blocked using bl\.test'
t_match "IPv6: Postfix saw one connection" "$B" \
	'Postfix saw 1 connection from it'
t_match "IPv6: why gives the /64 verdict" "$B" \
	'why: 2001:db8:66::10: block \(dnsbl\) by 2001:db8:66::/64'
t_match "the kernel counted drops" "$OUT" 'drop_verdict +[1-9]'
t_eq "the demo left nothing behind" "$(leftovers $tag)" ""

# Stopped while the first messages are on their way.
tag=dx$$
LAB=$tag BUILD=$BUILD sh "$TOP/tests/demo.sh" >"$LABDIR/$tag.out" 2>&1 &
pid=$!
i=0
while [ $i -lt 600 ] &&
    ! grep -q "each client sends" "$LABDIR/$tag.out" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
sleep 0.5
t_check "the second demo got as far as sending mail" \
	grep -q "each client sends" "$LABDIR/$tag.out"
kill -TERM "$pid"
wait "$pid"
sleep 1
t_eq "stopped half-way, the demo left nothing behind" \
	"$(leftovers $tag)" ""

t_done
