# Writes over iSCSI through open-iscsi, with two targets negotiating the
# two ends of the data-transfer settings: disk1 with the defaults
# (ImmediateData=Yes, InitialR2T=No: immediate and unsolicited data, then
# R2Ts), disk2 with InitialR2T=Yes, ImmediateData=No, 64 KiB bursts, one
# outstanding R2T and 16 KiB PDUs (everything solicited, many R2Ts).
# Data written through the sd device is in the backing file and reads
# back (read data sent by page reference, and copied); ext4 made on
# disk1 passes fsck and gives its files back; fio verifies mixed sizes at
# queue depth 16 on disk2; LUN and target resets are performed and leave
# the disks working.
. ./lib.sh
. ./iscsi-lib.sh
mkdir -p $W/mnt
T1=iqn.2026-11.org.scst:disk1 T2=iqn.2026-11.org.scst:disk2

expect_ok modprobe scst
expect_ok modprobe scst_vdisk
expect_ok modprobe iscsi-scst
export_disk disk1 64M $T1
export_disk disk2 64M $T2
cat >$W/two.conf <<CONF
Target $T1
Target $T2
    InitialR2T Yes
    ImmediateData No
    MaxBurstLength 65536
    FirstBurstLength 65536
    MaxOutstandingR2T 1
    MaxRecvDataSegmentLength 16384
CONF
start_daemon 3260 $W/two.conf
trap 'iscsiadm -m node --logout >/dev/null 2>&1; pkill iscsid; pkill -f iscsi-scstd' EXIT
iscsid || fail "iscsid does not start"
expect_ok quiet timeout 30 iscsiadm -m discovery -t sendtargets -p 127.0.0.1
out=$(timeout 60 iscsiadm -m node -p 127.0.0.1 --login 2>&1) || fail "iscsiadm login: $out"
d1=$(disk_of $T1) && [ -n "$d1" ] || fail "no disk for $T1: $(iscsiadm -m session -P 3 2>&1 | tail)"
d2=$(disk_of $T2) && [ -n "$d2" ] || fail "no disk for $T2"

# Raw writes land in the backing files.
head -c 8388608 /dev/urandom >$W/data
want=$(md5sum <$W/data)
for pair in "$d1 1" "$d2 2"; do
    set -- $pair
    expect_ok dd if=$W/data of=/dev/$1 bs=1M seek=1 oflag=direct status=none
    got=$(dd if=$W/disk$2.img bs=1M skip=1 count=8 status=none | md5sum)
    expect_eq "disk$2 backing file after the write" "$got" "$want"
    got=$(dd if=/dev/$1 bs=1M skip=1 count=8 iflag=direct status=none | md5sum)
    expect_eq "disk$2 read back" "$got" "$want"
done
# The reads went by page reference (zero_copy, the default): their
# buffers were lent to the network.  With copies the data is the same.
lent=$(sed -n 's/^Lent to the network: \([0-9]*\).*/\1/p' /proc/scsi_tgt/sgv)
[ "${lent:-0}" -gt 0 ] || fail "no buffer lent to the network: $(tail -1 /proc/scsi_tgt/sgv)"
echo 0 >/sys/module/iscsi_scst/parameters/zero_copy
got=$(dd if=/dev/$d1 bs=1M skip=1 count=8 iflag=direct status=none | md5sum)
expect_eq "disk1 read back with zero_copy=0" "$got" "$want"
echo 1 >/sys/module/iscsi_scst/parameters/zero_copy

# ext4 on disk1.
expect_ok quiet mkfs.ext4 -q -F /dev/$d1
expect_ok mount /dev/$d1 $W/mnt
for i in 1 2 3; do head -c $((i * 1500000)) /dev/urandom >$W/mnt/f$i; done
(cd $W/mnt && md5sum f1 f2 f3 >$W/sums)
expect_ok umount $W/mnt
expect_ok quiet fsck.ext4 -n -f /dev/$d1
expect_ok mount /dev/$d1 $W/mnt
(cd $W/mnt && md5sum -c --quiet $W/sums) || fail "files on ext4 over iSCSI differ"
expect_ok umount $W/mnt

# fio verify on disk2 (all solicited, many R2Ts).
out=$(fio --name=v --filename=/dev/$d2 --ioengine=libaio --direct=1 --rw=randwrite --bsrange=4k-256k \
    --iodepth=16 --size=32M --verify=crc32c --verify_fatal=1 --do_verify=1 --output-format=terse 2>&1) ||
    fail "fio verify on disk2: $(echo "$out" | tail -5)"

# Task management from open-iscsi's error handler: LUN RESET and TARGET
# WARM RESET go to SCST and are answered; the disks work after them.
before=$(dmesg | wc -l)
expect_ok quiet timeout 60 sg_reset --device /dev/$d1
expect_ok quiet timeout 60 sg_reset --target /dev/$d2
dmesg | tail -n +$((before + 1)) | grep -q "task management function 4 from" || fail "no LUN RESET in the log"
dmesg | tail -n +$((before + 1)) | grep -q "task management function 5 from" || fail "no TARGET RESET in the log"
for pair in "$d1 1" "$d2 2"; do
    set -- $pair
    got=$(dd if=/dev/$1 bs=1M count=1 iflag=direct status=none | md5sum)
    expect_eq "disk$2 after the resets" "$got" "$(dd if=$W/disk$2.img bs=1M count=1 status=none | md5sum)"
done

expect_ok quiet timeout 60 iscsiadm -m node -p 127.0.0.1 --logout
pkill -f iscsi-scstd
pkill iscsid
sleep 0.5
unload iscsi_scst
unexport_disk disk1 $T1
unexport_disk disk2 $T2
unload scst_vdisk scst
exit 0
