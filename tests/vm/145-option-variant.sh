# The options variant of scst.ko (built by scripts/check with the
# CONFIG_SCST_* options no other build has: USE_EXPECTED_VALUES,
# STRICT_SECURITY, ABORT_CONSIDER_FINISHED_TASKS_AS_NOT_EXISTING,
# ALLOW_PASSTHROUGH_IO_SUBMIT_IN_SIRQ, and TM_DBG_GO_OFFLINE with DEBUG and
# DEBUG_TM).  The same probe runs on the test build's scst.ko, which has
# none of them, and on the variant, and each option shows its effect:
# - USE_EXPECTED_VALUES: a READ(10) of one 512-byte block sent expecting
#   1024 bytes gets 1024 (the initiator's length is trusted over the
#   CDB's, and the handler reads what the buffer takes); without it, 512;
# - STRICT_SECURITY: a buggy handler's READ that promises to fill its
#   buffer and fills nothing (scst_test_disk broken_reads=1) returns
#   zeros; without it, the data of the WRITE before, from the reused
#   buffer;
# - ABORT_CONSIDER_FINISHED_TASKS_AS_NOT_EXISTING: ABORT TASK of a command
#   whose response is on its way (scst_api_test abort_done_test=1) answers
#   TASK NOT EXIST (-1); without it, 0 (aborted);
# - TM_DBG_GO_OFFLINE: once 5 commands that DEBUG_TM held on LUN 0 of
#   Default were aborted, the LUN "goes offline" (every command held
#   until aborted) while LUN 1 works.
# ALLOW_PASSTHROUGH_IO_SUBMIT_IN_SIRQ is listed in version here; VM 146
# shows its effect.
. ./lib.sh
P=/proc/scsi_tgt
V=$SCST_TOP/tests/out/variants/options/scst.ko
[ -f "$V" ] || fail "no options variant at $V (scripts/check builds it)"
BR=/sys/module/scst_test_disk/parameters/broken_reads
head -c 4096 /dev/zero | tr '\0' '\245' >/tmp/opt.a5
head -c 4096 /dev/zero >/tmp/opt.zero
trap 'udevadm control --start-exec-queue 2>/dev/null' EXIT

# probe: prints "expected-in N read K abort S" for the loaded scst.ko.
probe() {
    local out n kind st before
    expect_ok modprobe scst_test_disk devices=2 size_mb=4
    write_ok $P/groups/Default/devices "add testdisk0 0"
    write_ok $P/groups/Default/devices "add testdisk1 1"
    expect_ok modprobe scst_local
    udevadm settle 2>/dev/null || sleep 2
    H=$(scst_local_host 0) || fail "no scst_local host"
    S1=$(sg_of $H:0:0:1) || fail "no sg device for LUN 1"
    udevadm control --stop-exec-queue 2>/dev/null
    clear_ua $S1
    out=$(sg_raw -r 1024 $S1 28 00 00 00 00 00 00 00 01 00 2>&1)
    n=$(echo "$out" | sed -n 's/.*Received \([0-9]*\) bytes.*/\1/p')
    expect_ok quiet sg_raw -s 4096 -i /tmp/opt.a5 $S1 2a 00 00 00 00 00 00 00 08 00
    echo 1 >$BR
    rm -f /tmp/opt.rd
    expect_ok quiet sg_raw -r 4096 -o /tmp/opt.rd $S1 28 00 00 00 00 10 00 00 08 00
    echo 0 >$BR
    if cmp -s /tmp/opt.rd /tmp/opt.zero; then kind=zeros
    elif cmp -s /tmp/opt.rd /tmp/opt.a5; then kind=stale
    else kind=other; fi
    udevadm control --start-exec-queue 2>/dev/null
    udevadm settle 2>/dev/null
    unload scst_local
    # Its own group (testdisk1 as LUN 0), out of DEBUG_TM's way (LUN 0
    # of Default).
    write_ok $P/scsi_tgt "add_group abortg"
    write_ok $P/groups/abortg/names "add iqn.2026-12.test:abort"
    write_ok $P/groups/abortg/devices "add testdisk1 0"
    before=$(dmesg | wc -l)
    expect_ok modprobe scst_api_test initiators=iqn.2026-12.test:abort abort_done_test=1
    st=$(dmesg | tail -n +$((before + 1)) | sed -n 's/.*task management 0 async: status \(-\{0,1\}[0-9]*\).*/\1/p' | tail -1)
    unload scst_api_test
    write_ok $P/groups/abortg/devices "clear"
    write_ok $P/scsi_tgt "del_group abortg"
    echo "expected-in ${n:-0} read $kind abort ${st:-none}"
}

