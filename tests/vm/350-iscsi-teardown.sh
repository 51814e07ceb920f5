# Sessions end cleanly whatever the initiator is doing: with open-iscsi
# writing through fio, the target is deleted (DEL_TARGET), which ends its
# session in the middle of writes waiting for data; the commands fail
# back to the initiator, nothing hangs, the session disappears, and the
# module unloads.  Then a session killed by unloading the module (daemon
# gone, initiator still logged in) ends the same way.
. ./lib.sh
. ./iscsi-lib.sh
T1=iqn.2026-11.org.scst:disk1

expect_ok modprobe scst
expect_ok modprobe scst_vdisk
expect_ok modprobe iscsi-scst
export_disk disk1 256M $T1
# All data solicited, small bursts: many writes wait for Data-Out.
printf 'Target %s\n    InitialR2T Yes\n    ImmediateData No\n    MaxBurstLength 16384\n    FirstBurstLength 16384\n' $T1 >$W/one.conf
start_daemon 3260 $W/one.conf
trap 'iscsiadm -m node --logout >/dev/null 2>&1; pkill fio; pkill iscsid; pkill -f iscsi-scstd' EXIT
iscsid || fail "iscsid does not start"
# Fail fast instead of queueing I/O for two minutes while the target is gone.
login_fast() {
    expect_ok quiet timeout 30 iscsiadm -m discovery -t sendtargets -p 127.0.0.1
    expect_ok quiet iscsiadm -m node -T $T1 -p 127.0.0.1 -o update -n node.session.timeo.replacement_timeout -v 2
    # Not `login`: its discovery would reset the node record.
    out=$(timeout 60 iscsiadm -m node -T $T1 -p 127.0.0.1 --login 2>&1) || fail "iscsiadm login: $out"
    dev=$(disk_of $T1)
    [ -n "$dev" ] || fail "no disk attached"
}
login_fast
fio --name=w --filename=/dev/$dev --ioengine=libaio --direct=1 --rw=randwrite --bs=256k --iodepth=16 \
    --time_based --runtime=60 >$W/fio.log 2>&1 &
fio_pid=$!
sleep 3
grep -q "sid:" $P/iscsi/session || fail "no session listed during fio"

# DEL_TARGET (as iscsi-scst-adm will send it) in the middle of the writes.
python3 - <<'PY' || fail "DEL_TARGET refused"
import fcntl, os, struct
fd = os.open("/dev/iscsi-scst-ctl", os.O_RDWR)
fcntl.ioctl(fd, 0x40e86921, struct.pack("II224s", 1, 1, b"iqn.2026-11.org.scst:disk1"))
PY
grep -q "tid:1" $P/iscsi/session && fail "target still listed: $(cat $P/iscsi/session)"
dmesg | grep -q "iscsi_scst: session .* to tid 1 ends" || fail "no log line for the session's end"
# fio fails (no target) and ends well before its 60 s.
for _ in $(seq 300); do kill -0 $fio_pid 2>/dev/null || break; sleep 0.1; done
kill -0 $fio_pid 2>/dev/null && fail "fio still running 30 s after the target went"
expect_ok quiet timeout 60 iscsiadm -m node -T $T1 -p 127.0.0.1 --logout

# The daemon registers the target again when restarted; a new session,
# then the daemon goes and the module is unloaded under the session.
pkill -f iscsi-scstd
sleep 0.5
start_daemon 3260 $W/one.conf
login_fast
# SIGKILL: a stopping daemon (SIGTERM) would log the session out first.
pkill -KILL -f iscsi-scstd
sleep 0.5
grep -q "sid:" $P/iscsi/session || fail "the session did not outlive the daemon"
unload iscsi_scst
expect_ok quiet timeout 60 iscsiadm -m node -T $T1 -p 127.0.0.1 --logout
pkill iscsid
unexport_disk disk1 $T1
unload scst_vdisk scst
exit 0
