# A module claiming another interface version is refused with a clear
# message, nothing of it is registered, and the core stays usable.
. ./lib.sh

# The revision the modules were built with.
rev=$(sed -n 's/^pub const SCST_INTERFACE_REVISION: u32 = \([0-9]*\);$/\1/p' ../../rust/api/abi.rs)
[ -n "$rev" ] || fail "SCST_INTERFACE_REVISION not found in rust/api/abi.rs"

expect_ok modprobe scst
expect_fail modprobe scst_api_test iface_version_delta=1
expect_log "scst: scst_api_test: target driver refused: built for SCST interface $rev:[0-9a-f]{8}, this SCST provides $rev:[0-9a-f]{8}; rebuild the module against this SCST"
module_loaded scst_api_test && fail "refused module stayed loaded"
[ ! -e /proc/scsi_tgt/scst_api_test_tgt ] || fail "refused driver got a /proc entry"

# Another revision (high 32 bits) is refused the same way.
expect_fail modprobe scst_api_test iface_revision_delta=1
expect_log "scst: scst_api_test: target driver refused: built for SCST interface $((rev + 1)):[0-9a-f]{8}, this SCST provides $rev:"
# The core still works: a correct registration succeeds afterwards.
expect_ok modprobe scst_api_test
[ -d /proc/scsi_tgt/scst_api_test_tgt ] || fail "registration after refusal failed"
unload_all
exit 0
