# iscsi-scst-adm against a running iscsi-scstd, with open-iscsi logged in:
# listing, a target added at run time (logins, LUNs from its group), a
# session's parameters, a parameter update for new sessions, CHAP
# accounts added and deleted, a connection dropped in the middle of
# verified writes (the initiator recovers, no acknowledged write is lost),
# a session asked to log out, a target deleted under its session (Async
# Message logout), bad requests, non-root refused; the tool's socket is
# root's (a second daemon, a squatter, a stale socket file); then SIGTERM
# stops the daemon cleanly (its targets leave the kernel, sessions logged
# out, the socket file goes).
. ./lib.sh
. ./iscsi-lib.sh
A=$SCST_TOP/target/release/iscsi-scst-adm
T1=iqn.2026-12.org.scst:adm1
T2=iqn.2026-12.org.scst:adm2
[ -x $A ] || fail "no $A (make tools)"

expect_ok modprobe scst
expect_ok modprobe scst_vdisk
expect_ok modprobe iscsi-scst
export_disk adm1 64M $T1
export_disk adm2 32M $T2
echo "Target $T1" >$W/adm.conf
"$D" -f -d 1 -p 3260 -c $W/adm.conf --allow $W/none --deny $W/none --pid-file $W/adm.pid >$W/adm.log 2>&1 &
daemon=$!
for _ in $(seq 50); do grep -q "listening on" $W/adm.log && break; sleep 0.1; done
S=/run/iscsi-scstd.sock
expect_eq "the tool's socket" "$(stat -c '%F %a %U' $S)" "socket 600 root"
trap 'iscsiadm -m node --logout >/dev/null 2>&1; pkill fio; pkill iscsid; pkill -f iscsi-scstd' EXIT
iscsid || fail "iscsid does not start"

# adm ARGS...: iscsi-scst-adm's output; the test fails if it fails.
adm() {
    local out
    out=$($A "$@" 2>&1) || fail "iscsi-scst-adm $*: $out"
    echo "$out"
}
# adm_fails MESSAGE ARGS...: iscsi-scst-adm fails with MESSAGE.
adm_fails() {
    local want=$1 out
    shift
    out=$($A "$@" 2>&1) && fail "iscsi-scst-adm $* succeeded: $out"
    echo "$out" | grep -qF -- "$want" || fail "iscsi-scst-adm $*: '$out', not '$want'"
}
# sid_of TID: the session id /proc lists under target TID (waits up to
# 10 s for one).
sid_of() {
    local s
    for _ in $(seq 100); do
        s=$(awk -v t="tid:$1" '$1 ~ /^tid:/ {on = ($1 == t)} on && $1 ~ /^sid:/ {sub("sid:", "", $1); print $1; exit}' $P/iscsi/session)
        [ -n "$s" ] && { echo $s; return; }
        sleep 0.1
    done
}

expect_eq "listing" "$(adm --op show)" "tid:1 name:$T1"

# A target added at run time: registered in the kernel, discovered, and
# its session sees group Default_T2's LUN.
adm --op new --tid=2 --params Name=$T2 >/dev/null
adm_fails "tid 2 is target $T2" --op new --tid=2 --params Name=iqn.2026-12.org.scst:other
adm_fails "target $T2 exists" --op new --tid=3 --params Name=$T2
grep -q "tid:2 name:$T2" $P/iscsi/session || fail "T2 not in the kernel: $(cat $P/iscsi/session)"
login $T2
d2=$(disk_of $T2) && [ -n "$d2" ] || fail "no disk for $T2"
expect_eq "T2 disk size" "$(blockdev --getsize64 /dev/$d2)" $((32 << 20))

# The session's parameters, read from the kernel.
sid=$(sid_of 2)
[ -n "$sid" ] || fail "no session of T2 listed: $(cat $P/iscsi/session)"
out=$(adm --op show --tid=2 --sid=$sid)
echo "$out" | grep -qx "InitiatorName=$(sed -n 's/^InitiatorName=//p' /etc/iscsi/initiatorname.iscsi)" || fail "show session: $out"
echo "$out" | grep -qx "MaxBurstLength=1048576" || fail "show session MaxBurstLength: $out"
echo "$out" | grep -q "^InitiatorAddress=.*127\.0\.0\.1\]*:[0-9]*$" || fail "show session address: $out"
adm_fails "no session 12345 in target 2" --op show --tid=2 --sid=12345

