# dev_cdrom through scst_local: an ISO 9660 image on a scsi_debug CD-ROM
# (written through scsi_debug's disk, which shares its store) mounts
# through the exported sr device and reads back; dev_cdrom attached.
. ./lib.sh
P=/proc/scsi_tgt
SD=/sys/bus/pseudo/drivers/scsi_debug

mkdir -p /tmp/iso /tmp/cdmnt
for i in 1 2 3; do head -c $((i * 250000 + 3)) /dev/urandom >/tmp/iso/f$i; done
(cd /tmp/iso && md5sum f* >/tmp/sums)
expect_ok quiet genisoimage -quiet -R -V PT_CD -o /tmp/pt.iso /tmp/iso

expect_ok modprobe scst
expect_ok modprobe scst_cdrom
expect_eq "dev_cdrom type" "$(cat $P/dev_cdrom/type)" "5 - CD/DVD device"
expect_ok modprobe scsi_debug dev_size_mb=16 ptype=0
udevadm settle 2>/dev/null || sleep 2
DISK=$(sdebug_dev 0 0) || fail "no scsi_debug disk"
expect_ok quiet dd if=/tmp/pt.iso of=/dev/$(ls /sys/bus/scsi/devices/$DISK/block/) oflag=direct bs=64k
echo 5 >$SD/ptype && echo 1 >$SD/add_host || fail "scsi_debug: no CD-ROM host"
udevadm settle 2>/dev/null || sleep 2
CD=$(sdebug_dev 0 5) || fail "no scsi_debug CD-ROM"
expect_eq "handler of the CD-ROM" "$(handler_of $CD)" dev_cdrom
expect_log "$CD: attached \(block size [0-9]+,"
write_ok $P/groups/Default/devices "add $CD 0"
expect_ok modprobe scst_local
udevadm settle 2>/dev/null || sleep 2
H=$(scst_local_host 0) || fail "no scst_local host"
grep -A2 'Vendor: Linux    Model: scsi_debug' /proc/scsi/scsi | grep -q 'Type:   CD-ROM' ||
    fail "no scsi_debug CD-ROM in /proc/scsi/scsi: $(tr '\n' '|' </proc/scsi/scsi)"
SR=/dev/$(ls /sys/class/scsi_device/$H:0:0:0/device/block/) || fail "no sr device on scst_local"
expect_ok mount -t iso9660 -o ro $SR /tmp/cdmnt
(cd /tmp/cdmnt && md5sum -c --quiet /tmp/sums) || fail "files on the exported CD differ"
expect_ok umount /tmp/cdmnt
expect_fail rmmod scst_cdrom
exit 0
