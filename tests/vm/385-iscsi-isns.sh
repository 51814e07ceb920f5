# iSNS with open-isns's isnsd in the VM: iscsi-scstd registers its targets
# (names, alias, portal, portal group) when iscsi-scstd.conf names an
# iSNSServer; open-iscsi discovers them through iSNS and logs in; a target
# deleted with iscsi-scst-adm leaves the registration; SIGTERM
# deregisters.  With iSNSAccessControl Yes an initiator sees and logs in
# to a target only once the two share a discovery domain.
. ./lib.sh
. ./iscsi-lib.sh
T1=iqn.2026-12.org.scst:isns1
T2=iqn.2026-12.org.scst:isns2
A=$SCST_TOP/target/release/iscsi-scst-adm
command -v isnsd >/dev/null || fail "no isnsd (scripts/setup installs open-isns-server)"

# start_isnsd DEFAULT_DD: a fresh isnsd (no security), with or without the
# default discovery domain every node joins; waits until it answers.
start_isnsd() {
    pkill isnsd && sleep 0.5
    rm -rf $W/isnsdb && mkdir -p $W/isnsdb
    printf 'Database = %s\nSecurity = 0\nDefaultDiscoveryDomain = %s\n' $W/isnsdb $1 >$W/isnsd.conf
    isnsd --config $W/isnsd.conf --foreground >$W/isnsd.log 2>&1 &
    for _ in $(seq 50); do isnsadm --local --list nodes >/dev/null 2>&1 && return; sleep 0.1; done
    fail "isnsd does not start: $(cat $W/isnsd.log)"
}
# nodes: the iSCSI names registered with isnsd.
nodes() {
    isnsadm --local --list nodes 2>/dev/null | sed -n 's/.*iSCSI name = "\(.*\)"/\1/p' | sort | tr '\n' ' '
}
# wait_nodes WANT: until `nodes` says WANT (5 s at most).
wait_nodes() {
    for _ in $(seq 50); do [ "$(nodes)" = "$1" ] && return; sleep 0.1; done
    fail "iSNS nodes: '$(nodes)', want '$1'; iscsi-scstd: $(tail -3 $W/3260.log | tr '\n' '|') isnsd: $(tail -3 $W/isnsd.log | tr '\n' '|')"
}

expect_ok modprobe scst
expect_ok modprobe scst_vdisk
expect_ok modprobe iscsi-scst
export_disk isns1 32M $T1
trap 'iscsiadm -m node --logout >/dev/null 2>&1; pkill iscsid; pkill -f iscsi-scstd; pkill isnsd' EXIT

start_isnsd 1
printf 'iSNSServer 127.0.0.1\nTarget %s\n    Alias first\nTarget %s\n' $T1 $T2 >$W/isns.conf
start_daemon 3260 $W/isns.conf
wait_nodes "$T1 $T2 "
grep -q "iSNS: registered 2 target(s) with 127.0.0.1" $W/3260.log || fail "no registration logged: $(cat $W/3260.log)"
isnsadm --local --list nodes | grep -q 'iSCSI alias = "first"' || fail "alias not registered"
isnsadm --local --list portals | grep -q "Portal TCP/UDP port = 3260/tcp" || fail "portal not registered: $(isnsadm --local --list portals)"

# open-iscsi finds the targets through iSNS and logs in.
iscsid || fail "iscsid does not start"
out=$(timeout 30 iscsiadm -m discovery -t isns -p 127.0.0.1:3205 2>&1) || fail "iSNS discovery: $out"
expect_eq "targets through iSNS" "$(echo "$out" | sort | tr '\n' ' ')" "127.0.0.1:3260,1 $T1 127.0.0.1:3260,1 $T2 "
out=$(timeout 60 iscsiadm -m node -T $T1 -p 127.0.0.1:3260 --login 2>&1) || fail "login to $T1: $out"
d=$(disk_of $T1) && [ -n "$d" ] || fail "no disk for $T1"
expect_ok quiet dd if=/dev/$d of=/dev/null bs=64k count=16 iflag=direct
expect_ok quiet iscsiadm -m node -T $T1 -p 127.0.0.1:3260 --logout

# A deleted target leaves iSNS; SIGTERM deregisters the rest.
$A --socket $W/3260.sock --op delete --tid=2 >/dev/null || fail "iscsi-scst-adm delete"
wait_nodes "$T1 "
pkill -TERM -f iscsi-scstd
wait_nodes ""
grep -q "iSNS: deregistered from 127.0.0.1" $W/3260.log || fail "no deregistration logged"

# Access control: visible only within a discovery domain.
start_isnsd 0
printf 'iSNSServer 127.0.0.1\niSNSAccessControl Yes\nTarget %s\n' $T1 >$W/isns-ac.conf
sleep 0.5
start_daemon 3260 $W/isns-ac.conf
# (isnsadm's own view is limited to discovery domains now: the log says.)
for _ in $(seq 50); do grep -q "iSNS: registered 1 target(s)" $W/3260.log && break; sleep 0.1; done
grep -q "iSNS: registered 1 target(s)" $W/3260.log || fail "not registered: $(cat $W/3260.log)"
LS=iqn.2007-10.com.github:sahlberg:libiscsi:iscsi-ls
INQ=iqn.2007-10.com.github:sahlberg:libiscsi:iscsi-inq
expect_ok quiet isnsadm --local --register initiator=$LS
expect_ok quiet isnsadm --local --register initiator=$INQ
ls_targets() { timeout 20 iscsi-ls iscsi://127.0.0.1:3260 2>&1 | sed -n 's/^Target:\([^ ]*\) .*/\1/p'; }
expect_eq "no shared domain: SendTargets" "$(ls_targets)" ""
out=$(timeout 20 iscsi-inq iscsi://127.0.0.1:3260/$T1/0 2>&1) && fail "login outside any shared domain: $out"
grep -q "$INQ .*login to $T1 refused: not allowed (initiators.allow/deny, or iSNS access control) (0202)" $W/3260.log ||
    fail "no log line for the refused login: $(tail -3 $W/3260.log)"
expect_ok quiet isnsadm --local --dd-register dd-name=scst member-name=$T1 member-name=$LS member-name=$INQ
expect_eq "shared domain: SendTargets" "$(ls_targets)" "$T1"
expect_ok quiet timeout 20 iscsi-inq iscsi://127.0.0.1:3260/$T1/0

pkill -TERM -f iscsi-scstd
sleep 0.5
pkill iscsid
pkill isnsd
unload iscsi_scst
unexport_disk isns1 $T1
unload scst_vdisk scst
exit 0
