# File systems on vdisk through scst_local: mkfs.ext4, known files, fsck,
# remount and checksums, on FILEIO over a file (512- and 4096-byte
# blocks), FILEIO over a block device node, and BLOCKIO over a loop
# device (512 and 4096).
. ./lib.sh
P=/proc/scsi_tgt
V=$P/vdisk/vdisk

expect_ok modprobe scst
expect_ok modprobe scst_vdisk
for i in 0 1 2 3 4; do truncate -s 96M /tmp/fs$i.img; done
L2=$(losetup -f --show /tmp/fs2.img) && L3=$(losetup -f --show /tmp/fs3.img) &&
    L4=$(losetup -f --show /tmp/fs4.img) || fail "losetup failed"
trap 'losetup -d $L2 $L3 $L4 2>/dev/null' EXIT
write_ok $V "open file512 /tmp/fs0.img"
write_ok $V "open file4k /tmp/fs1.img 4096"
write_ok $V "open node512 $L2"
write_ok $V "open bio512 $L3 BLOCKIO"
write_ok $V "open bio4k $L4 4096 BLOCKIO"
n=0
for d in file512 file4k node512 bio512 bio4k; do
    write_ok $P/groups/Default/devices "add $d $n"
    n=$((n + 1))
done
set -- $(grep '^bio4k ' $V)
expect_eq "bio4k listing" "$3 $4" "4096 BLOCKIO"
expect_ok modprobe scst_local
udevadm settle 2>/dev/null || sleep 2
H=$(scst_local_host 0) || fail "no scst_local host"

mkdir -p /tmp/mnt /tmp/src
for i in 1 2 3 4 5 6; do head -c $((i * 300000 + 4097)) /dev/urandom >/tmp/src/f$i; done
(cd /tmp/src && md5sum f* >/tmp/sums)
n=0
for d in file512 file4k node512 bio512 bio4k; do
    blk=$(ls /sys/class/scsi_device/$H:0:0:$n/device/block/) || fail "$d: no block device"
    bs=$(cat /sys/block/$blk/queue/logical_block_size)
    case $d in *4k) want=4096 ;; *) want=512 ;; esac
    expect_eq "$d logical block size" "$bs" "$want"
    expect_ok quiet mkfs.ext4 -q -F /dev/$blk
    expect_ok mount /dev/$blk /tmp/mnt
    cp /tmp/src/f* /tmp/mnt/ || fail "$d: copying files failed"
    expect_ok umount /tmp/mnt
    e2fsck -fn /dev/$blk >/tmp/fsck.out 2>&1 || fail "$d: fsck found problems: $(tail -5 /tmp/fsck.out)"
    echo 3 >/proc/sys/vm/drop_caches
    expect_ok mount -o ro /dev/$blk /tmp/mnt
    (cd /tmp/mnt && md5sum -c --quiet /tmp/sums) || fail "$d: files read back differ"
    expect_ok umount /tmp/mnt
    n=$((n + 1))
done

scst_local_down
exit 0
