# Pass-through over iSCSI: a scsi_debug disk (dev_disk) exported by
# iscsi-scst to the guest's open-iscsi: the initiator sees scsi_debug's
# identity, fio verifies, a vendor-specific opcode reaches the device and
# its sense comes back, and a READ larger than the handler can map in one
# request (8 MiB) gets CHECK CONDITION and the SCST message, then the
# disk keeps working.
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
clear_ua $S
iocnt() { printf '%d' "$(cat /sys/bus/scsi/devices/$DISK/iorequest_cnt)"; }
before=$(iocnt)
out=$(sg_raw -v -r 32 $S c1 00 00 00 00 00 00 00 20 00 2>&1) && fail "vendor opcode succeeded: $out"
echo "$out" | grep -qi "invalid command operation code" || fail "vendor opcode over iSCSI: $out"
expect_eq "vendor command at the device" "$(( $(iocnt) - before ))" 1
# 8 MiB in one READ (the initiator's max_sectors_kb allows it): 2048
# pages, twice what the block layer maps into one request.  Then the
# seed's advice, max_sectors_kb within the target's limit, and it works.
q=/sys/block/$d/queue
[ "$(cat $q/max_hw_sectors_kb)" -ge 8192 ] || fail "open-iscsi takes only $(cat $q/max_hw_sectors_kb) KiB"
echo 8192 >$q/max_sectors_kb || fail "cannot set max_sectors_kb"
before=$(iocnt)
timeout 60 dd if=/dev/$d of=/dev/null bs=8M count=1 iflag=direct 2>$W/dd.err &&
    fail "an 8 MiB READ succeeded"
expect_log "Unable to complete command due to SG IO count limitation \(opcode 0x28: 8388608 bytes in 2048 pages"
expect_eq "the oversized READ at the device" "$(( $(iocnt) - before ))" 0
echo 4096 >$q/max_sectors_kb
expect_ok quiet timeout 60 dd if=/dev/$d of=/dev/null bs=8M count=1 iflag=direct
exit 0