# Parameters for new sessions; the running session keeps its values.
adm_fails "FirstBurstLength is larger than MaxBurstLength" --op update --tid=2 --params MaxBurstLength=65536
adm --op update --tid=2 --params FirstBurstLength=32768,MaxBurstLength=65536,InitialR2T=Yes >/dev/null
out=$(adm --op show --tid=2)
echo "$out" | grep -qx "MaxBurstLength=65536" && echo "$out" | grep -qx "InitialR2T=Yes" || fail "show target after update: $out"
adm --op show --tid=2 --sid=$sid | grep -qx "MaxBurstLength=1048576" || fail "the running session changed"
adm_fails "unknown key Frob" --op update --tid=2 --params Frob=1

# The target asks the session to log out; the next session runs with the
# updated parameters.
adm --op delete --tid=2 --sid=$sid >/dev/null
dmesg | grep -q "session .* to tid 2 ends: logged out at the target's request" ||
    fail "no logout at the target's request: $(dmesg | grep iscsi_scst | tail -5)"
expect_ok quiet timeout 60 iscsiadm -m node -T $T2 -p 127.0.0.1 --logout
login $T2
sid=$(sid_of 2)
adm --op show --tid=2 --sid=$sid | grep -qx "MaxBurstLength=65536" || fail "new session without the update"
expect_ok quiet dd if=/dev/urandom of=/dev/$(disk_of $T2) bs=256k count=8 oflag=direct
expect_ok quiet iscsiadm -m node -T $T2 -p 127.0.0.1 --logout

# CHAP accounts at run time: with an IncomingUser the target needs CHAP.
adm --op new --tid=2 --user --params IncomingUser=joe,Password=secretsecret1 >/dev/null
expect_eq "accounts" "$(adm --op show --tid=2 --user)" "IncomingUser joe"
expect_eq "account" "$(adm --op show --tid=2 --user --params IncomingUser=joe)" "IncomingUser joe secretsecret1"
out=$(timeout 60 iscsiadm -m node -T $T2 -p 127.0.0.1 --login 2>&1) && fail "login without CHAP to a target with an account: $out"
expect_ok quiet iscsiadm -m node -T $T2 -p 127.0.0.1 -o update -n node.session.auth.authmethod -v CHAP
expect_ok quiet iscsiadm -m node -T $T2 -p 127.0.0.1 -o update -n node.session.auth.username -v joe
expect_ok quiet iscsiadm -m node -T $T2 -p 127.0.0.1 -o update -n node.session.auth.password -v secretsecret1
out=$(timeout 60 iscsiadm -m node -T $T2 -p 127.0.0.1 --login 2>&1) || fail "CHAP login with the new account: $out"
d2=$(disk_of $T2) && [ -n "$d2" ] || fail "no disk for $T2 after the CHAP login"
adm_fails "target 2 has no IncomingUser jim" --op delete --tid=2 --user --params IncomingUser=jim
adm --op delete --tid=2 --user --params IncomingUser=joe >/dev/null
expect_eq "accounts after delete" "$(adm --op show --tid=2 --user)" ""

# A connection dropped in the middle of verified writes: open-iscsi logs
# in again and fio's verify pass finds every acknowledged block.
login $T1
d1=$(disk_of $T1) && [ -n "$d1" ] || fail "no disk for $T1"
sid1=$(sid_of 1)
fio --name=v --filename=/dev/$d1 --ioengine=libaio --direct=1 --rw=randwrite --bs=4k-128k --iodepth=16 \
    --size=48M --rate=8m --verify=crc32c --do_verify=1 --verify_fatal=1 >$W/fio.log 2>&1 &
fio_pid=$!
sleep 2
kill -0 $fio_pid 2>/dev/null || fail "fio ended before the connection was dropped: $(cat $W/fio.log)"
adm --op delete --tid=1 --sid=$sid1 --cid=0 >/dev/null
dmesg | grep -q "connection 0 dropped by the administrator" || fail "no log line for the dropped connection"
new_sid=$(sid_of 1)
[ -n "$new_sid" ] || fail "the initiator did not log in again"
adm_fails "connection 7 of session $new_sid in target 1" --op delete --tid=1 --sid=$new_sid --cid=7
wait $fio_pid || fail "fio verify failed after the connection drop: $(tail -20 $W/fio.log)"
grep -q "err= 0" $W/fio.log || fail "fio reported errors: $(cat $W/fio.log)"

# Deleting a target under its session: the session is asked to log out,
# the target leaves the kernel, the daemon's listing and discovery.
adm --op delete --tid=2 >/dev/null
grep -q "tid:2" $P/iscsi/session && fail "T2 still in the kernel: $(cat $P/iscsi/session)"
expect_eq "listing after delete" "$(adm --op show | grep '^tid:')" "tid:1 name:$T1"
dmesg | grep -q "session .* to tid 2 ends: logged out at the target's request" || fail "T2's session was not logged out"
iscsiadm -m discovery -t sendtargets -p 127.0.0.1 2>/dev/null | grep -q $T2 && fail "T2 still discovered"
expect_ok quiet iscsiadm -m node -T $T2 -p 127.0.0.1 --logout

