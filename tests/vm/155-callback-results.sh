# The return values of a target driver's callbacks (interface revision
# 4): scst_api_test's xmit_response refuses a TEST UNIT READY
# (SCST_TGT_RES_FATAL_ERROR, no scst_tgt_cmd_done), and its rdy_to_xfer
# refuses a WRITE. The core frees the first unanswered (else the session
# never unregisters and rmmod hangs) and answers the second with CHECK
# CONDITION, INTERNAL TARGET FAILURE (else it is never answered); both
# are logged with the driver's name.
. ./lib.sh
P=/proc/scsi_tgt

expect_ok modprobe scst
expect_ok modprobe scst_test_disk size_mb=1
write_ok $P/groups/Default/devices "add testdisk0 0"
expect_ok modprobe scst_api_test initiators=iqn.2026-12.test:refuse refuse_test=1
expect_log 'scst_api_test: refuse test: 1 refused responses, write answered true status 0x02 sense 4/44/00$'
expect_log 'target driver scst_api_test_tgt: xmit_response returned -3: the command is freed unanswered'
expect_log 'target driver scst_api_test_tgt: rdy_to_xfer returned -3: the write fails'
expect_ok timeout 30 rmmod scst_api_test
write_ok $P/groups/Default/devices "clear"
unload scst_test_disk scst
exit 0
