# A READ_ONLY pass-through LUN (scst_disk over scsi_debug, through
# scst_local) refuses everything that can change the medium or the
# device's state with DATA PROTECT, WRITE PROTECTED, and none of it reaches
# the device: WRITE(10), WRITE BUFFER, MODE SELECT(6)/(10), LOG SELECT,
# SEND DIAGNOSTIC, SECURITY PROTOCOL OUT, FORMAT UNIT and a vendor-specific
# opcode without data (what it does is unknown).  Reads, INQUIRY and MODE
# SENSE still pass (issue 25; the table is host-tested in core/cdb.rs).
. ./lib.sh
P=/proc/scsi_tgt

expect_ok modprobe scst
expect_ok modprobe scst_disk
expect_ok modprobe scsi_debug dev_size_mb=16 ptype=0 add_host=1
udevadm settle 2>/dev/null || sleep 2
DISK=$(sdebug_dev 0) || fail "no scsi_debug disk"
expect_eq "handler of the disk" "$(handler_of $DISK)" dev_disk
write_ok $P/groups/Default/devices "add $DISK 0 READ_ONLY"
expect_ok modprobe scst_local
udevadm settle 2>/dev/null || sleep 2
H=$(scst_local_host 0) || fail "no scst_local host"
S=$(sg_of $H:0:0:0) || fail "no sg device"
clear_ua $S
head -c 512 /dev/urandom >/tmp/ro-data
head -c 24 /dev/zero >/tmp/ro-params

# protected WHAT SG_RAW_ARGS...: refused with DATA PROTECT, WRITE PROTECTED.
protected() {
    local what=$1 out
    shift
    out=$(sg_raw "$@" 2>&1) && fail "$what on a READ_ONLY LUN succeeded"
    echo "$out" | grep -q "Data Protect" && echo "$out" | grep -qi "Write protected" || fail "$what: $out"
}
before=$(io_requests $DISK)
protected "WRITE(10)" -s 512 -i /tmp/ro-data $S 2a 00 00 00 00 00 00 00 01 00
protected "WRITE BUFFER" -s 512 -i /tmp/ro-data $S 3b 05 00 00 00 00 00 02 00 00
protected "MODE SELECT(6)" -s 12 -i /tmp/ro-params $S 15 10 00 00 0c 00
protected "MODE SELECT(10)" -s 24 -i /tmp/ro-params $S 55 10 00 00 00 00 00 00 18 00
protected "LOG SELECT" $S 4c 02 00 00 00 00 00 00 00 00
protected "SEND DIAGNOSTIC" $S 1d 04 00 00 00 00
protected "SECURITY PROTOCOL OUT" -s 512 -i /tmp/ro-data $S b5 ef 00 00 00 00 00 00 02 00 00 00
protected "FORMAT UNIT" $S 04 00 00 00 00 00
protected "vendor opcode 0xc1" $S c1 00 00 00 00 00
expect_eq "refused commands at the device" "$(( $(io_requests $DISK) - before ))" 0

expect_ok quiet sg_raw -r 512 $S 28 00 00 00 00 00 00 00 01 00
expect_ok quiet sg_inq $S
expect_ok quiet sg_raw -r 252 $S 1a 00 3f 00 fc 00
[ "$(( $(io_requests $DISK) - before ))" -ge 3 ] || fail "reads did not reach the device"

unload scst_local
write_ok $P/groups/Default/devices clear
unload scsi_debug scst_disk scst
exit 0
