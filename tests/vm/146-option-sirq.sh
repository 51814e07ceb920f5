# CONFIG_SCST_ALLOW_PASSTHROUGH_IO_SUBMIT_IN_SIRQ, the options variant's
# (scripts/check builds it into scst.ko and scst_disk.ko), against the
# test build, which does not have it.  With it a pass-through command may
# execute where its data arrived, outside the SCST threads, and then takes
# the device's request without waiting.  A 1 MiB WRITE over iSCSI to a
# scsi_debug disk (dev_disk) needs R2T and Data-Out beyond the first
# burst, so iscsi-scst's receive thread hands its data over; the disk's
# only request (max_queue=1, no I/O scheduler) is held 4 s by a READ sent
# to the disk itself.  The variant answers the WRITE BUSY, and the initiator sends it
# again and again until the slot is free; the test build waits in a
# thread for the slot and the WRITE goes out once.
. ./lib.sh
. ./iscsi-lib.sh
T=iqn.2026-12.org.scst:sirq
VDIR=$SCST_TOP/tests/out/variants/options
[ -f $VDIR/scst.ko ] && [ -f $VDIR/scst_disk.ko ] || fail "no options variant in $VDIR (scripts/check builds it)"
SD=/sys/bus/pseudo/drivers/scsi_debug
trap 'iscsiadm -m node --logout >/dev/null 2>&1; pkill iscsid; pkill -f iscsi-scstd; udevadm control --start-exec-queue 2>/dev/null' EXIT
head -c 1048576 /dev/urandom >$W/sirq.data

# probe LOAD_SCST LOAD_DISK: with scst and dev_disk loaded by those
# commands, how many times the initiator sent the WRITE.
probe() {
    local disk d hctl s before n reader
    expect_ok $1
    expect_ok $2
    expect_ok modprobe iscsi-scst
    expect_ok modprobe scsi_debug dev_size_mb=16 ptype=0 max_queue=1
    udevadm settle 2>/dev/null || sleep 2
    disk=$(sdebug_dev 0 0) || fail "no scsi_debug disk"
    # No I/O scheduler: a request is then the device's one tag itself (a
    # scheduler hands out requests of its own, many more than the tags).
    echo none >/sys/bus/scsi/devices/$disk/block/*/queue/scheduler || fail "cannot drop the disk's I/O scheduler"
    write_ok $P/scsi_tgt "add_group Default_$T"
    write_ok $P/groups/Default_$T/devices "add $disk 0"
    echo "Target $T" >$W/sirq.conf
    start_daemon 3260 $W/sirq.conf
    iscsid || fail "iscsid does not start"
    login $T
    d=$(disk_of $T) && [ -n "$d" ] || fail "no disk for $T"
    hctl=$(basename "$(readlink -f /sys/block/$d/device)")
    s=$(sg_of $hctl) || fail "no sg device for $hctl"
    udevadm settle 2>/dev/null || sleep 2
    udevadm control --stop-exec-queue 2>/dev/null
    clear_ua $s
    echo 4000 >$SD/delay || fail "cannot set scsi_debug's delay"
    sg_raw -r 512 "$(sg_of $disk)" 28 00 00 00 00 00 00 00 01 00 >/dev/null 2>&1 &
    reader=$!
    for _ in $(seq 100); do
        [ "$(cat /sys/bus/scsi/devices/$disk/device_busy)" = 1 ] && break
        sleep 0.02
    done
    [ "$(cat /sys/bus/scsi/devices/$disk/device_busy)" = 1 ] || fail "the READ on the disk is not in flight"
    before=$(io_requests $hctl)
    expect_ok quiet sg_raw -s 1048576 -i $W/sirq.data $s 2a 00 00 00 00 00 00 08 00 00
    n=$(( $(io_requests $hctl) - before ))
    wait $reader
    echo 0 >$SD/delay
    udevadm control --start-exec-queue 2>/dev/null
    expect_ok quiet timeout 30 iscsiadm -m node --logout
    stop_iscsi
    write_ok $P/groups/Default_$T/devices "clear"
    write_ok $P/scsi_tgt "del_group Default_$T"
    unload scsi_debug scst_disk scst
    echo "$n"
}

expect_eq "WRITEs sent, test build" "$(probe 'modprobe scst' 'modprobe scst_disk')" "1"
n=$(probe "insmod $VDIR/scst.ko" "insmod $VDIR/scst_disk.ko")
[ "$n" -ge 2 ] 2>/dev/null || fail "options variant: the WRITE was sent '$n' times, not answered BUSY and sent again"
exit 0
