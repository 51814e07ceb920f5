# scst.ko loads, shows /proc/scsi_tgt, starts its threads, honours and
# checks its parameters, and unloads leaving nothing behind.
. ./lib.sh

expect_ok modprobe scst
expect_eq "version" "$(head -1 /proc/scsi_tgt/version)" "1.0.0-rs0.1"
grep -qx TRACING /proc/scsi_tgt/version || fail "version does not list TRACING"
expect_eq "scsi_tgt header" "$(head -1 /proc/scsi_tgt/scsi_tgt)" \
    "Device (host:ch:id:lun or name)                             Device handler"
expect_eq "threads (one per CPU)" "$(pgrep -c -x 'scsi_tgt[0-9]+')" "$(nproc)"
expect_log 'scst: SCST 1.0.0-rs0.1 loaded'
# Read-only files refuse writes, even from root.
expect_fail sh -c 'echo x > /proc/scsi_tgt/version'
expect_ok rmmod scst
[ ! -e /proc/scsi_tgt ] || fail "/proc/scsi_tgt left behind"
expect_eq "threads after unload" "$(pgrep -c -x 'scsi_tgt[0-9]+')" "0"

expect_ok modprobe scst scst_threads=3 scst_max_cmd_mem=64
expect_eq "threads" "$(pgrep -c -x 'scsi_tgt[0-9]+')" "3"
expect_log 'scst: SCST .* loaded: 3 threads, scst_max_cmd_mem 64 MiB'
expect_eq "param" "$(cat /sys/module/scst/parameters/scst_threads)" "3"
expect_ok rmmod scst

expect_fail modprobe scst scst_threads=-1
expect_log 'scst: scst_threads=-1 out of range'
expect_fail modprobe scst scst_threads=100000
module_loaded scst && fail "scst loaded with a bad parameter"
[ ! -e /proc/scsi_tgt ] || fail "/proc/scsi_tgt left behind by a failed load"
exit 0
