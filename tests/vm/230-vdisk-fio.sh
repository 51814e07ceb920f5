# fio with verify=crc32c, mixed block sizes and queue depth 16 on FILEIO,
# FILEIO with O_DIRECT, BLOCKIO, FILEIO on tmpfs (whose reads and writes
# scst_local's submitter does itself) and NULLIO (which cannot verify: it only
# must not fail), all with the data in scst_local's own scatterlists (no
# copy: /proc/scsi_tgt/sgv counts them); and WRITE_THROUGH's promise: a write through a
# WRITE_THROUGH disk has reached the storage under the backing file
# (a loop device's write counter) when it completes, before any sync,
# while a write-back disk's write has not.
. ./lib.sh
P=/proc/scsi_tgt
V=$P/vdisk/vdisk

expect_ok modprobe scst
expect_ok modprobe scst_vdisk
truncate -s 128M /tmp/f.img /tmp/d.img /tmp/b.img
LB=$(losetup -f --show /tmp/b.img) || fail "losetup failed"
# The write-through check: backing files on ext4 on a loop device.
truncate -s 256M /tmp/lower.img
LW=$(losetup -f --show /tmp/lower.img) || fail "losetup failed"
mkdir -p /tmp/tm
trap 'umount /tmp/lower /tmp/tm 2>/dev/null; losetup -d $LB $LW 2>/dev/null' EXIT
expect_ok mount -t tmpfs -o size=160M none /tmp/tm
truncate -s 128M /tmp/tm/t.img
expect_ok quiet mkfs.ext4 -q -F $LW
mkdir -p /tmp/lower
expect_ok mount $LW /tmp/lower
truncate -s 64M /tmp/lower/wt.img /tmp/lower/wb.img
write_ok $V "open fileio /tmp/f.img"
write_ok $V "open direct /tmp/d.img O_DIRECT"
write_ok $V "open blockio $LB BLOCKIO"
write_ok $V "open tmpfs /tmp/tm/t.img"
write_ok $V "open nullio /dev/null NULLIO"
write_ok $V "open wt /tmp/lower/wt.img WRITE_THROUGH"
write_ok $V "open wb /tmp/lower/wb.img"
scst_local_up fileio direct blockio tmpfs nullio wt wb

in_place() { sed -n 's/^Target driver buffers used in place: //p' $P/sgv; }
# fio's READs and WRITEs in its output ("issued rwts: total=R,W,...").
issued() { sed -n 's/.*issued rwts: total=\([0-9]*\),\([0-9]*\),.*/\1 \2/p' $1 | awk '{print $1 + $2}'; }
# At least 3/4 of them went by scatterlist: the block layer may merge a
# few, and reads or writes alone would be about half.
check_in_place() {
    local d=$1 before=$2 now total
    now=$(in_place); total=$(issued /tmp/fio.$d)
    [ -n "$now" ] && [ -n "$total" ] || fail "$d: no count: sgv '$(tail -1 $P/sgv)', fio '$total'"
    [ $(((now - before) * 4)) -ge $((total * 3)) ] ||
        fail "$d: $((now - before)) of $total fio I/Os used scst_local's scatterlist in place"
}

n=0
for d in fileio direct blockio tmpfs; do
    before=$(in_place)
    fio --name=$d --filename=$(dev $n) --ioengine=libaio --direct=1 --iodepth=16 \
        --rw=randwrite --bsrange=512-128k --size=48M --verify=crc32c --do_verify=1 \
        --verify_fatal=1 --randrepeat=0 --output=/tmp/fio.$d >/dev/null 2>&1 ||
        fail "fio verify on $d failed: $(grep -iE 'err|verify' /tmp/fio.$d | head -5)"
    grep -q "err= 0" /tmp/fio.$d || fail "fio on $d reported errors: $(head -20 /tmp/fio.$d)"
    check_in_place $d $before
    n=$((n + 1))
done
before=$(in_place)
fio --name=nullio --filename=$(dev 4) --ioengine=libaio --direct=1 --iodepth=16 \
    --rw=randrw --bsrange=4k-256k --size=256M --output=/tmp/fio.nullio >/dev/null 2>&1 ||
    fail "fio on nullio failed: $(head -20 /tmp/fio.nullio)"
check_in_place nullio $before

# WRITE_THROUGH: sectors written to the lower loop device, right after a
# 4 MiB write through each disk; writeback is held off meanwhile.
echo 360000 >/proc/sys/vm/dirty_expire_centisecs
echo 360000 >/proc/sys/vm/dirty_writeback_centisecs
sync
lw=$(basename $LW)
written() { awk '{print $7}' /sys/block/$lw/stat; }
head -c 4194304 /dev/urandom >/tmp/pattern
before=$(written)
expect_ok dd if=/tmp/pattern of=$(dev 5) bs=1M oflag=direct status=none
after=$(written)
[ $((after - before)) -ge 8192 ] || fail "WRITE_THROUGH: only $((after - before)) sectors reached the storage after the write completed"
before=$(written)
expect_ok dd if=/tmp/pattern of=$(dev 6) bs=1M oflag=direct status=none
after=$(written)
[ $((after - before)) -lt 8192 ] || fail "write-back disk: $((after - before)) sectors written at once (the check above cannot tell write-through apart)"
echo 3000 >/proc/sys/vm/dirty_expire_centisecs
echo 500 >/proc/sys/vm/dirty_writeback_centisecs
cmp /tmp/pattern <(head -c 4194304 /tmp/lower/wt.img) || fail "WRITE_THROUGH image differs"

scst_local_down
exit 0
