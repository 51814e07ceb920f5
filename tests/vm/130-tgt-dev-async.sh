# Per-LUN handler state and asynchronous management: the handler's
# attach_tgt/detach_tgt follow sessions and LUNs (and a refusal undoes the
# session registration or the LUN addition), its task_mgmt_fn takes part
# in task management, sessions register and unregister asynchronously,
# and task management works both synchronously and asynchronously.
. ./lib.sh
P=/proc/scsi_tgt
T=scst_api_test_tgt0
A=iqn.2026-11.test:a B=iqn.2026-11.test:b R=refuse-attach-1

new_log() { dmesg | tail -n +$((before + 1)); }
expect_new() { new_log | grep -qE -- "$1" || fail "no new log line matches '$1'; got: $(new_log | tr '\n' '|' | head -c 400)"; }
expect_no_new() { if new_log | grep -qE -- "$1"; then fail "unexpected log line matching '$1'"; fi; }

expect_ok modprobe scst
expect_ok modprobe scst_test_disk devices=2 size_mb=1
write_ok $P/groups/Default/devices "add testdisk0 0"

# Synchronous sessions: one attach_tgt each; LUN RESET on LUN 0 goes to
# the handler for every session that sees the device, and succeeds both
# ways.
before=$(dmesg | wc -l)
expect_ok modprobe scst_api_test initiators=$A,$B tm_func=4
expect_new "scst_test_disk: attach_tgt: $A LUN 0 device [0-9]+"
expect_new "scst_test_disk: attach_tgt: $B LUN 0 device [0-9]+"
expect_new "scst_test_disk: task_mgmt_fn: function 4 for $A LUN 0"
expect_new "scst_test_disk: task_mgmt_fn: function 4 for $B LUN 0"
expect_eq "sync LUN RESETs" "$(new_log | grep -c 'task management 4 sync: status 0$')" 2
expect_eq "async LUN RESETs" "$(new_log | grep -c 'task management 4 async: status 0$')" 2

# A LUN added later reaches both sessions; deleting it detaches both,
# with the private pointer set in attach_tgt.
before=$(dmesg | wc -l)
write_ok $P/groups/Default/devices "add testdisk1 1"
expect_new "attach_tgt: $A LUN 1"
expect_new "attach_tgt: $B LUN 1"
write_ok $P/groups/Default/devices "del testdisk1"
expect_new "detach_tgt: $A LUN 1 device [0-9]+, private data kept"
expect_new "detach_tgt: $B LUN 1 device [0-9]+, private data kept"
expect_no_new "detach_tgt: .* LUN 0"

# Unregistration detaches what is left.
before=$(dmesg | wc -l)
expect_ok rmmod scst_api_test
expect_new "detach_tgt: $A LUN 0 device [0-9]+, private data kept"
expect_new "detach_tgt: $B LUN 0 device [0-9]+, private data kept"

# The handler refuses a session: its registration fails as a whole.
before=$(dmesg | wc -l)
expect_fail modprobe scst_api_test initiators=$A,$R
expect_new "scst: handler test_disk refused LUN 0 for session $R"
expect_new "detach_tgt: $A LUN 0"
expect_eq "sessions after a refused load" "$(sed -n '2,$p' $P/sessions)" ""

# Asynchronously: the refused session reports its error, the others
# register; unloading unregisters them asynchronously.  ABORT TASK SET of
# an absent LUN reports LUN_NOT_EXIST (-2) both ways.
write_ok $P/groups/Default/devices "clear"
write_ok $P/groups/Default/devices "add testdisk1 0"
before=$(dmesg | wc -l)
expect_ok modprobe scst_api_test initiators=$A,$R,$B async_sessions=1
expect_eq "async results ok" "$(new_log | grep -c 'session registered asynchronously: result 0$')" 2
expect_eq "async results refused" "$(new_log | grep -c 'session registered asynchronously: result -22$')" 1
expect_eq "sessions registered" "$(awk -v t=$T '$1 == t' $P/sessions | wc -l)" 2
before=$(dmesg | wc -l)
expect_ok rmmod scst_api_test
expect_eq "async unregistrations" "$(new_log | grep -c 'session unregistered asynchronously')" 2
expect_eq "sessions after unload" "$(sed -n '2,$p' $P/sessions)" ""

# A LUN the handler refuses for a session already bound is not added.
write_ok $P/scsi_tgt "add_group g1"
write_ok $P/groups/g1/names "add $R"
expect_ok modprobe scst_api_test initiators=$R
write_refused $P/groups/g1/devices "add testdisk0 0" "handler test_disk refused LUN 0 for session $R"
expect_eq "g1 devices after refusal" "$(sed -n '2,$p' $P/groups/g1/devices)" ""
before=$(dmesg | wc -l)
expect_ok rmmod scst_api_test
expect_ok modprobe scst_api_test initiators=$A tm_func=1
expect_new "task management 1 sync: status 0$"
expect_new "scst_test_disk: task_mgmt_fn: function 1 for $A LUN 0"
expect_ok rmmod scst_api_test
before=$(dmesg | wc -l)
write_ok $P/groups/Default/devices "clear"
expect_ok modprobe scst_api_test initiators=$A tm_func=1
expect_new "task management 1 sync: status -2$"
expect_new "task management 1 async: status -2$"

unload scst_api_test scst_test_disk scst
exit 0
