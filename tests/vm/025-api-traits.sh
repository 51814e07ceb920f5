# The two examples docs/api.md opens with, written against the trait API
# (rust/api/handler.rs, rust/api/target.rs), work with the real core:
# scst_min_disk's disk is exported by scst_local (the kernel's sd reads
# zeroes from it and writes to it), scst_min_target's session gets the
# INQUIRY answer of the disk, and both unload cleanly, the core refusing
# to go while they are loaded.
. ./lib.sh
P=/proc/scsi_tgt

expect_ok modprobe scst_min_disk
expect_eq "handler type" "$(cat $P/min_disk/type)" \
    "0 - direct-access device (e.g., magnetic disk)"
expect_log 'scst: device handler min_disk for type 0 registered'
scst_local_up min0
expect_eq "capacity (512-byte sectors)" "$(cat /sys/block/$(basename "$(dev 0)")/size)" "2097152"
expect_eq "reads zeroes" "$(dd if="$(dev 0)" bs=4096 count=16 iflag=direct status=none | tr -d '\0' | wc -c)" "0"
expect_ok dd if=/dev/urandom of="$(dev 0)" bs=4096 count=16 oflag=direct status=none
if command -v sg_inq >/dev/null; then
    sg=$(sg_of $H:0:0:0) || fail "no sg device"
    expect_eq "INQUIRY product" "$(sg_inq "$sg" | sed -n 's/^ Product identification: *\(.*[^ ]\) *$/\1/p')" "min_disk"
    # An opcode the handler does not know: CHECK CONDITION, INVALID
    # COMMAND OPERATION CODE (20h/00h), from `Cmd::fail`.
    out=$(sg_raw -v "$sg" 4d 00 00 00 00 00 00 00 10 00 2>&1 || true)
    echo "$out" | grep -qi 'invalid command operation code' ||
        fail "unknown opcode not refused with INVALID COMMAND OPERATION CODE: $out"
fi

# The target driver's session is bound to Default, where min0 is LUN 0.
expect_ok modprobe scst_min_target
expect_log 'scst: target driver min_target registered'
expect_log 'scst_min_target: INQUIRY of LUN 0: status 0x00, 36 bytes, vendor "SCST_RS ", product "min_disk        "'
expect_fail rmmod scst
expect_fail rmmod scst_min_disk
expect_ok rmmod scst_min_target
expect_log 'scst: target driver min_target unregistered'

udevadm settle 2>/dev/null
unload scst_local
write_ok $P/groups/Default/devices "clear"
expect_ok rmmod scst_min_disk
expect_log 'scst: device handler min_disk unregistered'
[ ! -e $P/min_disk ] || fail "handler directory left behind"
unload scst
exit 0
