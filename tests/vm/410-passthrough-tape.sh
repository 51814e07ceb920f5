# dev_tape and dev_changer through scst_local, on the tape drive and medium
# changer tgtd exports to the guest (tgt-lib.sh): mtx moves a tape into
# the drive and back; mt rewinds, writes filemarks and spaces over them;
# tar and dd write files in variable-block mode and read them back, also
# with reads longer than the blocks (the device's residue must become the
# byte count); dev_tape_perf pretends READ and WRITE.
. ./lib.sh
. ./tgt-lib.sh
P=/proc/scsi_tgt

expect_ok modprobe scst
expect_ok modprobe scst_tape
expect_ok modprobe scst_changer
expect_eq "dev_tape type" "$(cat $P/dev_tape/type)" "1 - sequential-access device (e.g., magnetic tape)"
expect_eq "dev_changer type" "$(cat $P/dev_changer/type)" "8 - medium changer device (e.g., jukeboxes)"
cleanup() {
    modprobe -r scst_local 2>/dev/null
    tgt_stop
}
trap cleanup EXIT
tgt_start
expect_eq "handler of the tape" "$(handler_of $TGT_TAPE_HCTL)" dev_tape
expect_eq "handler of the changer" "$(handler_of $TGT_CHANGER_HCTL)" dev_changer
expect_log "$TGT_TAPE_HCTL: attached \(block size 0,"
write_ok $P/groups/Default/devices "add $TGT_TAPE_HCTL 0"
write_ok $P/groups/Default/devices "add $TGT_CHANGER_HCTL 1"
expect_ok modprobe scst_local
udevadm settle 2>/dev/null || sleep 2
H=$(scst_local_host 0) || fail "no scst_local host"
ST= CH=
for _ in $(seq 50); do
    ST=$(ls /sys/class/scsi_device/$H:0:0:0/device/scsi_tape/ 2>/dev/null | grep -m1 '^nst[0-9]*$')
    CH=$(ls /sys/class/scsi_device/$H:0:0:1/device/scsi_changer/ 2>/dev/null | grep -m1 '^sch[0-9]*$')
    [ -n "$ST" ] && [ -n "$CH" ] && [ -c /dev/$ST ] && [ -c /dev/$CH ] && break
    sleep 0.2
done
[ -n "$ST" ] && [ -n "$CH" ] || fail "no st/ch on scst_local: $(ls /sys/class/scsi_device/)"
ST=/dev/$ST CH=/dev/$CH
sg_inq $(sg_of $H:0:0:0) | grep -q "Product identification: VIRTUAL-TAPE" ||
    fail "exported tape: $(sg_inq $(sg_of $H:0:0:0))"

# mtx: the inventory, then slot 1's tape into the drive.
out=$(mtx -f $CH status 2>&1) || fail "mtx status: $out"
echo "$out" | grep -q "Storage Element 1:Full :VolumeTag=TGT001" || fail "mtx status: $out"
echo "$out" | grep -q "Data Transfer Element 0:Empty" || fail "mtx status (drive): $out"
expect_ok quiet mtx -f $CH load 1 0
out=$(mtx -f $CH status 2>&1)
echo "$out" | grep -q "Data Transfer Element 0:Full (Storage Element 1 Loaded):VolumeTag = TGT001" ||
    fail "after load: $out"
echo "$out" | grep -q "Storage Element 1:Empty" || fail "after load (slot): $out"

# mt and data: file 0 by tar, file 1 by dd in 64 KiB blocks (the last one
# shorter), an extra filemark.
mkdir -p /tmp/src /tmp/back
for i in 1 2 3; do head -c $((i * 150000 + 7)) /dev/urandom >/tmp/src/f$i; done
head -c $((5 * 65536 + 1234)) /dev/urandom >/tmp/blob
expect_ok mt -f $ST rewind
out=$(mt -f $ST status 2>&1) || fail "mt status: $out"
echo "$out" | grep -q "File number=0, block number=0" || fail "mt status after rewind: $out"
expect_ok tar -C /tmp/src -cf $ST -b 128 f1 f2 f3
expect_ok quiet dd if=/tmp/blob of=$ST bs=64k
expect_ok mt -f $ST weof 1
out=$(mt -f $ST status 2>&1)
echo "$out" | grep -q "File number=3," || fail "mt status after three files: $out"
expect_ok mt -f $ST rewind
expect_ok tar -C /tmp/back -xf $ST -b 128
for i in 1 2 3; do cmp /tmp/src/f$i /tmp/back/f$i || fail "f$i differs after the tape round trip"; done
# tar leaves the tape inside file 0: fsf to file 1, and read the blocks
# with 256 KiB reads (each returns one shorter block: the residue).
expect_ok mt -f $ST rewind
expect_ok mt -f $ST fsf 1
timeout 60 dd if=$ST of=/tmp/blob.back bs=256k 2>/tmp/dd.err || fail "dd read: $(cat /tmp/dd.err)"
cmp /tmp/blob /tmp/blob.back || fail "the dd file differs: $(stat -c %s /tmp/blob.back) bytes back"
grep -q "^0+6 records in" /tmp/dd.err || fail "dd read other than 6 short blocks: $(cat /tmp/dd.err)"
out=$(mt -f $ST status 2>&1)
echo "$out" | grep -q "File number=2, block number=0" || fail "mt status after file 1: $out"
expect_ok mt -f $ST rewind

# A handler in use stays.
expect_fail rmmod scst_tape

# dev_tape_perf: the same drive as LUN 2; WRITE(6) and READ(6) succeed
# without reaching the drive, REWIND reaches it.
write_ok $P/groups/Default/devices "del $TGT_TAPE_HCTL"
write_ok $P/scsi_tgt "assign $TGT_TAPE_HCTL dev_tape_perf"
expect_eq "handler after assign" "$(handler_of $TGT_TAPE_HCTL)" dev_tape_perf
write_ok $P/groups/Default/devices "add $TGT_TAPE_HCTL 2"
echo "- - -" >/sys/class/scsi_host/host$H/scan
udevadm settle 2>/dev/null
S=$(sg_of $H:0:0:2) || fail "no LUN 2 after the scan"
# The new LUN's unit attention, if any.
sg_turs $S >/dev/null 2>&1
clear_ua $S
before=$(io_requests $TGT_TAPE_HCTL)
expect_ok quiet sg_raw -s 512 -i /tmp/blob $S 0a 00 00 02 00 00
expect_ok quiet sg_raw -r 512 $S 08 00 00 02 00 00
expect_eq "perf: tape READ/WRITE at the drive" "$(( $(io_requests $TGT_TAPE_HCTL) - before ))" 0
expect_ok quiet sg_raw $S 01 00 00 00 00 00
expect_eq "perf: REWIND at the drive" "$(( $(io_requests $TGT_TAPE_HCTL) - before ))" 1

# Back to its slot.
expect_ok quiet mtx -f $CH unload 1 0
out=$(mtx -f $CH status 2>&1)
echo "$out" | grep -q "Storage Element 1:Full :VolumeTag=TGT001" || fail "after unload: $out"
echo "$out" | grep -q "Data Transfer Element 0:Empty" || fail "after unload (drive): $out"

# Everything unloads, scst_local first.
# ch keeps a reference on a changer it drives (scsi_device_get in
# ch_probe), which holds scst_local: its devices go first.
for d in /sys/class/scsi_device/$H:*; do echo 1 >$d/device/delete; done
unload scst_local
write_ok $P/groups/Default/devices clear
unload scst_tape scst_changer
tgt_stop
unload scst
exit 0
