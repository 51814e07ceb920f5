# A write whose data never comes, and task management around it (issue
# 25): an initiator sends a WRITE, never its Data-Out, and aborts it; a
# LUN RESET from another initiator on another target is answered at once
# (the core's task-management thread does not wait for the stuck abort);
# after data_out_timeout (4 s here) the stalled connection ends, which
# fails the write, completes the abort, and frees the device: the
# device's vdisk closes and the modules unload without waiting.
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
    h, _ = c.wait_for(itt_of(bhs))
    return "%02x/%d" % (h[0] & 0x3F, h[2])
a = conn(target, 1)
b = conn(other, 2)
w = a.command_bhs(bytes([0x2A, 0, 0, 0, 0, 0, 0, 0, 1, 0]), write=512)
a.send(w)
r2t, _ = a.wait_for(itt_of(w))
abort = a.abort_task_bhs(itt_of(w), struct.unpack_from(">I", w, 24)[0])
a.send(abort)
time.sleep(0.5)
start = time.time()
reset = lun_reset(b)
took = time.time() - start
# A's connection ends within data_out_timeout and a few seconds.
start = time.time()
closed = a.closed(20)
print("r2t 0x%02x other-reset %s fast %s stalled-closed %s in-time %s other-alive %s" % (
    r2t[0] & 0x3F, reset, took < 2, closed, time.time() - start < 15, b.ping()))
PY
)
expect_eq "stalled write" "$out" "r2t 0x31 other-reset 22/0 fast True stalled-closed True in-time True other-alive True"
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
