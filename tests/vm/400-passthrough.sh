# Pass-through handlers through scst_local, on scsi_debug devices, one
# peripheral type at a time (scsi_debug answers INQUIRY with the type it
# was last given, for all its devices): each handler attaches to its type
# and the exported LUN answers with scsi_debug's own identity; disk and MO
# carry fio verify and an ext4 round trip; RAID and processor pass
# INQUIRY, TEST UNIT READY, REQUEST SENSE and a vendor-specific command
# (whose error sense comes back from the device unchanged);
# dev_disk_perf answers READ and WRITE without the device; a handler in
# use cannot be unloaded; removing an exported device under I/O fails its
# commands cleanly and takes its LUN away.  (Transfers beyond a device's
# limit: 420, over iSCSI, which sends larger commands than scst_local.)
. ./lib.sh
P=/proc/scsi_tgt

expect_ok modprobe scst
for m in scst_disk scst_modisk scst_raid scst_processor; do expect_ok modprobe $m; done
expect_eq "dev_disk type" "$(cat $P/dev_disk/type)" "0 - direct-access device (e.g., magnetic disk)"
expect_eq "dev_modisk type" "$(cat $P/dev_modisk/type)" "7 - optical memory device (e.g., some optical disks)"
expect_ok test -f $P/dev_disk_perf/trace_level

# begin TYPE HOSTS: scsi_debug with HOSTS hosts of peripheral type TYPE
# (one 64 MiB store).
begin() {
    expect_ok modprobe scsi_debug dev_size_mb=64 ptype=$1 add_host=$2
    udevadm settle 2>/dev/null || sleep 2
}
# export HCTL...: the devices as LUNs 0.. of Default, seen through
# scst_local's host H.
export_devs() {
    local n=0 d
    for d in "$@"; do
        write_ok $P/groups/Default/devices "add $d $n"
        n=$((n + 1))
    done
    expect_ok modprobe scst_local
    udevadm settle 2>/dev/null || sleep 2
    H=$(scst_local_host 0) || fail "no scst_local host"
}
# end: undoes export_devs and begin.
end() {
    unload scst_local
    write_ok $P/groups/Default/devices clear
    unload scsi_debug
}
sg() { sg_of $H:0:0:$1; }
blk() { echo /dev/$(ls /sys/class/scsi_device/$H:0:0:$1/device/block/); }
# identity LUN TYPE: the LUN shows scsi_debug, of peripheral type TYPE.
identity() {
    local out pdt
    out=$(sg_inq $(sg $1)) || fail "sg_inq LUN $1 failed"
    echo "$out" | grep -q "Vendor identification: Linux" &&
        echo "$out" | grep -q "Product identification: scsi_debug" ||
        fail "LUN $1 does not show scsi_debug: $out"
    pdt=$(sg_inq -r $(sg $1) | od -An -tu1 -N1 | tr -d ' ')
    expect_eq "LUN $1 peripheral type" "$((pdt & 31))" "$2"
}
mkdir -p /tmp/mnt /tmp/src
for i in 1 2 3 4; do head -c $((i * 400000 + 511)) /dev/urandom >/tmp/src/f$i; done
(cd /tmp/src && md5sum f* >/tmp/sums)
# fs_round_trip LUN: fio verify, then ext4 with known files, fsck, remount
# and checksums.
fs_round_trip() {
    local b
    b=$(blk $1) || fail "LUN $1: no block device"
    fio --name=pt --filename=$b --ioengine=libaio --direct=1 --iodepth=16 \
        --rw=randwrite --bsrange=512-256k --size=40M --verify=crc32c --do_verify=1 \
        --verify_fatal=1 --randrepeat=0 --output=/tmp/fio.out >/dev/null 2>&1 ||
        fail "fio verify on LUN $1 failed: $(grep -iE 'err|verify' /tmp/fio.out | head -5)"
    grep -q "err= 0" /tmp/fio.out || fail "fio on LUN $1 reported errors: $(head -20 /tmp/fio.out)"
    expect_ok quiet mkfs.ext4 -q -F $b
    expect_ok mount $b /tmp/mnt
    cp /tmp/src/f* /tmp/mnt/ && umount /tmp/mnt || fail "LUN $1: copy failed"
    expect_ok quiet fsck.ext4 -fn $b
    echo 3 >/proc/sys/vm/drop_caches
    expect_ok mount -o ro $b /tmp/mnt
    (cd /tmp/mnt && md5sum -c --quiet /tmp/sums) || fail "LUN $1: files differ after remount"
    expect_ok umount /tmp/mnt
}

