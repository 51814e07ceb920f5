# CONFIG_SCST_EXTRACHECKS (on in the default build): a driver that breaks
# the command protocol (scst_api_test misuse_test=1) gets each wrong call
# logged and ignored, and its commands still complete: scst_tgt_cmd_done
# before scst_cmd_init_done, scst_rx_data during xmit_response, and
# SCST_CONTEXT_DIRECT asked for in atomic context (which, unchecked,
# would sleep with interrupts off: the runner fails on that splat).
# Also the default build's tracing: `debug` is a level, but the debug
# trace points exist only in CONFIG_SCST_DEBUG builds (test 140).
. ./lib.sh
P=/proc/scsi_tgt

expect_ok modprobe scst
grep -qw EXTRACHECKS $P/version || fail "EXTRACHECKS missing from $P/version: $(cat $P/version)"
grep -qw DEBUG $P/version && fail "the default build has DEBUG: $(cat $P/version)"
expect_eq "trace_level" "$(head -1 $P/trace_level)" "out_of_mem | minor | special | mgmt | mgmt_minor"
expect_ok modprobe scst_test_disk size_mb=1
write_ok $P/groups/Default/devices "add testdisk0 0"
expect_ok modprobe scst_api_test initiators=iqn.2026-11.test:misuse misuse_test=1
expect_log 'scst: EXTRACHECKS: scst_tgt_cmd_done called for a command that waits for scst_cmd_init_done; call ignored$'
expect_log 'scst: EXTRACHECKS: scst_rx_data called for a command that waits for scst_tgt_cmd_done; call ignored$'
expect_log 'scst: EXTRACHECKS: scst_cmd_init_done: SCST_CONTEXT_DIRECT from atomic context; using a thread$'
expect_log 'scst_api_test: misuse test: 2 of 2 commands answered$'
expect_ok rmmod scst_api_test

# No debug trace points without CONFIG_SCST_DEBUG, even with every level.
write_ok $P/trace_level "all"
expect_ok modprobe scst_local
udevadm settle 2>/dev/null || sleep 2
H=$(scst_local_host 0) || fail "no scst_local host"
S=$(sg_of $H:0:0:0) || fail "no sg device"
sg_turs $S >/dev/null 2>&1
expect_ok sg_inq $S
expect_log 'scst: .*LUN 0 opcode 0x12: status 0x00'
dmesg | grep -q ': stage [A-Za-z]*' && fail "debug trace points in a build without CONFIG_SCST_DEBUG"
expect_log 'scst: \[[0-9]+\] [a-z_:]+:[0-9]+: '
write_ok $P/trace_level "default"
expect_eq "trace_level" "$(head -1 $P/trace_level)" "out_of_mem | minor | special | mgmt | mgmt_minor"
udevadm settle 2>/dev/null
unload scst_local
write_ok $P/groups/Default/devices "clear"
unload scst_test_disk scst
exit 0
