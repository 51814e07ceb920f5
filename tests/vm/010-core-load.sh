# scst.ko loads, shows /proc/scsi_tgt, starts its threads, honours and
# checks its parameters, and unloads leaving nothing behind.
. ./lib.sh

expect_ok modprobe scst
expect_eq "version" "$(head -1 /proc/scsi_tgt/version)" "1.0.0-rs0.1"
grep -qx TRACING /proc/scsi_tgt/version || fail "version does not list TRACING"
expect_eq "scsi_tgt header" "$(head -1 /proc/scsi_tgt/scsi_tgt)" \
    "Device (host:ch:id:lun or name)                             Device handler"
expect_eq "threads (one per CPU)" "$(pgrep -c -x 'scsi_tgt[0-9]+')" "$(nproc)"
# They do a block device's I/O, as loop's workers: PF_MEMALLOC_NOIO
# (0x80000) and PF_LOCAL_THROTTLE (0x100000), field 9 of /proc/PID/stat.
for p in $(pgrep -x 'scsi_tgt[0-9]+'); do
    flags=$(awk '{print $9}' /proc/$p/stat)
    expect_eq "thread $p NOIO and LOCAL_THROTTLE" "$(( flags & 0x180000 ))" "$(( 0x180000 ))"
done
expect_log 'scst: SCST 1.0.0-rs0.1 loaded'
# Read-only files refuse writes, even from root.
expect_fail sh -c 'echo x > /proc/scsi_tgt/version'
expect_fail sh -c 'echo x > /proc/scsi_tgt/sessions'
grep -q 'add_group GROUP' /proc/scsi_tgt/help || fail "help lacks add_group"
expect_eq "no sessions" "$(sed -n '2,$p' /proc/scsi_tgt/sessions)" ""

# threads: read, resize both ways, refuse nonsense.
expect_eq "threads file" "$(cat /proc/scsi_tgt/threads)" "$(nproc)"
write_ok /proc/scsi_tgt/threads 5
expect_eq "threads after grow" "$(pgrep -c -x 'scsi_tgt[0-9]+')" "5"
write_ok /proc/scsi_tgt/threads 1
expect_eq "threads after shrink" "$(pgrep -c -x 'scsi_tgt[0-9]+')" "1"
expect_eq "threads file" "$(cat /proc/scsi_tgt/threads)" "1"
write_refused /proc/scsi_tgt/threads 0 'bad thread count "0"'
write_refused /proc/scsi_tgt/threads 2000 'bad thread count "2000"'
write_refused /proc/scsi_tgt/threads "two" 'bad thread count "two"'
expect_eq "threads unchanged" "$(cat /proc/scsi_tgt/threads)" "1"

# trace_level: named levels, add/del/value/none/all/default.
T=/proc/scsi_tgt/trace_level
expect_eq "default level" "$(head -1 $T)" "out_of_mem | minor | special | mgmt | mgmt_minor"
write_ok $T "add scsi"
expect_eq "after add" "$(head -1 $T)" "out_of_mem | minor | special | scsi | mgmt | mgmt_minor"
write_ok $T "del minor"
expect_eq "after del" "$(head -1 $T)" "out_of_mem | special | scsi | mgmt | mgmt_minor"
write_ok $T "none"
expect_eq "none" "$(head -1 $T)" "none"
write_ok $T "value 0x1001"
expect_eq "value" "$(head -1 $T)" "out_of_mem | mgmt"
write_refused $T "add nosuch" 'unknown trace level "nosuch"'
write_refused $T "value 0x200000" 'bad trace value'
expect_eq "unchanged" "$(head -1 $T)" "out_of_mem | mgmt"
grep -q 'mgmt_minor' $T || fail "trace_level lacks the level list"
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
