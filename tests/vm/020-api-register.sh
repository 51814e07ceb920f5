# A test module registers a target driver and a device handler through the
# exported API; the core lists both, refuses to unload while they are
# registered, and everything unloads cleanly afterwards.
. ./lib.sh

expect_ok modprobe scst_api_test        # must pull in scst.ko first
module_loaded scst || fail "modprobe did not load scst as a dependency"
[ -d /proc/scsi_tgt/scst_api_test_tgt ] || fail "target driver directory missing"
expect_eq "handler type" "$(cat /proc/scsi_tgt/scst_api_test_dev/type)" \
    "0 - direct-access device (e.g., magnetic disk)"
expect_log 'scst: target driver scst_api_test_tgt registered'
expect_log 'scst: device handler scst_api_test_dev for type 0 registered'
expect_log 'scst_api_test: attach apitest0: id [0-9]+, virtual'
grep -q '^scst .* scst_api_test,' /proc/modules || fail "scst does not list its user: $(grep '^scst ' /proc/modules)"

# The module's own trace level, shown by its driver's and its handler's
# directories (one module, one level), apart from the core's.
TD=/proc/scsi_tgt/scst_api_test_dev/trace_level
TT=/proc/scsi_tgt/scst_api_test_tgt/trace_level
expect_eq "module trace default" "$(head -1 $TD)" "out_of_mem | minor | special | mgmt | mgmt_minor"
write_ok $TD "add scsi"
write_ok $TD "del minor"
expect_eq "module trace changed" "$(head -1 $TD)" "out_of_mem | special | scsi | mgmt | mgmt_minor"
expect_eq "same module, same level" "$(head -1 $TT)" "out_of_mem | special | scsi | mgmt | mgmt_minor"
write_refused $TT "add nosuch" 'unknown trace level "nosuch"'
expect_eq "core level untouched" "$(head -1 /proc/scsi_tgt/trace_level)" "out_of_mem | minor | special | mgmt | mgmt_minor"

expect_fail rmmod scst                  # in use
[ -d /proc/scsi_tgt ] || fail "/proc/scsi_tgt gone after a refused unload"

expect_ok rmmod scst_api_test
[ ! -e /proc/scsi_tgt/scst_api_test_tgt ] || fail "target driver directory left behind"
[ ! -e /proc/scsi_tgt/scst_api_test_dev ] || fail "handler directory left behind"
expect_log 'scst: target driver scst_api_test_tgt unregistered'
expect_log 'scst: device handler scst_api_test_dev unregistered'
expect_log 'scst_api_test: detach apitest0: id [0-9]+, private data kept'

# Register again: names are free after unregistration.  The driver's
# threads_num (2) adds threads to the pool while it is registered; the
# configured count (/proc/scsi_tgt/threads) stays.
pool() { ps -e -o comm= | grep -c '^scsi_tgt[0-9]'; }
base=$(pool)
expect_eq "threads file" "$(cat /proc/scsi_tgt/threads)" "$base"
expect_ok modprobe scst_api_test
expect_eq "pool with the driver" "$(pool)" "$((base + 2))"
expect_eq "threads file with the driver" "$(cat /proc/scsi_tgt/threads)" "$base"
expect_ok rmmod scst_api_test
expect_eq "pool after the driver" "$(pool)" "$base"
expect_ok rmmod scst
[ ! -e /proc/scsi_tgt ] || fail "/proc/scsi_tgt left behind"
exit 0
