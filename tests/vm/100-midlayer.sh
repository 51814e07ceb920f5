# SCSI devices of the midlayer: listed in scsi_tgt as H:C:I:L, attached to
# a registered pass-through handler of their type, `assign` checked
# (virtual handler, wrong type, exported device, unknown device), usable in
# groups, removed from groups when the device goes away (hot unplug).
. ./lib.sh
P=/proc/scsi_tgt

expect_ok modprobe scst
expect_ok modprobe scsi_debug dev_size_mb=8 ptype=0
udevadm settle 2>/dev/null || sleep 1
h=$(for x in /sys/class/scsi_host/host*; do
    [ "$(cat $x/proc_name)" = scsi_debug ] && basename $x | sed 's/host//'; done | head -1)
[ -n "$h" ] || fail "no scsi_debug host"
D="$h:0:0:0"
row() { awk -v d="$1" '$1 == d {print $2}' $P/scsi_tgt; }
grep -q "^$D " $P/scsi_tgt || fail "scsi_debug disk $D not listed: $(cat $P/scsi_tgt | tr '\n' '|')"
expect_eq "no handler yet" "$(row $D)" ""
write_refused $P/groups/Default/devices "add $D 0" 'has no handler; assign one first'

# A pass-through handler of type 0 takes it when it registers.
expect_ok modprobe scst_api_test
expect_eq "attached" "$(row $D)" "scst_api_test_pt"
expect_log "scst_api_test: attach $D: id [0-9]+, real"
write_refused $P/scsi_tgt "assign $D scst_api_test_dev" 'is a virtual-device handler'
write_refused $P/scsi_tgt "assign $D nosuch" 'no device handler nosuch'
write_refused $P/scsi_tgt "assign 99:0:0:0 scst_api_test_pt" 'no SCSI device 99:0:0:0'
# Reassignment detaches from the old handler, then attaches again.
before=$(dmesg | wc -l)
write_ok $P/scsi_tgt "assign $D scst_api_test_pt"
dmesg | tail -n +$((before + 1)) | tr '\n' '|' | grep -qE "detach $D: id [0-9]+, private data kept.*attach $D: id [0-9]+, real" ||
    fail "assign did not detach then attach: $(dmesg | tail -n +$((before + 1)) | tr '\n' '|')"

# Exported: no reassignment; the handler is pinned.
write_ok $P/groups/Default/devices "add $D 0"
write_refused $P/scsi_tgt "assign $D scst_api_test_pt" "SCSI device $D is in a group"
expect_fail rmmod scst_api_test

# Hot unplug: the device leaves the group and the list.
before=$(dmesg | wc -l)
echo 1 >/sys/class/scsi_device/$D/device/delete
dmesg | tail -n +$((before + 1)) | grep -q "device $D removed from group Default" || fail "no removal from the group"
expect_eq "Default after unplug" "$(sed -n '2,$p' $P/groups/Default/devices)" ""
grep -q "^$D " $P/scsi_tgt && fail "unplugged device still listed"
dmesg | tail -n +$((before + 1)) | grep -qE "detach $D: id [0-9]+, private data kept" || fail "no detach on unplug"

unload scst_api_test
unload scsi_debug scst
exit 0
