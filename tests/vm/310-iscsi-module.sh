# iscsi-scst.ko: loads and registers the target driver "iscsi" with
# /proc/scsi_tgt/iscsi/{version,trace_level,session} and the control
# device /dev/iscsi-scst-ctl (root only); iscsi-scstd registers its
# targets through it and holds the module while it runs; malformed
# control requests are refused with an errno and a log line; the module
# unloads once the daemon is gone.
. ./lib.sh
. ./iscsi-lib.sh
P=/proc/scsi_tgt/iscsi
T1=iqn.2026-11.org.scst:disk1 T2=iqn.2026-11.org.scst:disk2

expect_ok modprobe scst
expect_ok modprobe iscsi-scst
expect_eq "version" "$(head -1 $P/version)" "1.0.2-rs"
grep -qx EXTRACHECKS $P/version || fail "version does not list EXTRACHECKS: $(cat $P/version)"
[ -f $P/trace_level ] || fail "no $P/trace_level"
[ -c /dev/iscsi-scst-ctl ] || fail "no /dev/iscsi-scst-ctl"
expect_eq "control device mode" "$(stat -c %A /dev/iscsi-scst-ctl)" "crw-------"
expect_eq "no targets yet" "$(cat $P/session)" ""

# The daemon registers both targets in file order.
printf 'Target %s\nTarget %s\n' $T1 $T2 >$W/two.conf
start_daemon 3270 $W/two.conf
daemon=$!
expect_eq "targets" "$(cat $P/session | tr '\n' '|')" "tid:1 name:$T1|tid:2 name:$T2|"
# The open control device holds the module.
out=$(rmmod iscsi_scst 2>&1) && fail "iscsi-scst unloaded while iscsi-scstd runs"
# A second daemon finds the targets registered already.
start_daemon 3271 $W/two.conf
second=$!
grep -q "target $T1 was registered already" $W/3271.log || fail "second daemon: $(cat $W/3271.log)"
kill $second

# Malformed requests straight to the device: errno and a log line each.
# ctl REQUEST TID NAME [VERSION]: prints the errno name, or OK.
ctl() {
    python3 - "$@" <<'PY'
import errno, fcntl, os, struct, sys
req, tid, name = int(sys.argv[1], 0), int(sys.argv[2]), sys.argv[3].encode()
version = int(sys.argv[4]) if len(sys.argv) > 4 else 1
block = struct.pack("II224s", version, tid, name)
fd = os.open("/dev/iscsi-scst-ctl", os.O_RDWR)
try:
    fcntl.ioctl(fd, req, block)
    print("OK")
except OSError as e:
    print(errno.errorcode[e.errno])
PY
}
ADD=0x40e86920 DEL=0x40e86921
before=$(dmesg | wc -l)
expect_eq "bad version" "$(ctl $ADD 9 iqn.2026-11.org.scst:x 7)" EINVAL
expect_eq "bad name" "$(ctl $ADD 9 'not a name')" EINVAL
expect_eq "duplicate name" "$(ctl $ADD 9 $T2)" EEXIST
expect_eq "duplicate tid" "$(ctl $ADD 1 iqn.2026-11.org.scst:x)" EEXIST
expect_eq "unknown tid" "$(ctl $DEL 42 $T1)" ENOENT
expect_eq "unknown request" "$(ctl 0x40e869ff 1 $T1)" ENOTTY
log=$(dmesg | tail -n +$((before + 1)))
for pat in "request version 7, this module speaks 1" "add target: the name is no valid iSCSI name" \
    "add target $T2 \(tid 9\): target $T2 has tid 2" "delete target: no target with tid 42" "unknown request 0x40e869ff"; do
    echo "$log" | grep -qE -- "$pat" || fail "no log line for '$pat': $(echo "$log" | tr '\n' '|')"
done
# A good request works, and the listing follows.
expect_eq "add" "$(ctl $ADD 9 iqn.2026-11.org.scst:x)" OK
expect_eq "delete" "$(ctl $DEL 1 $T1)" OK
expect_eq "targets after add and delete" "$(cat $P/session | tr '\n' '|')" "tid:2 name:$T2|tid:9 name:iqn.2026-11.org.scst:x|"
# Only root may use the device.
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups cat /dev/iscsi-scst-ctl 2>&1) && fail "nobody opened the control device"

kill $daemon
wait $daemon 2>/dev/null
unload iscsi_scst scst
exit 0