expect_ok modprobe scst
expect_eq "the test build" "$(probe)" "expected-in 512 read stale abort 0"
write_ok $P/groups/Default/devices "clear"
unload scst_test_disk scst

expect_ok insmod "$V"
for o in USE_EXPECTED_VALUES STRICT_SECURITY ABORT_CONSIDER_FINISHED_TASKS_AS_NOT_EXISTING ALLOW_PASSTHROUGH_IO_SUBMIT_IN_SIRQ DEBUG_TM TM_DBG_GO_OFFLINE; do
    grep -qw "$o" $P/version || fail "$o missing from $P/version: $(cat $P/version | tr '\n' ' ')"
done
expect_eq "the options variant" "$(probe)" "expected-in 1024 read zeros abort -1"

# TM_DBG_GO_OFFLINE, through scst_local: TEST UNIT READYs to LUN 0 with a
# 3 s timeout; every 100th is held until the midlayer aborts it; after
# the 5th abort the LUN is offline: the next command is held too, while
# LUN 1 answers.
expect_ok modprobe scst_local
udevadm settle 2>/dev/null || sleep 2
H=$(scst_local_host 0) || fail "no scst_local host"
S0=$(sg_of $H:0:0:0) && S1=$(sg_of $H:0:0:1) || fail "no sg devices"
for b in /sys/class/scsi_device/$H:0:0:*/device/block/*; do
    [ -d "$b" ] && echo 3 >"$b/device/timeout"
done
udevadm control --stop-exec-queue 2>/dev/null
clear_ua $S0
clear_ua $S1
before=$(dmesg | wc -l)
# TEST UNIT READYs through SG_IO from one process (a process per command
# is too slow under TCG), each with a 3 s timeout: until 5 have failed
# (held, then aborted by the midlayer), at most 800.
tur_loop() {
    python3 - "$1" <<'PY'
import ctypes, fcntl, os, sys
class SgIoHdr(ctypes.Structure):
    _fields_ = [("interface_id", ctypes.c_int), ("dxfer_direction", ctypes.c_int),
                ("cmd_len", ctypes.c_ubyte), ("mx_sb_len", ctypes.c_ubyte), ("iovec_count", ctypes.c_ushort),
                ("dxfer_len", ctypes.c_uint), ("dxferp", ctypes.c_void_p), ("cmdp", ctypes.c_void_p),
                ("sbp", ctypes.c_void_p), ("timeout", ctypes.c_uint), ("flags", ctypes.c_uint),
                ("pack_id", ctypes.c_int), ("usr_ptr", ctypes.c_void_p), ("status", ctypes.c_ubyte),
                ("masked_status", ctypes.c_ubyte), ("msg_status", ctypes.c_ubyte), ("sb_len_wr", ctypes.c_ubyte),
                ("host_status", ctypes.c_ushort), ("driver_status", ctypes.c_ushort), ("resid", ctypes.c_int),
                ("duration", ctypes.c_uint), ("info", ctypes.c_uint)]
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open(sys.argv[1], os.O_RDWR)
cdb = ctypes.create_string_buffer(6)
sense = ctypes.create_string_buffer(32)
sent = failed = 0
while failed < 5 and sent < 800:
    h = SgIoHdr(interface_id=ord("S"), dxfer_direction=-1, cmd_len=6, mx_sb_len=32,
                cmdp=ctypes.addressof(cdb), sbp=ctypes.addressof(sense), timeout=3000)
    rc = libc.ioctl(fd, 0x2285, ctypes.byref(h))
    sent += 1
    # Timed out and aborted (a unit attention after the midlayer's
    # recovery has a status, and does not count).
    if rc != 0 or ((h.host_status or h.driver_status) and not h.status):
        failed += 1
print("sent %d failed %d" % (sent, failed))
PY
}
out=$(tur_loop $S0)
for _ in $(seq 50); do
    dmesg | tail -n +$((before + 1)) | grep -q "DEBUG_TM: LUN 0 of Default goes offline" && break
    sleep 0.2
done
new=$(dmesg | tail -n +$((before + 1)))
echo "$new" | grep -q "DEBUG_TM: LUN 0 of Default goes offline" ||
    fail "LUN 0 did not go offline ($out)"
[ "$(echo "$new" | grep -c 'DEBUG_TM: releasing a held command (aborted)')" -ge 5 ] || fail "fewer than 5 aborted holds ($out)"
sg_raw --timeout=3 $S0 00 00 00 00 00 00 >/dev/null 2>&1 && fail "a command to the offline LUN 0 was answered"
expect_ok sg_turs $S1

udevadm control --start-exec-queue 2>/dev/null
trap - EXIT
unload scst_local
write_ok $P/groups/Default/devices "clear"
unload scst_test_disk scst
exit 0