# Bad requests and users.
adm_fails "no target with tid 9" --op delete --tid=9
adm_fails "--op new needs --tid=ID (not 0)" --op new --params Name=iqn.2026-12.org.scst:x
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups $A --op show 2>&1) && fail "nobody used iscsi-scst-adm: $out"
echo "$out" | grep -q "permission denied: root only" || fail "nobody: $out"
adm_fails "cannot reach iscsi-scstd at /run/elsewhere.sock" --socket /run/elsewhere.sock --op show
# A second daemon on the same socket refuses to start, and adds nothing
# to the kernel first.
T3=iqn.2026-12.org.scst:adm3
echo "Target $T3" >$W/adm3.conf
out=$(timeout 20 "$D" -f -p 3262 -c $W/adm3.conf --allow $W/none --deny $W/none 2>&1) && fail "a second daemon started on $S: $out"
echo "$out" | grep -qF "iscsi-scst-adm socket $S: another iscsi-scstd serves it" || fail "second daemon: $out"
grep -q "$T3" $P/iscsi/session && fail "the refused daemon added $T3: $(cat $P/iscsi/session)"
[ -S $S ] || fail "the refused daemon removed $S"
adm --op show | grep -q "^tid:1 name:$T1" || fail "the first daemon no longer answers"
# Something else at the path: refused too.
touch $W/plain
out=$(timeout 20 "$D" -f -p 3262 -c $W/adm3.conf --allow $W/none --deny $W/none --socket $W/plain 2>&1) && fail "started on a plain file: $out"
echo "$out" | grep -qF "iscsi-scst-adm socket $W/plain: exists and is not a socket" || fail "plain file: $out"
# A user's socket elsewhere gets nothing from the tool (a request may
# carry CHAP secrets): the tool talks only to root.
rm -f /tmp/squat.got /tmp/squat.sock
setpriv --reuid=65534 --regid=65534 --clear-groups python3 -c '
import socket, sys
l = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
l.bind("/tmp/squat.sock")
l.listen(1)
print("ready", flush=True)
l.settimeout(20)
c, _ = l.accept()
c.settimeout(3)
got = b""
try:
    while True:
        b = c.recv(4096)
        if not b:
            break
        got += b
except OSError:
    pass
sys.stderr.write("got %d bytes\n" % len(got))
' >/tmp/squat.out 2>/tmp/squat.got &
squatter=$!
for _ in $(seq 50); do grep -q ready /tmp/squat.out && break; sleep 0.1; done
adm_fails "/tmp/squat.sock belongs to uid 65534, not to root's iscsi-scstd: nothing sent" --socket /tmp/squat.sock --op new --tid=2 --user --params IncomingUser=joe,Password=secretsecret1
wait $squatter
expect_eq "what the squatter got" "$(cat /tmp/squat.got)" "got 0 bytes"
rm -f /tmp/squat.sock

# SIGTERM: T1's session is asked to log out, T1 leaves the kernel, the
# pid file goes, the daemon exits 0.
[ -s $W/adm.pid ] || fail "no pid file"
kill -TERM $daemon
wait $daemon || fail "iscsi-scstd exited with $? on SIGTERM: $(tail $W/adm.log)"
expect_eq "kernel targets after SIGTERM" "$(cat $P/iscsi/session)" ""
[ -e $W/adm.pid ] && fail "pid file left behind"
[ -e $S ] && fail "$S left behind"
dmesg | grep -q "session .* to tid 1 ends: logged out at the target's request" || fail "T1's session was not logged out"
expect_ok quiet iscsiadm -m node -T $T1 -p 127.0.0.1 --logout
pkill iscsid

# A socket file nobody listens on (a daemon killed with SIGKILL) is
# replaced by the next daemon, which the tool then reaches.
python3 -c 'import socket; socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).bind("'$S'")'
[ -S $S ] || fail "no stale socket to test with"
"$D" -f -p 3260 -c $W/adm.conf --allow $W/none --deny $W/none >$W/adm2.log 2>&1 &
daemon=$!
for _ in $(seq 50); do grep -q "listening on" $W/adm2.log && break; sleep 0.1; done
grep -qF "iscsi-scst-adm socket $S: left by a daemon that is gone; replaced" $W/adm2.log || fail "stale socket: $(cat $W/adm2.log)"
expect_eq "listing through the replaced socket" "$(adm --op show | grep '^tid:')" "tid:1 name:$T1"
kill -TERM $daemon
wait $daemon || fail "iscsi-scstd exited with $? on SIGTERM: $(tail $W/adm2.log)"
unexport_disk adm1 $T1
unexport_disk adm2 $T2
unload iscsi_scst scst_vdisk scst
exit 0
