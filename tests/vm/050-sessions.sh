# Sessions bind at registration to the group listing their initiator name,
# else Default_<target>, else Default; a group with sessions cannot be
# deleted; unregistration removes them.
. ./lib.sh
P=/proc/scsi_tgt
A=iqn.2026-11.test:a B=iqn.2026-11.test:b C=iqn.2026-11.test:c
T=scst_api_test_tgt0

expect_ok modprobe scst
write_ok $P/scsi_tgt "add_group g1"
write_ok $P/groups/g1/names "add $A"
write_ok $P/scsi_tgt "add_group Default_$T"
expect_ok modprobe scst_api_test initiators=$A,$B

row() { awk -v i="$1" '$2 == i {print $1, $3}' $P/sessions; }
expect_eq "session A" "$(row $A)" "$T g1"
expect_eq "session B" "$(row $B)" "$T Default_$T"
expect_eq "header" "$(head -1 $P/sessions | tr -s ' ' | sed 's/ $//')" "Target name Initiator name Group name Command Count"
expect_log "session $A on target $T bound to group g1"

write_refused $P/scsi_tgt "del_group g1" 'group g1 has 1 sessions bound to it'
write_refused $P/scsi_tgt "del_group Default_$T" "group Default_$T has 1 sessions"
expect_ok rmmod scst_api_test
expect_eq "sessions after unload" "$(sed -n '2,$p' $P/sessions)" ""
expect_log "session $A on target $T unregistered"
expect_log "target $T unregistered"

# Without Default_<target>, an unlisted initiator lands in Default.
write_ok $P/scsi_tgt "del_group Default_$T"
expect_ok modprobe scst_api_test initiators=$C
expect_eq "session C" "$(row $C)" "$T Default"
# A name listed later does not move a bound session.
write_ok $P/groups/g1/names "add $C"
expect_eq "session C stays" "$(row $C)" "$T Default"
unload_all
exit 0
