# vdisk at its edges: a 3 TiB disk (READ CAPACITY(16), READ/WRITE(16)
# beyond 2 TiB), BLOCKIO I/O at a sector-63 offset, and a failing backing
# device (scsi_debug opts=2: medium errors at LBA 0x1234..+10) giving
# MEDIUM ERROR / UNRECOVERED READ ERROR through BLOCKIO and FILEIO; a LUN
# deleted and closed under load.
. ./lib.sh
P=/proc/scsi_tgt
V=$P/vdisk/vdisk

expect_ok modprobe scsi_debug opts=2 dev_size_mb=16
udevadm settle 2>/dev/null || sleep 2
sdh=$(for h in /sys/class/scsi_host/host*; do [ "$(cat $h/proc_name)" = scsi_debug ] && echo ${h##*host}; done)
ERRDEV=/dev/$(ls /sys/class/scsi_device/$sdh:0:0:0/device/block/) || fail "no scsi_debug disk"
truncate -s 3T /tmp/big.img
truncate -s 64M /tmp/lo.img
LO=$(losetup -f --show /tmp/lo.img) || fail "losetup failed"
trap 'losetup -d $LO 2>/dev/null' EXIT

expect_ok modprobe scst
expect_ok modprobe scst_vdisk
write_ok $V "open big /tmp/big.img"
write_ok $V "open errbio $ERRDEV BLOCKIO"
write_ok $V "open errfile $ERRDEV"
write_ok $V "open bio63 $LO BLOCKIO"
n=0
for d in big errbio errfile bio63; do write_ok $P/groups/Default/devices "add $d $n"; n=$((n + 1)); done
expect_ok modprobe scst_local
udevadm settle 2>/dev/null || sleep 2
H=$(scst_local_host 0) || fail "no scst_local host"
blk() { echo /dev/$(ls /sys/class/scsi_device/$H:0:0:$1/device/block/); }

# Beyond 2 TiB.
expect_eq "3 TiB capacity (sectors)" "$(cat /sys/block/$(basename $(blk 0))/size)" "6442450944"
sg_readcap -l $(sg_of $H:0:0:0) | grep -q "Last LBA=6442450943" || fail "READ CAPACITY(16): $(sg_readcap -l $(sg_of $H:0:0:0))"
head -c 1048576 /dev/urandom >/tmp/pattern
expect_ok dd if=/tmp/pattern of=$(blk 0) bs=1M seek=2621440 oflag=direct status=none
cmp /tmp/pattern <(dd if=/tmp/big.img bs=1M skip=2621440 count=1 status=none) || fail "data at 2.5 TiB not in the image"
cmp /tmp/pattern <(dd if=$(blk 0) bs=1M skip=2621440 count=1 iflag=direct status=none) || fail "data at 2.5 TiB read back differs"

# BLOCKIO at sector 63 (partitions of old tools start there).
expect_ok dd if=/tmp/pattern of=$(blk 3) bs=512 seek=63 oflag=direct status=none
sync
cmp /tmp/pattern <(dd if=$LO bs=512 skip=63 count=2048 iflag=direct status=none) || fail "sector-63 BLOCKIO write misplaced"
cmp /tmp/pattern <(dd if=$(blk 3) bs=512 skip=63 count=2048 iflag=direct status=none) || fail "sector-63 BLOCKIO read differs"

# A failing backing device: the exact sense, and the LUN keeps working.
udevadm control --stop-exec-queue 2>/dev/null
trap 'udevadm control --start-exec-queue 2>/dev/null; losetup -d $LO 2>/dev/null' EXIT
for lun in 1 2; do
    S=$(sg_of $H:0:0:$lun) || fail "no sg for LUN $lun"
    clear_ua $S
    out=$(sg_raw -r 512 $S 28 00 00 00 12 34 00 00 01 00 2>&1) && fail "LUN $lun: READ of a bad sector succeeded"
    echo "$out" | grep -q "Medium Error" && echo "$out" | grep -qi "Unrecovered read error" || fail "LUN $lun: bad sector: $out"
    expect_ok quiet sg_raw -r 512 $S 28 00 00 00 00 00 00 00 01 00
done
expect_log "scst_vdisk: errfile: read at byte 2385920 failed: error -5"
expect_log "scst_vdisk: BLOCKIO read failed: error -61"   # BLK_STS_MEDIUM

# A LUN deleted and its device closed while reads stream to it (commands
# route through each session's cached LUN table): the close waits for the
# commands in flight, the LUN is gone at once (no stale route to the
# closed device), and added again it works.
S3=$(sg_of $H:0:0:3) || fail "no sg for LUN 3"
clear_ua $S3
fio --name=gone --filename=$(blk 3) --direct=1 --ioengine=libaio --rw=randread --bs=4k \
    --iodepth=16 --numjobs=2 --time_based --runtime=4 >/dev/null 2>&1 &
fio=$!
sleep 1.5
write_ok $P/groups/Default/devices "del bio63"
write_ok $V "close bio63"
out=$(sg_turs -v $S3 2>&1) && fail "TEST UNIT READY on a deleted LUN succeeded"
echo "$out" | grep -qi "logical unit not supported" || fail "deleted LUN: wrong answer: $out"
wait $fio
write_ok $V "open bio63 $LO BLOCKIO"
write_ok $P/groups/Default/devices "add bio63 3"
clear_ua $S3
expect_ok quiet sg_raw -r 512 $S3 28 00 00 00 00 3f 00 00 01 00

udevadm control --start-exec-queue 2>/dev/null
unload scst_local
write_ok $P/groups/Default/devices "clear"
unload scst_vdisk scst
# udev, let go again above, may still be probing the scsi_debug disk, whose
# medium errors make each read slow: it holds the module meanwhile.
for _ in $(seq 150); do
    rmmod scsi_debug 2>/dev/null && break
    sleep 0.2
done
module_loaded scsi_debug && fail "scsi_debug still in use 30 s after its users left"
exit 0
