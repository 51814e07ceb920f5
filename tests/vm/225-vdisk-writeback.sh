# Writeback through scst_local into BLOCKIO: many small files on ext4, with
# busy CPUs, so that the writeback worker flushes its block plug mid-way
# (it does when it must reschedule) while requests of our disk are in it.
# scst_local runs a BLOCKIO command right in the flush and submits its bio
# to the loop device below; that bio must not join the plug being flushed
# (it left the plug's count at one over an empty list, and the worker's
# next request oopsed in blk_add_rq_to_plug).  The files must read back
# after a remount, and fsck must find nothing.
. ./lib.sh
P=/proc/scsi_tgt
V=$P/vdisk/vdisk

expect_ok modprobe scst
expect_ok modprobe scst_vdisk
truncate -s 128M /tmp/wb.img
L=$(losetup -f --show /tmp/wb.img) || fail "losetup failed"
hogs=
trap 'kill $hogs 2>/dev/null; umount /tmp/wbm 2>/dev/null; losetup -d $L 2>/dev/null' EXIT
write_ok $V "open wb $L BLOCKIO"
write_ok $P/groups/Default/devices "add wb 0"
expect_ok modprobe scst_local
udevadm settle 2>/dev/null || sleep 2
H=$(scst_local_host 0) || fail "no scst_local host"
blk=$(ls /sys/class/scsi_device/$H:0:0:0/device/block/) || fail "no block device"
expect_ok quiet mkfs.ext4 -q -F /dev/$blk
mkdir -p /tmp/wbm
expect_ok mount /dev/$blk /tmp/wbm

for i in 1 2 3; do
    (while :; do :; done) &
    hogs="$hogs $!"
done
for round in 1 2 3 4; do
    mkdir /tmp/wbm/r$round || fail "mkdir on the mounted LUN failed"
    for i in $(seq 400); do echo "$round $i" >/tmp/wbm/r$round/f$i; done
    sync || fail "sync failed in round $round"
done
kill $hogs
hogs=

expect_ok umount /tmp/wbm
e2fsck -fn /dev/$blk >/tmp/wb-fsck.out 2>&1 || fail "fsck found problems: $(tail -5 /tmp/wb-fsck.out)"
echo 3 >/proc/sys/vm/drop_caches
expect_ok mount -o ro /dev/$blk /tmp/wbm
for round in 1 2 3 4; do
    for i in 1 177 400; do
        expect_eq "r$round/f$i" "$(cat /tmp/wbm/r$round/f$i)" "$round $i"
    done
    expect_eq "files in r$round" "$(ls /tmp/wbm/r$round | wc -l)" 400
done
expect_ok umount /tmp/wbm

udevadm settle 2>/dev/null
unload scst_local
write_ok $P/groups/Default/devices "clear"
unload scst_vdisk scst
exit 0
