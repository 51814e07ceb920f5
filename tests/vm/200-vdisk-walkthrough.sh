# The seed's scst_local walk-through (004_afe7f514e79c7259.txt), word for
# word except the image size (16 GB of zeros do not fit the VM: 64 MB) and
# the directory (/some/path is made under /tmp); then the exported disk is
# used with dd, and what was written is in the image file.
. ./lib.sh
mkdir -p /tmp/some/path
cd /tmp

# 1. Load up scst
expect_ok modprobe scst
expect_ok modprobe scst_vdisk
# 2. Create a virtual disk
expect_ok dd if=/dev/zero of=/tmp/some/path/vdisk1.img bs=16384 count=4096 status=none
echo "open vm_disk1 /tmp/some/path/vdisk1.img" > /proc/scsi_tgt/vdisk/vdisk || fail "open refused"
echo "add vm_disk1 0" > /proc/scsi_tgt/groups/Default/devices || fail "add refused"
# 3. Load the scst_local driver
expect_ok modprobe scst_local
udevadm settle 2>/dev/null || sleep 2
# 4. Check what you have
grep -A2 'Vendor: SCST_FIO Model: vm_disk1' /proc/scsi/scsi | grep -q 'Type:   Direct-Access' ||
    fail "no SCST_FIO vm_disk1 Direct-Access in /proc/scsi/scsi: $(tr '\n' '|' </proc/scsi/scsi)"
grep -q 'Rev:  101' /proc/scsi/scsi || fail "revision ' 101' missing: $(tr '\n' '|' </proc/scsi/scsi)"

# The listing of open devices.
line=$(grep '^vm_disk1 ' /proc/scsi_tgt/vdisk/vdisk) || fail "vm_disk1 not listed: $(cat /proc/scsi_tgt/vdisk/vdisk)"
set -- $line
expect_eq "listing" "$*" "vm_disk1 64 512 FILEIO - /tmp/some/path/vdisk1.img"

# 5. Have fun: dd through the disk, then the image holds the data.
H=$(scst_local_host 0) || fail "no scst_local host"
blk=$(ls /sys/class/scsi_device/$H:0:0:0/device/block/) || fail "no block device"
expect_eq "capacity (sectors)" "$(cat /sys/block/$blk/size)" "131072"
head -c 8388608 /dev/urandom >/tmp/pattern
expect_ok dd if=/tmp/pattern of=/dev/$blk bs=1M seek=3 oflag=direct status=none
expect_ok dd if=/dev/$blk of=/tmp/readback bs=1M skip=3 count=8 iflag=direct status=none
cmp /tmp/pattern /tmp/readback || fail "data read back through the disk differs"
expect_ok sync
cmp /tmp/pattern <(dd if=/tmp/some/path/vdisk1.img bs=1M skip=3 count=8 status=none) ||
    fail "the image file does not hold what was written"

# Closing is refused while the device is in a group; then allowed.
write_refused /proc/scsi_tgt/vdisk/vdisk "close vm_disk1" "device vm_disk1 is in group Default: delete it from the group first"
udevadm settle 2>/dev/null
unload scst_local
echo "del vm_disk1" > /proc/scsi_tgt/groups/Default/devices || fail "del refused"
write_ok /proc/scsi_tgt/vdisk/vdisk "close vm_disk1"
grep -q vm_disk1 /proc/scsi_tgt/vdisk/vdisk && fail "vm_disk1 still listed after close"
unload scst_vdisk scst
exit 0
