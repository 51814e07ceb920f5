# Task management through scst_local's error handling: a command stuck in
# the handler times out, the midlayer aborts it (ABORT TASK), and SCST
# returns only once the command has finished; a device reset (LUN RESET)
# releases a reservation and gives every initiator of the device a reset
# unit attention; a MODE SELECT gives the other initiator a MODE
# PARAMETERS CHANGED unit attention; a READ aborted by a reset is retried
# by the midlayer, not failed.  The device keeps working afterwards.
. ./lib.sh
P=/proc/scsi_tgt
D=/sys/module/scst_test_disk/parameters/delay_ms

expect_ok modprobe scst
expect_ok modprobe scst_test_disk size_mb=4 delay_ms=1
write_ok $P/groups/Default/devices "add testdisk0 0"
expect_ok modprobe scst_local num_hosts=2
udevadm settle 2>/dev/null || sleep 2
SA=$(sg_of $(scst_local_host 0):0:0:0) && SB=$(sg_of $(scst_local_host 1):0:0:0) || fail "no sg devices"
udevadm control --stop-exec-queue 2>/dev/null
trap 'udevadm control --start-exec-queue 2>/dev/null' EXIT
clear_ua $SA
clear_ua $SB
# a_in_flight: how many commands of A's session are in flight.
a_in_flight() { awk '$2 == "scst_local_host" {print $4}' $P/sessions; }

# ABORT TASK: a READ held 6 s by the handler, with a 2 s timeout.
echo 6000 >$D
before=$(dmesg | wc -l)
start=$(date +%s)
sg_raw -r 512 --timeout=2 $SA 28 00 00 00 00 00 00 00 01 00 >/tmp/out 2>&1 &
raw=$!
# While it is held, the session shows one command in flight.
sleep 1
expect_eq "commands in flight" "$(a_in_flight)" "1"
if wait $raw; then
    fail "a command held 6 s completed within a 2 s timeout"
fi
expect_eq "commands after abort" "$(a_in_flight)" "0"
echo 1 >$D
new=$(dmesg | tail -n +$((before + 1)))
echo "$new" | grep -q 'scst: task management function 0 from scst_local_host: 1 commands aborted' ||
    fail "no ABORT TASK of the stuck command: $(echo "$new" | tr '\n' '|')"
echo "$new" | grep -q 'Abort of LUN 0: task management status 0' || fail "EH abort did not succeed"
# SCST answered the abort only after the handler finished (~6 s).
[ $(( $(date +%s) - start )) -ge 5 ] || fail "abort returned before the command finished"
expect_ok sg_turs $SA

# LUN RESET: B reserves, A resets the device: reservation gone, both get a
# reset unit attention once.
expect_ok quiet sg_raw $SB 16 00 00 00 00 00
out=$(sg_turs -v $SA 2>&1) && fail "A not blocked by B's reservation"
before=$(dmesg | wc -l)
expect_ok quiet sg_reset -d $SA
dmesg | tail -n +$((before + 1)) | grep -q 'task management function 4 from scst_local_host' || fail "no LUN RESET"
for s in $SA $SB; do
    out=$(sg_turs -v $s 2>&1) && fail "$s: no unit attention after LUN RESET"
    echo "$out" | grep -qi 'power on, reset' || fail "$s: wrong unit attention: $out"
    expect_ok sg_turs $s
done

# MODE SELECT from A: B gets MODE PARAMETERS CHANGED once, A nothing.
printf '\000\000\000\010\000\000\000\000\000\000\002\000' >/tmp/ms6
expect_ok quiet sg_raw -s 12 -i /tmp/ms6 $SA 15 10 00 00 0c 00
out=$(sg_turs -v $SB 2>&1) && fail "B: no unit attention after A's MODE SELECT"
echo "$out" | grep -qi 'mode parameters changed' || fail "B: wrong unit attention: $out"
expect_ok sg_turs $SB
expect_ok sg_turs $SA

A=$(scst_local_host 0)
blk=$(ls /sys/class/scsi_device/$A:0:0:0/device/block/) || fail "no block device"
# wait_in_flight WHAT: until A's session shows its one command in flight
# (on the sanitizer kernel dd takes a while to get there).
wait_in_flight() {
    for _ in $(seq 100); do
        [ "$(a_in_flight)" = 1 ] && return
        sleep 0.1
    done
    fail "no command of A in flight before $1: $(cat $P/sessions)"
}

# A reset aborts the commands in flight, and the midlayer retries them:
# the reader sees no error.  A READ held 5 s, then a TARGET RESET from
# A's own host (sg_reset -t), then a LUN RESET from the other host, each
# once the READ is in flight (nothing but sg_reset's start between the
# two, so that a slow sanitizer kernel still resets within the 5 s).
echo 5000 >$D
for how in "-t $SA" "-d $SB"; do
    before=$(dmesg | wc -l)
    dd if=/dev/$blk of=/dev/null bs=4k count=1 iflag=direct status=none 2>/tmp/dd.err &
    reader=$!
    wait_in_flight "sg_reset $how"
    expect_ok quiet sg_reset $how
    wait $reader || fail "a READ aborted by sg_reset $how failed instead of being retried: $(cat /tmp/dd.err)"
    dmesg | tail -n +$((before + 1)) | grep -qE 'task management function [45] from scst_local_host1?: 1 commands aborted' ||
        fail "sg_reset $how aborted no READ: $(dmesg | tail -n +$((before + 1)) | tr '\n' '|')"
done
echo 1 >$D
for s in $SA $SB; do sg_turs $s >/dev/null 2>&1; done

# A device leaving waits for its commands: a READ held 3 s, the LUN
# removed, the handler unloaded: rmmod returns only after the READ, which
# completes normally.
echo 3000 >$D
start=$(date +%s)
dd if=/dev/$blk of=/dev/null bs=4k count=1 iflag=direct status=none &
reader=$!
wait_in_flight "the LUN is removed"
write_ok $P/groups/Default/devices "clear"
before=$(dmesg | wc -l)
expect_ok rmmod scst_test_disk
dmesg | tail -n +$((before + 1)) | grep -qE 'scst: device [0-9]+ left: waiting for its commands in flight' ||
    fail "the core did not wait for the leaving device's command"
[ $(( $(date +%s) - start )) -ge 3 ] || fail "handler unloaded before its command finished"
wait $reader || fail "the READ in flight failed"

udevadm control --start-exec-queue 2>/dev/null
unload scst_local scst
exit 0
