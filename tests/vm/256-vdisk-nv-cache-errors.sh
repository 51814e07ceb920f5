# NV_CACHE (the target's cache is taken to be non-volatile, so
# SYNCHRONIZE CACHE writes nothing back) must not lose a writeback error:
# a FILEIO device on a scsi_debug disk takes a write (GOOD, in the page
# cache), the disk then fails every WRITE (scsi_debug's error injection)
# while the page cache is written back, and the next SYNCHRONIZE CACHE
# reports MEDIUM ERROR, WRITE ERROR, once; the one after is GOOD again.
. ./lib.sh
P=/proc/scsi_tgt

expect_ok modprobe scst
expect_ok modprobe scst_vdisk
expect_ok modprobe scsi_debug dev_size_mb=16 ptype=0
udevadm settle 2>/dev/null || sleep 2
D=$(sdebug_dev 0 0) || fail "no scsi_debug disk"
blk=$(ls /sys/bus/scsi/devices/$D/block/) || fail "no block device for $D"
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
E=/sys/kernel/debug/scsi_debug/$D/error
[ -e $E ] || fail "no scsi_debug error injection at $E"
write_ok $P/vdisk/vdisk "open nv /dev/$blk NV_CACHE"
scst_local_up nv
S=$(sg_of $H:0:0:0) || fail "no sg device"
clear_ua $S
trap 'echo "- 2 0x2a" >$E 2>/dev/null; echo "- 2 0x8a" >$E 2>/dev/null' EXIT

# status SG_RAW-ARGS...: "GOOD" or the sense key and ASC sg_raw prints.
status() {
    local out
    out=$(sg_raw "$@" 2>&1) && { echo GOOD; return; }
    echo "$out" | grep -o "Medium Error\|Write error\|Illegal Request" | sort -u | paste -sd' '
}

head -c 4096 /dev/urandom >/tmp/nv.data
expect_eq "WRITE(10) into the cache" "$(status -s 4096 -i /tmp/nv.data $S 2a 00 00 00 00 10 00 00 08 00)" "GOOD"
expect_eq "SYNCHRONIZE CACHE, nothing failed" "$(status $S 35 00 00 00 00 00 00 00 00 00)" "GOOD"
echo "2 1 0x2a 0 0 0x2 0x3 0x0c 0x00" >$E || fail "cannot arm WRITE(10) failures"
echo "2 1 0x8a 0 0 0x2 0x3 0x0c 0x00" >$E || fail "cannot arm WRITE(16) failures"
sync
expect_eq "SYNCHRONIZE CACHE after a failed writeback" "$(status $S 35 00 00 00 00 00 00 00 00 00)" "Medium Error Write error"
expect_log "nv: writing back cached data failed since the last SYNCHRONIZE CACHE: error -5"
expect_eq "SYNCHRONIZE CACHE, the error reported already" "$(status $S 35 00 00 00 00 00 00 00 00 00)" "GOOD"
echo "- 2 0x2a" >$E
echo "- 2 0x8a" >$E
trap - EXIT

scst_local_down
unload scsi_debug
exit 0
