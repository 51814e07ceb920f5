# vcdrom through scst_local: an ISO image mounts and reads back through sr;
# READ TOC and GET CONFIGURATION answer as for a data CD; without a medium
# TEST UNIT READY gets NOT READY / MEDIUM NOT PRESENT; "change" swaps the
# medium and every session gets MEDIUM MAY HAVE CHANGED; the initiator
# ejects with START STOP UNIT, and PREVENT ALLOW MEDIUM REMOVAL makes
# "change" refuse until the same nexus allows removal, a LUN reset, or the
# session's end.
. ./lib.sh
P=/proc/scsi_tgt
C=$P/vcdrom/vcdrom

mkdir -p /tmp/isoa /tmp/isob /tmp/cdmnt
head -c 700000 /dev/urandom >/tmp/isoa/one
head -c 300001 /dev/urandom >/tmp/isob/two
(cd /tmp/isoa && md5sum one >/tmp/suma) && (cd /tmp/isob && md5sum two >/tmp/sumb)
expect_ok quiet genisoimage -quiet -R -V DISC_A -o /tmp/a.iso /tmp/isoa
expect_ok quiet genisoimage -quiet -R -V DISC_B -o /tmp/b.iso /tmp/isob

expect_ok modprobe scst
expect_ok modprobe scst_vdisk
expect_eq "vcdrom type" "$(cat $P/vcdrom/type)" "5 - CD/DVD device"
write_refused $C "open bad /tmp/a.iso 2048" '"2048": vcdrom takes no block size or flags'
write_ok $C "open cd /tmp/a.iso"
write_ok $C "open empty"
write_refused $C "change nosuch /tmp/b.iso" "change: no vcdrom device nosuch"
write_ok $P/groups/Default/devices "add cd 0"
write_ok $P/groups/Default/devices "add empty 1"
expect_ok modprobe scst_local
udevadm settle 2>/dev/null || sleep 2
grep -A2 'Vendor: SCST_FIO Model: cd ' /proc/scsi/scsi | grep -q 'Type:   CD-ROM' ||
    fail "no CD-ROM cd in /proc/scsi/scsi: $(tr '\n' '|' </proc/scsi/scsi)"
H=$(scst_local_host 0) || fail "no scst_local host"
SR=/dev/$(ls /sys/class/scsi_device/$H:0:0:0/device/block/) || fail "no sr device"
CD=$(sg_of $H:0:0:0) && EMPTY=$(sg_of $H:0:0:1) || fail "no sg devices"

# The ISO mounts and reads back.
expect_ok mount -t iso9660 -o ro $SR /tmp/cdmnt
(cd /tmp/cdmnt && md5sum -c --quiet /tmp/suma) || fail "files on the CD differ"
expect_ok umount /tmp/cdmnt

udevadm control --stop-exec-queue 2>/dev/null
trap 'udevadm control --start-exec-queue 2>/dev/null' EXIT
# The block layer's media polling of sr (a TEST UNIT READY every few
# seconds) would take the unit attention the change below must raise.
# Turning it off queues one last check at once: done here, that check is
# long over by the time of the change.
poll=/sys/block/$(basename $SR)/events_poll_msecs
echo 0 >$poll || fail "cannot turn sr's media polling off"
clear_ua $CD
# READ TOC: track 1 and the lead-out at the image's size in 2048-byte blocks.
blocks=$(( $(stat -c %s /tmp/a.iso) / 2048 ))
set -- $(sg_raw -b -r 20 $CD 43 00 00 00 00 00 00 00 14 00 2>/dev/null | od -An -tx1)
expect_eq "TOC header and tracks" "$3 $4 $7 ${15}" "01 01 01 aa"
expect_eq "lead-out LBA" "$((16#${17}${18}${19}${20}))" "$blocks"
# GET CONFIGURATION: current profile CD-ROM (0x0008).
set -- $(sg_raw -b -r 8 $CD 46 00 00 00 00 00 00 00 08 00 2>/dev/null | od -An -tx1)
expect_eq "current profile" "$7$8" "0008"
# No medium.
out=$(sg_turs -v $EMPTY 2>&1; sg_turs -v $EMPTY 2>&1)
echo "$out" | grep -qi "Medium not present" || fail "TUR without a medium: $out"
set -- $(sg_raw -b -r 8 $EMPTY 46 00 00 00 00 00 00 00 08 00 2>/dev/null | od -An -tx1)
expect_eq "profile without a medium" "$7$8" "0000"

# change: a unit attention, then the new medium.  udev's cdrom_id locks
# an inserted medium (PREVENT ALLOW MEDIUM REMOVAL), and vcdrom, like a
# drive and like SCST, refuses to swap a locked medium: unlock it first.
# The unit attention is reported once, to the first command (polling is
# off, see above).
expect_ok sg_prevent --allow $CD
write_ok $C "change cd /tmp/b.iso"
out=$(sg_turs -v $CD 2>&1)
echo "$out" | grep -qi "medium may have changed" || fail "no MEDIUM MAY HAVE CHANGED after change: $out"
clear_ua $CD
echo -1 >$poll
udevadm control --start-exec-queue 2>/dev/null
expect_ok mount -t iso9660 -o ro $SR /tmp/cdmnt
(cd /tmp/cdmnt && md5sum -c --quiet /tmp/sumb) || fail "files of the new medium differ"
expect_ok umount /tmp/cdmnt
udevadm settle 2>/dev/null
udevadm control --stop-exec-queue 2>/dev/null

# PREVENT ALLOW MEDIUM REMOVAL; then the initiator ejects.
expect_ok sg_prevent --prevent=1 $CD
write_refused $C "change cd /tmp/a.iso" "change: cd: the initiator prevents medium removal"
out=$(sg_start --eject $CD 2>&1) && fail "eject while prevented succeeded"
expect_ok sg_prevent --allow $CD
# A LUN reset ends the prevention (SBC-3): change works again.
expect_ok sg_prevent --prevent=1 $CD
expect_ok sg_reset --device $CD
write_ok $C "change cd /tmp/a.iso"
clear_ua $CD
expect_ok sg_start --eject $CD
out=$(sg_turs -v $CD 2>&1)
echo "$out" | grep -qi "Medium not present" || fail "TUR after eject: $out"
set -- $(grep '^cd ' $C)
expect_eq "listing after eject" "$*" "cd 0"

# The end of the session (I_T nexus loss) ends its prevention.
expect_ok sg_prevent --prevent=1 $CD
write_refused $C "change cd /tmp/b.iso" "change: cd: the initiator prevents medium removal"
udevadm control --start-exec-queue 2>/dev/null
write_refused $C "close cd" "device cd is in group Default"
unload scst_local
write_ok $C "change cd /tmp/b.iso"
write_ok $P/groups/Default/devices "clear"
write_ok $C "close cd"
write_ok $C "close empty"
unload scst_vdisk scst
exit 0
