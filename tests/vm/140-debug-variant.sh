# The debug variant of scst.ko (built by scripts/check with DEBUG,
# DEBUG_TM and STRICT_SERIALIZING): STRICT_SERIALIZING executes one
# command of a device at a time; DEBUG_TM holds every 100th command to
# LUN 0 of Default until the initiator aborts it, which it does when the
# command times out; both ways the devices keep working.  DEBUG itself:
# the default trace level adds pid, line, function, mgmt_dbg and retry
# (so messages carry "[pid] module::function:line: "), and the debug
# trace points (command stages) exist.
. ./lib.sh
P=/proc/scsi_tgt
V=$SCST_TOP/tests/out/variants/debug/scst.ko
D=/sys/module/scst_test_disk/parameters/delay_ms
[ -f "$V" ] || fail "no debug variant at $V (scripts/check builds it)"

expect_ok insmod "$V"
for o in DEBUG DEBUG_TM STRICT_SERIALIZING; do
    grep -qw "$o" $P/version || fail "$o missing from $P/version: $(cat $P/version)"
done
dbg_default="out_of_mem | minor | pid | line | function | special | mgmt | mgmt_minor | mgmt_dbg | retry"
expect_eq "trace_level" "$(head -1 $P/trace_level)" "$dbg_default"
write_ok $P/trace_level "none"
write_ok $P/trace_level "default"
expect_eq "trace_level" "$(head -1 $P/trace_level)" "$dbg_default"
expect_ok modprobe scst_test_disk devices=2 size_mb=4 delay_ms=1
write_ok $P/groups/Default/devices "add testdisk0 0"
write_ok $P/groups/Default/devices "add testdisk1 1"
expect_ok modprobe scst_local
udevadm settle 2>/dev/null || sleep 2
H=$(scst_local_host 0) || fail "no scst_local host"
S0=$(sg_of $H:0:0:0) && S1=$(sg_of $H:0:0:1) || fail "no sg devices"
udevadm control --stop-exec-queue 2>/dev/null
trap 'udevadm control --start-exec-queue 2>/dev/null' EXIT
clear_ua $S0
clear_ua $S1

# The debug trace points: each stage of a command, with the prefix.
write_ok $P/trace_level "add debug"
expect_ok sg_turs $S1
write_ok $P/trace_level "del debug"
expect_log 'scst: \[[0-9]+\] cmd::advance:[0-9]+: command [0-9a-fx]+ \(LUN 1, opcode 0x00\): stage Execute'
expect_log 'scst: \[[0-9]+\] cmd::advance:[0-9]+: command [0-9a-fx]+ \(LUN 1, opcode 0x00\): stage Xmit'

# STRICT_SERIALIZING, on LUN 1 (DEBUG_TM leaves it alone): 6 reads of
# 500 ms each, issued together, take at least 6 x 500 ms (about 1.5 s
# without the option, on this VM).
echo 500 >$D
start=$(date +%s%N)
pids=
for i in 0 1 2 3 4 5; do
    sg_raw -r 512 --timeout=30 $S1 28 00 00 00 00 0$i 00 00 01 00 >/dev/null 2>&1 &
    pids="$pids $!"
done
for p in $pids; do wait $p || fail "a serialized READ failed"; done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ $ms -ge 3000 ] || fail "6 reads of 500 ms took $ms ms: executed concurrently"
echo 1 >$D

# DEBUG_TM: TEST UNIT READYs to LUN 0 with a 3 s timeout; one of the first
# 100 is held, times out, is aborted by the midlayer's error handler, and
# released; the LUN works afterwards.
before=$(dmesg | wc -l)
failed_at=0
for i in $(seq 1 100); do
    if ! sg_raw --timeout=3 $S0 00 00 00 00 00 00 >/dev/null 2>&1; then failed_at=$i; break; fi
done
[ $failed_at -gt 0 ] || fail "no command of 100 was held"
new=$(dmesg | tail -n +$((before + 1)))
echo "$new" | grep -q 'scst: DEBUG_TM: holding command [0-9]* to LUN 0 of Default' || fail "no hold logged"
for i in $(seq 1 50); do
    echo "$new" | grep -q 'DEBUG_TM: releasing a held command (aborted)' && break
    sleep 0.2
    new=$(dmesg | tail -n +$((before + 1)))
done
echo "$new" | grep -q 'DEBUG_TM: releasing a held command (aborted)' || fail "the held command was not released on abort: $(echo "$new" | tr '\n' '|' | head -c 400)"
echo "$new" | grep -qE 'scst: \[[0-9]+\] tm::status:[0-9]+: task management function 0 from scst_local_host: 1 commands aborted' || fail "no ABORT TASK"
echo "$new" | grep -qE 'scst: \[[0-9]+\] tm::start:[0-9]+: function 0 from scst_local_host: LUN [^,]*, tag 0x[0-9a-f]+, device [^,]*, 1 sessions in scope' || fail "no mgmt_dbg line for the ABORT TASK"
clear_ua $S0
expect_ok sg_turs $S0

udevadm control --start-exec-queue 2>/dev/null
unload scst_local
write_ok $P/groups/Default/devices "clear"
unload scst_test_disk scst
exit 0
