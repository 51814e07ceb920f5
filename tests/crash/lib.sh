# Shared by the two boots of the crash-consistency test (tests/crash/run).
# Each case is one QEMU disk (virtio-blk, its serial is the case's name),
# exported through SCST in boot 1 in one way and read back in boot 2.
#   NAME      vdisk over the disk     how the writes are made durable
#   wt        FILEIO WRITE_THROUGH    nothing more (WCE is off)
#   fua       FILEIO                  each WRITE carries FUA
#   sync      FILEIO                  SYNCHRONIZE CACHE after the writes
#   biofua    BLOCKIO                 FUA
#   biosync   BLOCKIO                 SYNCHRONIZE CACHE
#   none      FILEIO                  nothing: the control, which must
#                                     lose writes, or the crash proves
#                                     nothing
CASES="wt fua sync biofua biosync none"
# Blocks of 4 KiB written to each, with a header naming the run, the case
# and the block.
BLOCKS=256

# disk NAME: the guest's device node of QEMU disk NAME.
disk() {
    local b
    for b in /sys/block/vd*; do
        [ "$(cat $b/serial 2>/dev/null)" = "$1" ] || continue
        echo /dev/${b##*/}
        return 0
    done
    return 1
}

# pattern RUN NAME: the BLOCKS blocks case NAME writes, on stdout.
pattern() {
    python3 - "$1" "$2" "$BLOCKS" <<'PY'
import sys
run, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
out = sys.stdout.buffer
for i in range(n):
    head = ("crash-test run %s case %s block %d\n" % (run, name, i)).encode()
    out.write((head * (4096 // len(head) + 1))[:4096])
PY
}
