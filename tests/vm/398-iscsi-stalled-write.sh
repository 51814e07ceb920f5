# Writes whose data never comes, and task management around them (issue
# 25): ABORT TASK of such a write is answered at once (iscsi-scst fails
# the transfer once the core marked it aborted) and the connection goes
# on; a LUN RESET that waits for a second such write does not hold up
# another initiator's LUN RESET on another target (the core's
# task-management thread polls functions under way); after
# data_out_timeout (4 s here) the stalled connection ends, which fails the
# write, completes the reset and frees the device: the vdisk closes and
# the modules unload without waiting.
. ./lib.sh
. ./iscsi-lib.sh
T=iqn.2026-12.org.scst:stalled
T2=iqn.2026-12.org.scst:other

expect_ok modprobe scst
expect_ok modprobe scst_vdisk
expect_ok modprobe iscsi-scst data_out_timeout=4
export_disk stalled 16M $T
export_disk other 16M $T2
printf "Target %s\nTarget %s\n" $T $T2 >$W/stalled.conf
start_daemon 3260 $W/stalled.conf
trap 'pkill -f iscsi-scstd' EXIT

cd $SCST_TOP/tests/vm
out=$(timeout 90 python3 - "$T" "$T2" <<'PY' 2>&1
import socket, struct, sys, time
sys.path.insert(0, ".")
from iscsi_raw import Conn, itt_of
target, other = sys.argv[1], sys.argv[2]
def conn(tgt, n):
    c = Conn(tgt, "iqn.2026-12.org.scst:stalled-raw", bytes([0x80, 0, 0, 0, 0x30, n]), ["InitialR2T=Yes", "ImmediateData=No"])
    tur = c.command_bhs(bytes(6))
    c.send(tur)
    c.wait_for(itt_of(tur))
    return c
def lun_reset(c):
    bhs = bytearray(48)
    bhs[0] = 0x40 | 0x02
    bhs[1] = 0x80 | 0x05
    struct.pack_into(">IIIII", bhs, 16, c.next_itt(), 0xFFFFFFFF, c.cmd_sn, c.exp_stat_sn, 0)
    c.send(bhs)
    return bhs
def answer(c, bhs):
    h, _ = c.wait_for(itt_of(bhs))
    return "%02x/%d" % (h[0] & 0x3F, h[2])
def stalled_write(c, lba):
    w = c.command_bhs(bytes([0x2A, 0, 0, 0, 0, lba, 0, 0, 1, 0]), write=512)
    c.send(w)
    r2t, _ = c.wait_for(itt_of(w))
    return w, r2t[0] & 0x3F
a = conn(target, 1)
b = conn(other, 2)
# ABORT TASK of a write whose data never comes: answered at once.
w1, r2t = stalled_write(a, 1)
start = time.time()
abort = a.abort_task_bhs(itt_of(w1), struct.unpack_from(">I", w1, 24)[0])
a.send(abort)
aborted = answer(a, abort)
abort_fast = time.time() - start < 2
alive = a.ping()
# A LUN RESET waits for the next such write; another initiator's LUN
# RESET on another target does not wait behind it.
w2, _ = stalled_write(a, 2)
lun_reset(a)
time.sleep(0.5)
start = time.time()
reset = answer(b, lun_reset(b))
reset_fast = time.time() - start < 2
# A's connection ends within data_out_timeout and a few seconds.
start = time.time()
closed = a.closed(20)
print("r2t 0x%02x abort %s fast %s alive %s other-reset %s fast %s stalled-closed %s in-time %s other-alive %s" % (
    r2t, aborted, abort_fast, alive, reset, reset_fast, closed, time.time() - start < 15, b.ping()))
PY
)
expect_eq "stalled writes" "$out" "r2t 0x31 abort 22/0 fast True alive True other-reset 22/0 fast True stalled-closed True in-time True other-alive True"
# ABORT TASK racing its write's completion: the write (with its data) and
# the abort go in one segment, so the abort finds the command in flight
# and the core marks it while its response is being sent.  Each pair
# ends one of two ways (RFC 7143 11.5.1): the write answered and the
# abort "Task does not exist", or the write unanswered and the abort
# "Function complete"; never both answers (libiscsi's
# AbortTaskSimpleAsync fails on that), never neither.
race=$(timeout 120 python3 - "$T2" <<'PY' 2>&1
import struct, sys
sys.path.insert(0, ".")
from iscsi_raw import Conn, itt_of
c = Conn(sys.argv[1], "iqn.2026-12.org.scst:race-raw", bytes([0x80, 0, 0, 0, 0x30, 9]), ["InitialR2T=Yes", "ImmediateData=Yes"])
seen = {}
for i in range(300):
    w = c.command_bhs(bytes([0x2A, 0, 0, 0, 0, i % 64, 0, 0, 1, 0]), write=512)
    a = c.abort_task_bhs(itt_of(w), struct.unpack_from(">I", w, 24)[0])
    out = bytearray(w)
    out[5:8] = (512).to_bytes(3, "big")
    c.s.sendall(bytes(out) + bytes(512) + bytes(a))
    # A NOP-Out after the abort's response: a write answered later than
    # that would come before its NOP-In.
    answered, tmf, nop = False, None, None
    while nop is None or not done:
        h, _ = c.recv()
        op, itt = h[0] & 0x3F, itt_of(h)
        if op == 0x21 and itt == itt_of(w):
            answered = True
        elif op == 0x22 and itt == itt_of(a):
            tmf = h[2]
            nop = c.nop_bhs(c.next_itt())
            c.send(nop)
        done = op == 0x20 and nop is not None and itt == itt_of(nop)
    key = "%s/%d" % ("answered" if answered else "aborted", tmf)
    seen[key] = seen.get(key, 0) + 1
bad = sum(n for k, n in seen.items() if k not in ("answered/1", "aborted/0"))
print("bad %d" % bad)
print(" ".join("%s=%d" % kv for kv in sorted(seen.items())))
PY
)
echo "abort race: $race"
expect_eq "abort racing completion" "$(echo "$race" | grep '^bad')" "bad 0"
expect_log "session iqn.2026-12.org.scst:stalled-raw .*: no Data-Out for ITT 0x[0-9a-f]+ in 4 s \(0 of 512 bytes came\)"
expect_log "session iqn.2026-12.org.scst:stalled-raw .* ends: a write's data did not come \(data_out_timeout\)"

pkill -f iscsi-scstd
trap - EXIT
sleep 0.5
expect_ok timeout 30 rmmod iscsi_scst
unexport_disk stalled $T
unexport_disk other $T2
unload scst_vdisk scst
exit 0
