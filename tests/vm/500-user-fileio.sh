# scst_user and fileio_tgt through scst_local: a file served from user
# space carries a file system and fio's verified writes; every
# memory_reuse and on_free mode works; SIGTERM unregisters cleanly (the
# name registers again); rmmod is refused while a device is registered.
. ./lib.sh
# Private files: other tests leave their own under /tmp.
rm -rf /tmp/user500 && mkdir -p /tmp/user500
P=/proc/scsi_tgt
F=$SCST_TOP/target/release/fileio_tgt
[ -x "$F" ] || fail "no $F (make tools)"

expect_ok modprobe scst
expect_ok modprobe scst_user
[ -c /dev/scst_user ] || fail "no /dev/scst_user"
truncate -s 96M /tmp/user500/u.img

# start NAME ARGS...: fileio_tgt serving the image as NAME, registered.
start() { fileio_start /tmp/user500 "$@"; }

# stop: SIGTERM, and fileio_tgt exits and the device is gone.
stop() {
    kill -TERM $FPID
    wait $FPID || fail "fileio_tgt exited with $?: $(cat /tmp/user500/fileio.*.log)"
    [ ! -d $P/$1 ] || fail "$1 still registered after fileio_tgt stopped"
}

start udisk -e 4
expect_fail rmmod scst_user
write_ok $P/groups/Default/devices "add udisk 0"
expect_ok modprobe scst_local
udevadm settle 2>/dev/null || sleep 2
H=$(scst_local_host 0) || fail "no scst_local host"
D=$(dev 0)
expect_eq "vendor" "$(cat /sys/class/scsi_device/$H:0:0:0/device/vendor | tr -d ' ')" "SCST_USR"
expect_eq "size (sectors)" "$(cat /sys/block/${D#/dev/}/size)" $((96 * 2048))

# Data written through the device is in the file, and back.
head -c 1M /dev/urandom >/tmp/user500/pattern
dd if=/tmp/user500/pattern of=$D bs=64k seek=16 oflag=direct status=none || fail "dd write failed"
cmp -n 1048576 -i 0:1048576 /tmp/user500/pattern /tmp/user500/u.img || fail "written data not in the file"
dd if=$D of=/tmp/user500/back bs=64k skip=16 count=16 iflag=direct status=none || fail "dd read failed"
cmp /tmp/user500/pattern /tmp/user500/back || fail "data read back differs"

expect_ok quiet mkfs.ext4 -q -F $D
mkdir -p /tmp/user500/mnt
expect_ok mount $D /tmp/user500/mnt
cp /tmp/user500/pattern /tmp/user500/mnt/p || fail "cp failed"
expect_ok umount /tmp/user500/mnt
e2fsck -fn $D >/tmp/user500/fsck.out 2>&1 || fail "fsck found problems: $(tail -5 /tmp/user500/fsck.out)"

fio --name=u --filename=$D --ioengine=libaio --direct=1 --iodepth=16 \
    --rw=randwrite --bsrange=512-128k --size=32M --verify=crc32c --do_verify=1 \
    --verify_fatal=1 --randrepeat=0 --output=/tmp/user500/fio.u >/dev/null 2>&1 ||
    fail "fio verify failed: $(grep -iE 'err|verify' /tmp/user500/fio.u | head -5)"
grep -q "err= 0" /tmp/user500/fio.u || fail "fio reported errors: $(head -20 /tmp/user500/fio.u)"

# Every memory_reuse and on_free mode serves data (the device goes and
# comes back under the same name, the LUN with it).
for mode in "-m none -f call" "-m read -f call" "-m write -f ignore" "-m all -f ignore" "-l -m all"; do
    write_ok $P/groups/Default/devices "del udisk"
    stop udisk
    start udisk -e 2 $mode
    write_ok $P/groups/Default/devices "add udisk 0"
    echo "- - -" >/sys/class/scsi_host/host$H/scan
    udevadm settle 2>/dev/null || sleep 1
    D=$(dev 0)
    dd if=/tmp/user500/pattern of=$D bs=4k seek=8 oflag=direct status=none || fail "$mode: dd write failed"
    dd if=$D of=/tmp/user500/back bs=4k skip=8 count=256 iflag=direct status=none || fail "$mode: dd read failed"
    cmp /tmp/user500/pattern /tmp/user500/back || fail "$mode: data read back differs"
done

udevadm settle 2>/dev/null
unload scst_local
write_ok $P/groups/Default/devices "clear"
stop udisk
expect_ok rmmod scst_user
expect_ok rmmod scst
exit 0
