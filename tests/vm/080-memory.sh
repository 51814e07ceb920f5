# The command buffer pool and scst_max_cmd_mem: overlapping commands past
# the limit are answered BUSY (never failed), the initiator retries them,
# all data lands intact, and memory in flight returns to zero.  Buffers are
# reused (sgv hits).  Uses the test disk's asynchronous mode so commands
# overlap.
. ./lib.sh
P=/proc/scsi_tgt

expect_ok modprobe scst scst_max_cmd_mem=1
grep -q 'In flight: 0 KiB of 1024 KiB' $P/sgv || fail "sgv: $(tail -1 $P/sgv)"
expect_eq "sgv header" "$(head -1 $P/sgv | tr -s ' ' | sed 's/ $//')" "Size Hit Total"
expect_ok modprobe scst_test_disk size_mb=16 delay_ms=20
write_ok $P/groups/Default/devices "add testdisk0 0"
expect_ok modprobe scst_local
udevadm settle 2>/dev/null || sleep 2
h=$(scst_local_host 0) || fail "no scst_local host"
blk=$(ls /sys/class/scsi_device/$h:0:0:0/device/block/) || fail "no block device"

head -c $((8 * 512 * 1024)) /dev/urandom >/tmp/pattern
for i in 0 1 2 3 4 5 6 7; do
    dd if=/tmp/pattern of=/dev/$blk bs=512k skip=$i seek=$i count=1 oflag=direct status=none &
done
wait
expect_ok dd if=/dev/$blk of=/tmp/readback bs=512k count=8 iflag=direct status=none
cmp /tmp/pattern /tmp/readback || fail "data differs after BUSY retries"
busy=$(sed -n 's/.*BUSY answers: //p' $P/sgv)
[ "${busy:-0}" -gt 0 ] || fail "no BUSY answer with 8 overlapping 512 KiB writes and a 1 MiB limit"
# udev probes a block device after it was written: let that finish.
udevadm settle 2>/dev/null
for i in 1 2 3 4 5 6 7 8 9 10; do
    grep -q 'In flight: 0 KiB of 1024 KiB' $P/sgv && break
    sleep 0.2
done
grep -q 'In flight: 0 KiB of 1024 KiB' $P/sgv || fail "memory still in flight: $(tail -1 $P/sgv)"
hits=$(awk '$1 == "512K" {print $2}' $P/sgv)
[ "${hits:-0}" -gt 0 ] || fail "512K buffers never reused: $(cat $P/sgv | tr '\n' '|')"
# A command as large as the whole limit goes through on its own (one
# larger than all of it is refused: 397, over iSCSI).
expect_ok dd if=/dev/$blk of=/dev/null bs=1M count=2 iflag=direct status=none

unload scst_local
write_ok $P/groups/Default/devices "clear"
unload scst_test_disk scst
exit 0
