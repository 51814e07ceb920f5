# Security groups through /proc/scsi_tgt: add_group/del_group, the devices
# and names files, every malformed command refused with a log line naming
# the problem, and nothing half-applied.
. ./lib.sh
P=/proc/scsi_tgt

expect_ok modprobe scst_api_test          # virtual device apitest0
[ -d $P/groups/Default ] || fail "no Default group"
expect_eq "scsi_tgt lists the device" "$(sed -n 2p $P/scsi_tgt | tr -s ' ')" "apitest0 scst_api_test_dev"

# Groups.
write_ok $P/scsi_tgt "add_group g1"
[ -f $P/groups/g1/devices ] && [ -f $P/groups/g1/names ] || fail "g1 files missing"
write_refused $P/scsi_tgt "add_group g1" 'group g1 already exists'
write_refused $P/scsi_tgt "add_group a/b" 'bad group name "a/b"'
write_refused $P/scsi_tgt "add_group" 'missing group name'
write_refused $P/scsi_tgt "add_group g2 extra" 'unexpected "extra"'
write_refused $P/scsi_tgt "add_grup g2" 'unknown command "add_grup"'
write_refused $P/scsi_tgt "del_group nosuch" 'no group nosuch'
write_refused $P/scsi_tgt "del_group Default" 'group Default cannot be deleted'
write_refused $P/scsi_tgt "assign 9:0:0:0 scst_api_test_pt" 'no SCSI device 9:0:0:0'
write_refused $P/scsi_tgt "assign 9:0:0:0 scst_api_test_dev" 'is a virtual-device handler'
write_refused $P/scsi_tgt "assign 9:0:0 dev_disk" 'bad H:C:I:L "9:0:0"'
[ ! -e $P/groups/g2 ] || fail "refused add_group created g2"

# Devices.  LUN 0 may come last, but its absence is reported.
D=$P/groups/g1/devices
before=$(dmesg | wc -l)
write_ok $D "add apitest0 1 READ_ONLY"
dmesg | tail -n +$((before + 1)) | grep -q 'group g1 has no LUN 0' || fail "missing LUN 0 not reported"
expect_eq "devices row" "$(sed -n 2p $D | tr -s ' ')" "apitest0 1 RO"
write_refused $D "add apitest0 0" 'group g1: device is already LUN 1'
write_refused $D "add nosuch 0" 'no device nosuch'
write_refused $D "add 1:0:0:0 0" 'no SCSI device 1:0:0:0'
write_refused $D "add apitest0 16384" 'bad LUN "16384"'
write_refused $D "add apitest0 x" 'bad LUN "x"'
write_refused $D "add apitest0 2 READONLY" 'unexpected "READONLY"'
write_refused $D "add apitest0" 'missing LUN'
write_refused $D "remove apitest0" 'unknown command "remove"'
write_refused $D "del nosuch" 'no device nosuch'
expect_eq "refused commands changed nothing" "$(sed -n '2,$p' $D | tr -s ' ')" "apitest0 1 RO"
write_ok $D "del apitest0"
expect_eq "after del" "$(sed -n '2,$p' $D)" ""
write_refused $D "del apitest0" 'device is not in the group'
write_ok $D "add apitest0 0"
write_ok $P/groups/Default/devices "add apitest0 0"
write_ok $D "clear"
expect_eq "after clear" "$(sed -n '2,$p' $D)" ""
# Any byte sequence is handled: binary junk and an over-long line.
write_refused $D "$(printf 'add \xff\xfe 0')" 'not valid UTF-8|bad device name'
# One write of 5000 bytes (printf would split it into several writes).
before=$(dmesg | wc -l)
if head -c 5000 /dev/zero | tr '\0' a | dd of=$D bs=5000 count=1 iflag=fullblock 2>/dev/null; then
    fail "a 5000-byte command was accepted"
fi
dmesg | tail -n +$((before + 1)) | grep -q 'command of 5000 bytes refused' || fail "over-long command not logged"
write_refused $D "" 'empty command'

# Names.
N=$P/groups/g1/names
write_ok $N "add iqn.2026-11.test:a"
write_ok $N "add iqn.2026-11.test:b"
expect_eq "names" "$(cat $N | tr '\n' ' ')" "iqn.2026-11.test:a iqn.2026-11.test:b "
write_refused $N "add iqn.2026-11.test:a" 'initiator iqn.2026-11.test:a is already in group g1'
write_refused $P/groups/Default/names "add iqn.2026-11.test:a" 'already in group g1'
write_refused $N "del iqn.2026-11.test:zz" 'no initiator iqn.2026-11.test:zz'
write_refused $N "add two words" 'unexpected "words"'
write_ok $N "del iqn.2026-11.test:a"
expect_eq "after del" "$(cat $N)" "iqn.2026-11.test:b"
write_ok $N "clear"
expect_eq "after clear" "$(cat $N)" ""

# While its device is exported, the handler's module cannot be unloaded.
expect_eq "exported" "$(sed -n '2p' $P/groups/Default/devices | tr -s ' ')" "apitest0 0 "
expect_fail rmmod scst_api_test
module_loaded scst_api_test || fail "handler unloaded while its device is exported"
write_ok $P/groups/Default/devices "del apitest0"
expect_ok rmmod scst_api_test

write_ok $P/scsi_tgt "del_group g1"
[ ! -e $P/groups/g1 ] || fail "g1 left behind"
expect_ok rmmod scst
exit 0
