# Command processing by the SCST threads: scst_local receives in atomic
# context and hands every command to the threads.  More commands than an
# I_T_L nexus may have (64) get TASK SET FULL, which the initiator retries:
# no I/O fails.  The thread count changes under load without losing a
# command.  An initiator that will not send the data-out a CDB needs
# gets ILLEGAL REQUEST / INVALID MESSAGE ERROR.
. ./lib.sh
P=/proc/scsi_tgt
D=/sys/module/scst_test_disk/parameters/delay_ms

expect_ok modprobe scst scst_threads=2
expect_eq "threads at load" "$(cat $P/threads)" "2"
[ "$(ps -e -o comm= | grep -c '^scsi_tgt[0-9]')" = 2 ] || fail "not 2 scsi_tgtN threads: $(ps -e -o comm= | grep scsi_tgt | tr '\n' ' ')"
expect_ok modprobe scst_test_disk size_mb=16 delay_ms=50
write_ok $P/groups/Default/devices "add testdisk0 0"
expect_ok modprobe scst_local
udevadm settle 2>/dev/null || sleep 2
h=$(scst_local_host 0) || fail "no scst_local host"
sdev=/sys/class/scsi_device/$h:0:0:0/device
blk=$(ls $sdev/block/) || fail "no block device"
sg=$(sg_of $h:0:0:0) || fail "no sg device"
udevadm control --stop-exec-queue 2>/dev/null
trap 'udevadm control --start-exec-queue 2>/dev/null' EXIT
clear_ua $sg

# Let the initiator queue up to 128 commands to the LUN.
echo 128 >$sdev/queue_depth || fail "cannot set queue_depth"
expect_eq "queue depth" "$(cat $sdev/queue_depth)" "128"

before=$(dmesg | wc -l)
fio --name=deep --filename=/dev/$blk --direct=1 --ioengine=libaio --rw=randrw --bs=4k \
    --iodepth=128 --number_ios=1500 --size=8M --verify=crc32c --do_verify=1 \
    --output=/tmp/fio.out >/dev/null 2>&1 &
fio=$!
# Change the thread count while the commands flow.
sleep 1
write_ok $P/threads 1
expect_eq "threads after write" "$(cat $P/threads)" "1"
sleep 1
write_ok $P/threads 3
wait $fio || fail "fio failed: $(tail -20 /tmp/fio.out | tr '\n' '|')"
grep -q 'err= 0' /tmp/fio.out || fail "fio reported errors: $(grep err= /tmp/fio.out)"
dmesg | tail -n +$((before + 1)) | grep -qE 'scst: scst_local_host: TASK SET FULL for LUN 0 \(1 times\)' ||
    fail "128 commands on one LUN never met TASK SET FULL"
# The initiator sees a command complete a moment before the core frees
# it: wait up to a second for the count to drain.
inflight() { awk '$2 == "scst_local_host" {print $4}' $P/sessions; }
for _ in $(seq 20); do [ "$(inflight)" = 0 ] && break; sleep 0.05; done
expect_eq "commands in flight after fio" "$(inflight)" "0"
echo 0 >$D

# The CDB decides the direction: TEST UNIT READY, which moves no data,
# with an initiator expecting 512 bytes in, succeeds with nothing read
# (SCST allows it too: VMware sends it so); a WRITE whose initiator
# expects data in, and so sends none, cannot be done.
sg_raw -r 512 $sg 00 00 00 00 00 00 >/tmp/raw.out 2>&1 || fail "TEST UNIT READY expecting data in: $(tr '\n' '|' </tmp/raw.out)"
grep -q "No data received" /tmp/raw.out || fail "TEST UNIT READY returned data: $(tr '\n' '|' </tmp/raw.out)"
sg_raw -r 512 $sg 2a 00 00 00 00 00 00 00 01 00 >/tmp/raw.out 2>&1 && fail "direction mismatch accepted"
grep -qi 'invalid message error' /tmp/raw.out || fail "wrong answer to a direction mismatch: $(tr '\n' '|' </tmp/raw.out)"
expect_log 'scst: opcode 0x2a: initiator expects direction 1, the CDB means 2'
# The same command without data is fine.
expect_ok sg_turs $sg

udevadm control --start-exec-queue 2>/dev/null
unload scst_local
write_ok $P/groups/Default/devices "clear"
unload scst_test_disk scst
exit 0
