# Two initiators (scst_local with two hosts): LUN masking by initiator
# name, unit attentions (REPORTED LUNS DATA HAS CHANGED, reported once, also
# through REQUEST SENSE), and SPC-2 reservations (RESERVATION CONFLICT for
# the other initiator, INQUIRY still allowed, RELEASE by a non-holder is a
# no-op); an initiator removed from its session's group loses its LUNs.
. ./lib.sh
P=/proc/scsi_tgt

expect_ok modprobe scst
expect_ok modprobe scst_test_disk devices=2 size_mb=4
write_ok $P/groups/Default/devices "add testdisk0 0"
write_ok $P/scsi_tgt "add_group g1"
write_ok $P/groups/g1/names "add scst_local_host1"
write_ok $P/groups/g1/devices "add testdisk1 0"
expect_ok modprobe scst_local num_hosts=2 max_luns=4
udevadm settle 2>/dev/null || sleep 2

# LUN masking: each initiator sees its own group's LUN 0.
A=$(scst_local_host 0) && B=$(scst_local_host 1) || fail "scst_local hosts missing"
expect_eq "host A LUN 0" "$(tr -d ' ' </sys/class/scsi_device/$A:0:0:0/device/model)" "testdisk0"
expect_eq "host B LUN 0" "$(tr -d ' ' </sys/class/scsi_device/$B:0:0:0/device/model)" "testdisk1"
expect_eq "A's group" "$(awk '$2 == "scst_local_host" {print $3}' $P/sessions)" "Default"
expect_eq "B's group" "$(awk '$2 == "scst_local_host1" {print $3}' $P/sessions)" "g1"
SA=$(sg_of $A:0:0:0) && SB=$(sg_of $B:0:0:0) || fail "no sg devices"
clear_ua $SA
clear_ua $SB

# Unit attention: a LUN added to Default is reported to A (not B), once.
# udev reacts to the midlayer's "LUN change" event by probing the disk,
# and that READ would take the next attention: pause udev's rules here.
udevadm settle 2>/dev/null
udevadm control --stop-exec-queue 2>/dev/null
trap 'udevadm control --start-exec-queue 2>/dev/null' EXIT
write_ok $P/groups/Default/devices "add testdisk1 1"
out=$(sg_turs -v $SA 2>&1) && fail "TUR after a LUN change did not report a unit attention"
echo "$out" | grep -qi 'reported luns data has changed' || fail "wrong unit attention: $out"
expect_ok sg_turs $SA
expect_ok sg_turs $SB
# ... and through REQUEST SENSE, which clears it.
write_ok $P/groups/Default/devices "del testdisk1"
sg_requests $SA 2>&1 | grep -qi 'reported luns data has changed' || fail "REQUEST SENSE did not return the unit attention"
expect_ok sg_turs $SA
udevadm control --start-exec-queue 2>/dev/null

# Reservations: testdisk0 becomes LUN 1 of g1, so B sees it too.
write_ok $P/groups/g1/devices "add testdisk0 1"
echo "- - -" >/sys/class/scsi_host/host$B/scan
udevadm settle 2>/dev/null || sleep 1
SB1=$(sg_of $B:0:0:1) || fail "B does not see testdisk0 as LUN 1"
clear_ua $SB1
clear_ua $SB
expect_ok quiet sg_raw $SA 16 00 00 00 00 00                 # RESERVE(6) by A
out=$(sg_turs -v $SB1 2>&1) && fail "TUR from B succeeded on A's reservation"
echo "$out" | grep -qi 'conflict' || fail "B's TUR: no reservation conflict: $out"
expect_ok sg_inq $SB1 >/dev/null                          # INQUIRY is allowed
expect_ok sg_turs $SA                                      # the holder is served
expect_ok quiet sg_raw $SB1 17 00 00 00 00 00                # RELEASE by B: no-op
sg_turs $SB1 >/dev/null 2>&1 && fail "RELEASE by a non-holder released the reservation"

expect_ok quiet sg_raw $SA 17 00 00 00 00 00                 # RELEASE by A
expect_ok sg_turs $SB1
# A third-party reservation is refused with INVALID FIELD IN CDB.
out=$(sg_raw -v $SA 16 10 00 00 00 00 2>&1) && fail "third-party RESERVE accepted"
echo "$out" | grep -qi 'invalid field in cdb' || fail "third-party RESERVE: wrong sense: $out"

# B's name leaves g1 while B's session is bound to it: from then on B
# reaches none of g1's LUNs (scst_local cannot end its session, so it
# stays without LUNs), and A is untouched.
write_ok $P/groups/g1/names "del scst_local_host1"
expect_log "session scst_local_host1 on target scst_local_tgt: the initiator is no longer in group g1: its access is revoked"
out=$(sg_turs -v $SB 2>&1) && fail "TUR of a revoked session succeeded"
echo "$out" | grep -qi 'logical unit not supported' || fail "revoked session's TUR: wrong sense: $out"
out=$(sg_raw -r 64 $SB a0 00 00 00 00 00 00 00 00 40 00 00 2>&1) || fail "REPORT LUNS of a revoked session: $out"
echo "$out" | grep -q "^ 00     00 00 00 00 00 00 00 00" || fail "a revoked session's REPORT LUNS lists LUNs: $out"
expect_ok sg_turs $SA

unload scst_local
write_ok $P/groups/Default/devices "clear"
write_ok $P/groups/g1/devices "clear"
unload scst_test_disk scst
exit 0