# Disks: dev_disk, and dev_disk_perf by assignment.
begin 0 2
DISK=$(sdebug_dev 0) && PERF=$(sdebug_dev 1) || fail "no scsi_debug disks: $(ls /sys/bus/scsi/devices/)"
expect_eq "handler of the disk" "$(handler_of $DISK)" dev_disk
expect_eq "handler of the second disk" "$(handler_of $PERF)" dev_disk
expect_log "$DISK: attached \(block size [0-9]+, at most [0-9]+ bytes in [0-9]+ pages"
write_refused $P/scsi_tgt "assign $PERF dev_raid" "dev_raid serves type 12, SCSI device $PERF is type 0"
write_ok $P/scsi_tgt "assign $PERF dev_disk_perf"
expect_eq "handler of the perf disk" "$(handler_of $PERF)" dev_disk_perf
export_devs $DISK $PERF
identity 0 0
identity 1 0
fs_round_trip 0
# dev_disk_perf: READ and WRITE never reach the device, the rest does.
s=$(sg 1)
clear_ua $s
before=$(io_requests $PERF)
for i in 1 2 3 4 5; do
    expect_ok quiet sg_raw -r 4096 $s 28 00 00 00 00 10 00 00 08 00
    expect_ok quiet sg_raw -s 4096 -i /tmp/src/f1 $s 2a 00 00 00 00 10 00 00 08 00
done
expect_eq "perf: READ/WRITE at the device" "$(( $(io_requests $PERF) - before ))" 0
expect_ok quiet sg_readcap $s
expect_eq "perf: READ CAPACITY at the device" "$(( $(io_requests $PERF) - before ))" 1
# A handler whose device is exported cannot go.
expect_fail rmmod scst_disk
expect_ok module_loaded scst_disk
# Hot unplug of an exported device under I/O: its commands fail, the LUN
# goes, no oops.
b=$(blk 0)
dd if=$b of=/dev/null bs=64k iflag=direct 2>/dev/null &
sleep 0.2
echo 1 >/sys/bus/scsi/devices/$DISK/delete || fail "delete $DISK failed"
wait
expect_log "device $DISK removed from group Default"
awk '{print $1}' $P/groups/Default/devices | grep -qx "$DISK" && fail "$DISK still in the group"
[ -z "$(handler_of $DISK)" ] || fail "$DISK still listed: $(cat $P/scsi_tgt)"
out=$(sg_turs -v $(sg 0) 2>&1; sg_turs -v $(sg 0) 2>&1) && fail "TEST UNIT READY to the removed LUN succeeded"
echo "$out" | grep -qi "not supported" || fail "removed LUN: $out"
end

# MO disk.
begin 7 1
MO=$(sdebug_dev 0) || fail "no scsi_debug MO disk"
expect_eq "handler of the MO disk" "$(handler_of $MO)" dev_modisk
export_devs $MO
identity 0 7
fs_round_trip 0
end

# RAID controller and processor: each command reaches the device (its
# request counter grows by one per command); a vendor-specific opcode is
# passed through and scsi_debug's own INVALID COMMAND OPERATION CODE comes
# back.
for t in 12 3; do
    begin $t 1
    d=$(sdebug_dev 0) || fail "no scsi_debug device of type $t"
    case $t in 12) h=dev_raid ;; 3) h=dev_processor ;; esac
    expect_eq "handler of type $t" "$(handler_of $d)" $h
    export_devs $d
    identity 0 $t
    s=$(sg 0)
    clear_ua $s
    before=$(io_requests $d)
    expect_ok quiet sg_raw -r 36 $s 12 00 00 00 24 00
    expect_ok quiet sg_raw $s 00 00 00 00 00 00
    expect_ok quiet sg_raw -r 18 $s 03 00 00 00 12 00
    expect_eq "type $t: commands at the device" "$(( $(io_requests $d) - before ))" 3
    out=$(sg_raw -v -r 32 $s c1 00 00 00 00 00 00 00 20 00 2>&1) && fail "vendor opcode succeeded: $out"
    echo "$out" | grep -qi "invalid command operation code" || fail "type $t vendor opcode: $out"
    expect_eq "type $t: vendor command at the device" "$(( $(io_requests $d) - before ))" 4
    end
done
exit 0
