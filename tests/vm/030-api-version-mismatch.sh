# A module claiming another interface version is refused with a clear
# message, nothing of it is registered, and the core stays usable.
. ./lib.sh

expect_ok modprobe scst
expect_fail modprobe scst_api_test iface_version_delta=1
expect_log 'scst: scst_api_test: target driver refused: built for SCST interface 1:[0-9a-f]{8}, this SCST provides 1:[0-9a-f]{8}; rebuild the module against this SCST'
module_loaded scst_api_test && fail "refused module stayed loaded"
[ ! -e /proc/scsi_tgt/scst_api_test_tgt ] || fail "refused driver got a /proc entry"

# Another revision (high 32 bits) is refused the same way.
expect_fail modprobe scst_api_test iface_revision_delta=1
expect_log 'scst: scst_api_test: target driver refused: built for SCST interface 2:[0-9a-f]{8}, this SCST provides 1:' 
# The core still works: a correct registration succeeds afterwards.
expect_ok modprobe scst_api_test
[ -d /proc/scsi_tgt/scst_api_test_tgt ] || fail "registration after refusal failed"
unload_all
exit 0
