# iscsi-scstd's discovery sessions with two real initiators, libiscsi's
# iscsi-ls and open-iscsi's iscsiadm, over IPv4 and IPv6 loopback: the
# targets of iscsi-scstd.conf are listed with their portal; discovery CHAP
# (one-way and mutual) lets the right secret in and keeps a wrong one or
# none out; initiators.deny hides a target from one address; a bad
# configuration is refused naming the line; a normal-session login is
# refused with "service unavailable" while the kernel module is absent.
. ./lib.sh
. ./iscsi-lib.sh
T1=iqn.2026-11.org.scst:disk1 T2=iqn.2026-11.org.scst:disk2

# targets URL: the target names iscsi-ls lists.
targets() {
    timeout 20 iscsi-ls "$1" 2>&1 | sed -n 's/^Target:\([^ ]*\) Portal:.*/\1/p' | sort | tr '\n' ' '
}

# A configuration error names the file and line, and the daemon exits.
printf 'Target %s\n  MaxBurstLength 100\n' $T1 >$W/bad.conf
out=$("$D" -f -p 3299 -c $W/bad.conf 2>&1) && fail "iscsi-scstd started with a bad configuration"
echo "$out" | grep -q "bad.conf: line 2: MaxBurstLength 100: not in 512..16777215" || fail "bad configuration message: $out"

# No authentication.
printf 'Target %s\n  Alias one\nTarget %s\n  Lun 0 Path=/dev/null\n' $T1 $T2 >$W/open.conf
start_daemon 3260 $W/open.conf
grep -q "line 4: Lun ignored" $W/3260.log || fail "no notice for the Lun line: $(cat $W/3260.log)"
expect_eq "iscsi-ls targets" "$(targets iscsi://127.0.0.1:3260)" "$T1 $T2 "
expect_eq "iscsi-ls over IPv6" "$(targets 'iscsi://[::1]:3260')" "$T1 $T2 "
timeout 20 iscsi-ls 'iscsi://[::1]:3260' | grep -q "Portal:\[::1\]:3260,1" || fail "IPv6 portal address"

# open-iscsi: iscsid plus iscsiadm's SendTargets discovery.
iscsid || fail "iscsid does not start"
trap 'pkill iscsid; pkill -f iscsi-scstd' EXIT
out=$(timeout 30 iscsiadm -m discovery -t sendtargets -p 127.0.0.1:3260 2>&1) || fail "iscsiadm discovery: $out"
expect_eq "iscsiadm discovery" "$(echo "$out" | sort | tr '\n' ' ')" "127.0.0.1:3260,1 $T1 127.0.0.1:3260,1 $T2 "

# A normal session without the kernel module: refused, the reason logged.
out=$(timeout 20 iscsi-inq iscsi://127.0.0.1:3260/$T1/0 2>&1) && fail "login to a normal session succeeded without iscsi-scst"
grep -q "login to $T1 refused: the iscsi-scst module was not loaded when iscsi-scstd started (0301)" $W/3260.log ||
    fail "no log line for the refused normal login: $(tail -3 $W/3260.log)"
# An unknown target: not found.
out=$(timeout 20 iscsi-inq iscsi://127.0.0.1:3260/iqn.2026-11.org.scst:nope/0 2>&1) && fail "login to an unknown target succeeded"
grep -q "refused: no such target (0203)" $W/3260.log || fail "no log line for the unknown target"

# Discovery CHAP, mutual with the OutgoingUser; initiators.deny hides T2
# from 127.0.0.1 (IPv6 loopback still sees it).
printf 'IncomingUser joe secretsecret1\nOutgoingUser tgt tgtsecret12345\nTarget %s\nTarget %s\n' $T1 $T2 >$W/chap.conf
printf '# T2 not for IPv4 loopback\n%s 127.0.0.1\n' $T2 >$W/deny
start_daemon 3261 $W/chap.conf $W/deny
expect_eq "one-way CHAP" "$(targets 'iscsi://joe%secretsecret1@[::1]:3261')" "$T1 $T2 "
expect_eq "mutual CHAP" "$(targets 'iscsi://joe%secretsecret1@[::1]:3261?target_user=tgt&target_password=tgtsecret12345')" "$T1 $T2 "
expect_eq "denied for 127.0.0.1" "$(targets 'iscsi://joe%secretsecret1@127.0.0.1:3261')" "$T1 "
expect_eq "wrong secret" "$(targets 'iscsi://joe%wrongsecret12@[::1]:3261')" ""
expect_eq "no secret" "$(targets 'iscsi://[::1]:3261')" ""
[ "$(grep -c 'login to discovery refused: authentication failed (0201)' $W/3261.log)" = 2 ] ||
    fail "want two refused discovery logins: $(cat $W/3261.log)"
# A target that answers mutual CHAP with the wrong secret is refused by
# the initiator.
out=$(timeout 20 iscsi-ls 'iscsi://joe%secretsecret1@[::1]:3261?target_user=tgt&target_password=notthesecret1' 2>&1) &&
    fail "libiscsi accepted a wrong target secret"
echo "$out" | grep -q "Invalid CHAP_R response from the target" || fail "mutual CHAP failure: $out"

# open-iscsi with discovery CHAP (its discovery database).
db() { iscsiadm -m discoverydb -t sendtargets -p 127.0.0.1:3261 "$@"; }
expect_ok quiet db -o new
expect_ok quiet db -o update -n discovery.sendtargets.auth.authmethod -v CHAP
expect_ok quiet db -o update -n discovery.sendtargets.auth.username -v joe
expect_ok quiet db -o update -n discovery.sendtargets.auth.password -v secretsecret1
out=$(timeout 30 iscsiadm -m discoverydb -t sendtargets -p 127.0.0.1:3261 --discover 2>&1) || fail "iscsiadm CHAP discovery: $out"
expect_eq "iscsiadm CHAP discovery" "$out" "127.0.0.1:3261,1 $T1"
expect_ok quiet db -o update -n discovery.sendtargets.auth.password -v wrongsecret12
out=$(timeout 30 iscsiadm -m discoverydb -t sendtargets -p 127.0.0.1:3261 --discover 2>&1) && fail "iscsiadm discovery with a wrong secret: $out"
exit 0
