# scst_user against hostile or broken programs: every malformed request
# gets its errno and a log line naming the problem; a program that dies
# with commands in hand, or is killed with -9 under fio, fails them at
# once (no D state left, the name registers again); a program that
# answers after cmd_timeout has its command failed at the deadline and
# the late answer refused; a stopped program's commands fail after
# cmd_timeout.
. ./lib.sh
# Private files: other tests leave their own under /tmp.
rm -rf /tmp/user510 && mkdir -p /tmp/user510
P=/proc/scsi_tgt
F=$SCST_TOP/target/release/fileio_tgt
[ -x "$F" ] || fail "no $F (make tools)"
U="python3 ./user_raw.py"

expect_ok modprobe scst
expect_ok modprobe scst_user
truncate -s 64M /tmp/user510/u.img

$U negative >/tmp/user510/neg.log 2>&1 || fail "negative: $(cat /tmp/user510/neg.log)"
expect_log 'speaks "3.11.0-pre", this module "scst-rs user interface 1"'
expect_log 'license "Proprietary" refused'
expect_log 'register: BlockSize\(1000\)'
expect_log 'register: Field\("qerr"\)'
expect_log 'parse_type 1 is not supported'
expect_log 'register: Name'
expect_log 'this file already serves a device'
expect_log 'reply to 0x12345 .* refused: no such command'
expect_log 'unknown request 0xc0087599'
[ ! -d $P/neg ] || fail "neg still registered after its file closed"

no_d_state() {
    local d
    d=$(ps -eo stat,pid,comm | awk '$1 ~ /^D/' | grep -v kworker)
    [ -z "$d" ] || fail "$1: processes in D state: $d"
}

# wait_gone NAME SECONDS
wait_gone() {
    for _ in $(seq $(($2 * 10))); do
        [ -d $P/$1 ] || return 0
        sleep 0.1
    done
    fail "$1 still registered after $2 s"
}

# 1. A program that exits with a command in hand (the scan's INQUIRY).
$U die udie >/tmp/user510/die.log 2>&1 &
wait_registered udie /tmp/user510/die.log
write_ok $P/groups/Default/devices "add udie 0"
expect_ok modprobe scst_local
udevadm settle 2>/dev/null || sleep 2
wait_gone udie 5
expect_log 'udie: closed with [0-9]+ commands in hand: failed'
no_d_state "after udie"
unload scst_local
write_ok $P/groups/Default/devices "clear"

# 2. A program that answers a command after cmd_timeout: the command
# failed at the deadline, the late reply is refused.
echo 3 >/sys/module/scst_user/parameters/cmd_timeout
LATE_AFTER=5 $U late ulate >/tmp/user510/late.log 2>&1 &
LPID=$!
wait_registered ulate /tmp/user510/late.log
write_ok $P/groups/Default/devices "add ulate 0"
expect_ok modprobe scst_local
wait $LPID || fail "the late reply was not refused: $(cat /tmp/user510/late.log)"
expect_log 'ulate: a command got no reply in 3 s: failed'
expect_log 'ulate: reply to 0x[0-9a-f]+ \(subcode 0xc0687303\) refused: no such command'
wait_gone ulate 5
no_d_state "after ulate"
udevadm settle 2>/dev/null
unload scst_local
write_ok $P/groups/Default/devices "clear"

# start NAME ARGS...: fileio_tgt serving the image as NAME, registered.
start() { fileio_start /tmp/user510 "$@"; }

# 3. A program that stops (SIGSTOP): its commands fail after cmd_timeout.
start ustop -e 2
write_ok $P/groups/Default/devices "add ustop 0"
expect_ok modprobe scst_local
udevadm settle 2>/dev/null || sleep 2
H=$(scst_local_host 0) || fail "no scst_local host"
D=$(dev 0)
expect_ok dd if=$D of=/dev/null bs=4k count=1 iflag=direct status=none
kill -STOP $FPID
t0=$(date +%s)
expect_fail dd if=$D of=/dev/null bs=4k count=1 skip=100 iflag=direct status=none
t=$(($(date +%s) - t0))
[ $t -le 12 ] || fail "the unanswered READ took $t s to fail (cmd_timeout 3)"
expect_log 'ustop: a command got no reply in 3 s: failed'
kill -CONT $FPID
expect_ok dd if=$D of=/dev/null bs=4k count=1 skip=200 iflag=direct status=none
no_d_state "after the timeout"

# 4. kill -9 under fio: fio fails within seconds, nothing hangs, and the
# name registers again.
echo 60 >/sys/module/scst_user/parameters/cmd_timeout
fio --name=k --filename=$D --ioengine=libaio --direct=1 --iodepth=32 --rw=randrw \
    --bs=4k --size=32M --time_based --runtime=60 --output=/tmp/user510/fio.k >/dev/null 2>&1 &
FIO=$!
sleep 3
kill -9 $FPID
t0=$(date +%s)
wait $FIO && fail "fio succeeded although its device's program was killed"
t=$(($(date +%s) - t0))
[ $t -le 15 ] || fail "fio took $t s to end after kill -9"
wait_gone ustop 5
no_d_state "after kill -9"
udevadm settle 2>/dev/null
unload scst_local
write_ok $P/groups/Default/devices "clear"
start ustop -e 2
kill -TERM $FPID
wait $FPID || fail "fileio_tgt exited with $?"
wait_gone ustop 5
expect_ok rmmod scst_user
expect_ok rmmod scst
exit 0
