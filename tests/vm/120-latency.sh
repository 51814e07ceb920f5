# /proc/scsi_tgt/latency (the test build has CONFIG_SCST_MEASURE_LATENCY):
# per session, commands measured and average latencies; the handler's
# share reflects the test disk's delay; writing 0 clears, anything else is
# refused with a log line.
. ./lib.sh
P=/proc/scsi_tgt
D=/sys/module/scst_test_disk/parameters/delay_ms

expect_ok modprobe scst
[ -f $P/latency ] || fail "no $P/latency with MEASURE_LATENCY"
expect_ok modprobe scst_test_disk size_mb=4 delay_ms=1
write_ok $P/groups/Default/devices "add testdisk0 0"
expect_ok modprobe scst_local
udevadm settle 2>/dev/null || sleep 2
sg=$(sg_of $(scst_local_host 0):0:0:0) || fail "no sg device"
udevadm control --stop-exec-queue 2>/dev/null
trap 'udevadm control --start-exec-queue 2>/dev/null' EXIT
clear_ua $sg

expect_eq "header" "$(head -1 $P/latency | tr -s ' ')" "Target name Initiator name Commands Total (ns) Handler (ns) SCST (ns)"
write_ok $P/latency 0
row() { awk '$2 == "scst_local_host" {print $'$1'}' $P/latency; }
expect_eq "commands after clear" "$(row 3)" "0"

echo 30 >$D
for i in 1 2 3 4 5; do
    expect_ok quiet sg_raw -r 512 $sg 28 00 00 00 00 00 00 00 01 00
done
echo 1 >$D
expect_eq "commands measured" "$(row 3)" "5"
[ "$(row 5)" -ge 30000000 ] || fail "handler latency $(row 5) ns < the 30 ms delay"
[ "$(row 4)" -ge "$(row 5)" ] || fail "total $(row 4) ns < handler $(row 5) ns"
[ "$(row 6)" -eq $(( $(row 4) - $(row 5) )) ] || fail "SCST share is not total - handler"

write_refused $P/latency 1 'scst: latency: '
expect_eq "commands after refused write" "$(row 3)" "5"
write_ok $P/latency 0
expect_eq "commands after clear" "$(row 3)" "0"

udevadm control --start-exec-queue 2>/dev/null
unload scst_local
write_ok $P/groups/Default/devices "clear"
unload scst_test_disk scst
exit 0
