# NOP-In pings (nop_in_interval=2): an open-iscsi session that stays idle
# for several intervals answers the pings and stays up; a raw initiator
# (a Python login that then never answers) is pinged once and its
# connection ended after the next interval, with the kernel log's reason.
. ./lib.sh
. ./iscsi-lib.sh
T=iqn.2026-11.org.scst:nop

expect_ok modprobe scst
expect_ok modprobe scst_vdisk
expect_ok modprobe iscsi-scst nop_in_interval=2
expect_eq "nop_in_interval" "$(cat /sys/module/iscsi_scst/parameters/nop_in_interval)" 2
export_disk nop 16M $T
echo "Target $T" >$W/nop.conf
start_daemon 3260 $W/nop.conf
trap 'iscsiadm -m node --logout >/dev/null 2>&1; pkill iscsid; pkill -f iscsi-scstd' EXIT
iscsid || fail "iscsid does not start"
login $T
d=$(disk_of $T) && [ -n "$d" ] || fail "no disk for $T"
sleep 7
dmesg | grep -q "to tid .* ends" && fail "a session ended while idle: $(dmesg | grep ends)"
expect_ok quiet dd if=/dev/$d of=/dev/null bs=64k count=16 iflag=direct
expect_ok quiet iscsiadm -m node -T $T -p 127.0.0.1 --logout

# A login by hand, then silence: one NOP-In ping (opcode 0x20, ITT
# 0xffffffff), then the target closes the connection.
cat >$W/silent.py <<'PY'
import sys, time
sys.path.insert(0, sys.argv[2])
from iscsi_raw import Conn, RESERVED
c = Conn(sys.argv[1], "iqn.2026-11.org.scst:silent", bytes([0x80, 0x12, 0x34, 0x56, 0x78, 0x9a]),
         ["HeaderDigest=None", "DataDigest=None"])
c.s.settimeout(30)
start, pings = time.time(), 0
while True:
    try:
        r, _ = c.recv()
    except ConnectionError:
        break
    if r[0] & 0x3f == 0x20 and r[16:20] == RESERVED.to_bytes(4, "big"):
        pings += 1
print("pings %d closed after %.1f s" % (pings, time.time() - start))
PY
out=$(timeout 30 python3 $W/silent.py $T $SCST_TOP/tests/vm 2>&1) || fail "raw login: $out"
set -- $out
expect_eq "NOP-In pings to the silent initiator" "$2" 1
[ "${5%.*}" -ge 3 ] && [ "${5%.*}" -le 8 ] || fail "connection closed after $5 s, want about 4: $out"
expect_log "session iqn.2026-11.org.scst:silent .* ends: no answer to a NOP-In ping: the initiator is gone"

# An initiator that asks for 16 MiB and never reads its socket blocks
# only its own connection's sending: another session is answered at
# once meanwhile, and the stuck one is ended by the NOP-In timeout (its
# ping cannot even be sent) with all its commands finished.
cat >$W/stuck.py <<'PY'
import struct, sys, time
sys.path.insert(0, sys.argv[2])
from iscsi_raw import Conn
keys = ["HeaderDigest=None", "DataDigest=None"]
stuck = Conn(sys.argv[1], "iqn.2026-11.org.scst:stuck", bytes([0x80, 1, 2, 3, 4, 5]), keys)
for _ in range(16):
    # READ(10) of 1 MiB at LBA 0.
    stuck.send(stuck.command_bhs(bytes([0x28, 0, 0, 0, 0, 0, 0, 0x08, 0, 0]), read=1 << 20))
time.sleep(1)
other = Conn(sys.argv[1], "iqn.2026-11.org.scst:other", bytes([0x80, 6, 7, 8, 9, 10]), keys)
start = time.time()
for _ in range(2):
    # The first answer of a new session is its Unit Attention.
    bhs = other.command_bhs(bytes(6))
    other.send(bhs)
    hdr, _ = other.wait_for(struct.unpack_from(">I", bhs, 16)[0], seconds=10)
print("other answered %d in %.1f s" % (hdr[3], time.time() - start))
stuck.s.settimeout(30)
got = 0
try:
    while True:
        b = stuck.s.recv(1 << 20)
        if not b:
            break
        got += len(b)
except OSError:
    pass
print("stuck closed after %.1f s" % (time.time() - start))
PY
out=$(timeout 60 python3 $W/stuck.py $T $SCST_TOP/tests/vm 2>&1) || fail "stuck reader: $out"
set -- $out
expect_eq "status of the other session's TEST UNIT READY" "$3" 0
[ "${5%.*}" -le 2 ] || fail "the other session waited $5 s: $out"
[ "${10%.*}" -le 12 ] || fail "the stuck connection was closed after ${10} s: $out"
expect_log "session iqn.2026-11.org.scst:stuck .* ends: no answer to a NOP-In ping: the initiator is gone"
# The session is gone only once the core has all its commands back.
for i in 1 2 3 4 5; do grep -q stuck /proc/scsi_tgt/iscsi/session /proc/scsi_tgt/sessions || break; sleep 1; done
grep stuck /proc/scsi_tgt/iscsi/session /proc/scsi_tgt/sessions && fail "the stuck session is still there"

stop_iscsi
unexport_disk nop $T
unload scst_vdisk scst
exit 0
