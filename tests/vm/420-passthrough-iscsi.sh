# Pass-through over iSCSI: a scsi_debug disk (dev_disk) exported by
# iscsi-scst to the guest's open-iscsi: the initiator sees scsi_debug's
# identity, fio verifies, a vendor-specific opcode reaches the device and
# its sense comes back; scst_local shares the disk with the iSCSI
# initiator (data and reservations); a READ larger than the handler can
# map into one request (8 MiB) gets CHECK CONDITION and the SCST message,
# and with the initiator's max_sectors_kb set as docs/passthrough.md
# advises, the same read works.
. ./lib.sh
. ./iscsi-lib.sh
T=iqn.2026-11.org.scst:pt

expect_ok modprobe scst
expect_ok modprobe scst_disk
expect_ok modprobe iscsi-scst
expect_ok modprobe scsi_debug dev_size_mb=64 ptype=0
udevadm settle 2>/dev/null || sleep 2
DISK=$(sdebug_dev 0 0) || fail "no scsi_debug disk"
write_ok $P/scsi_tgt "add_group Default_$T"
write_ok $P/groups/Default_$T/devices "add $DISK 0"
echo "Target $T" >$W/pt.conf
start_daemon 3260 $W/pt.conf
trap 'iscsiadm -m node --logout >/dev/null 2>&1; pkill iscsid; pkill -f iscsi-scstd' EXIT
iscsid || fail "iscsid does not start"
login $T
d=$(disk_of $T) && [ -n "$d" ] || fail "no disk for $T: $(iscsiadm -m session -P 3 2>&1 | tail)"
hctl=$(basename "$(readlink -f /sys/block/$d/device)")
S=$(sg_of $hctl) || fail "no sg device for $hctl"
sg_inq $S | grep -q "Product identification: scsi_debug" || fail "$S: $(sg_inq $S 2>&1)"
fio --name=pt --filename=/dev/$d --ioengine=libaio --direct=1 --iodepth=32 \
    --rw=randwrite --bsrange=512-256k --size=48M --verify=crc32c --do_verify=1 \
    --verify_fatal=1 --randrepeat=0 --output=$W/fio.out >/dev/null 2>&1 ||
    fail "fio verify over iSCSI failed: $(grep -iE 'err|verify' $W/fio.out | head -5)"
grep -q "err= 0" $W/fio.out || fail "fio reported errors: $(head -20 $W/fio.out)"
# fio closing the written disk makes udev probe it (blkid reads): those
# reads must be over before the device's counter is read.
udevadm settle 2>/dev/null || sleep 2
clear_ua $S
before=$(io_requests $DISK)
out=$(sg_raw -v -r 32 $S c1 00 00 00 00 00 00 00 20 00 2>&1) && fail "vendor opcode succeeded: $out"
echo "$out" | grep -qi "invalid command operation code" || fail "vendor opcode over iSCSI: $out"
expect_eq "vendor command at the device" "$(( $(io_requests $DISK) - before ))" 1
# One device, two initiators: scst_local sees it too (group Default).
# What one writes the other reads; a RESERVE(6) by the iSCSI initiator
# gives scst_local RESERVATION CONFLICT until the RELEASE.
write_ok $P/groups/Default/devices "add $DISK 0"
expect_ok modprobe scst_local
udevadm settle 2>/dev/null || sleep 2
H=$(scst_local_host 0) || fail "no scst_local host"
L=$(sg_of $H:0:0:0) || fail "no scst_local LUN 0"
LB=/dev/$(ls /sys/class/scsi_device/$H:0:0:0/device/block/) || fail "no scst_local disk"
clear_ua $L
head -c 1048576 /dev/urandom >$W/shared
expect_ok dd if=$W/shared of=/dev/$d bs=64k seek=100 oflag=direct status=none
got=$(dd if=$LB bs=64k skip=100 count=16 iflag=direct status=none | md5sum)
expect_eq "written over iSCSI, read through scst_local" "$got" "$(md5sum <$W/shared)"
expect_ok quiet sg_raw $S 16 00 00 00 00 00
out=$(sg_raw -v -r 512 $L 28 00 00 00 00 00 00 00 01 00 2>&1) && fail "READ despite the reservation: $out"
echo "$out" | grep -qi "reservation conflict" || fail "READ of the reserved disk: $out"
expect_ok quiet sg_raw -r 512 $S 28 00 00 00 00 00 00 00 01 00
expect_ok quiet sg_raw $S 17 00 00 00 00 00
expect_ok quiet sg_raw -r 512 $L 28 00 00 00 00 00 00 00 01 00

# 8 MiB in one READ (the initiator's max_sectors_kb allows it): 2048
# pages, twice what the block layer maps into one request.  Then the
# seed's advice, max_sectors_kb within the target's limit, and it works.
q=/sys/block/$d/queue
[ "$(cat $q/max_hw_sectors_kb)" -ge 8192 ] || fail "open-iscsi takes only $(cat $q/max_hw_sectors_kb) KiB"
echo 8192 >$q/max_sectors_kb || fail "cannot set max_sectors_kb"
before=$(io_requests $DISK)
timeout 60 dd if=/dev/$d of=/dev/null bs=8M count=1 iflag=direct 2>$W/dd.err &&
    fail "an 8 MiB READ succeeded"
expect_log "Unable to complete command due to SG IO count limitation \(opcode 0x28: 8388608 bytes in 2048 pages"
# Refused again and again, it is logged the 1st, 2nd, 4th, ... time.
for _ in 1 2; do
    timeout 60 dd if=/dev/$d of=/dev/null bs=8M count=1 iflag=direct 2>/dev/null && fail "an 8 MiB READ succeeded"
done
expect_log "SG IO count limitation .*; refusal 2\)"
dmesg | grep -qE "SG IO count limitation .*; refusal 3\)" && fail "the 3rd refusal was logged too"
expect_eq "the oversized READ at the device" "$(( $(io_requests $DISK) - before ))" 0
echo 4096 >$q/max_sectors_kb
expect_ok quiet timeout 60 dd if=/dev/$d of=/dev/null bs=8M count=1 iflag=direct

expect_ok quiet iscsiadm -m node --logout
pkill iscsid
pkill -f iscsi-scstd
sleep 0.5
unload scst_local iscsi_scst
write_ok $P/groups/Default/devices clear
write_ok $P/groups/Default_$T/devices clear
write_ok $P/scsi_tgt "del_group Default_$T"
unload scst_disk scsi_debug scst
exit 0
