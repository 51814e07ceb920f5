# Task attributes through a real driver: scst_api_test sends at once to
# LUN 0 (test_disk, which completes every command 300 ms after its exec
# starts) 1: READ (SIMPLE), 2: TEST UNIT READY (ORDERED), 3: TUR (SIMPLE),
# 4: TUR (HEAD OF QUEUE).  1 and 4 execute at once (in either order: the
# SCST threads take them concurrently); 2 only after 1 has completed, 3
# only after 2: answers 1 4 2 3 or 4 1 2 3.  Without ordering, 2, 3
# and 4 would all execute at once and answer in that order after 1
# (1 2 3 4); with HEAD OF QUEUE waiting like the others, also 1 2 3 4.
# The order alone could come from luck in timing, so the time is checked
# too: 2 and 3 each wait for the one before, so the four take at least
# 3 x 300 ms (about 300 ms if they ran together).
. ./lib.sh
P=/proc/scsi_tgt

expect_ok modprobe scst
expect_ok modprobe scst_test_disk size_mb=1 delay_ms=300
write_ok $P/groups/Default/devices "add testdisk0 0"
expect_ok modprobe scst_api_test initiators=iqn.2026-11.test:order order_test=1
expect_log 'scst_api_test: task attributes: responses in order (1 4|4 1) 2 3 after [0-9]+ ms$'
ms=$(dmesg | sed -n 's/.*task attributes: responses in order .* after \([0-9]*\) ms$/\1/p' | tail -1)
[ "${ms:-0}" -ge 900 ] || fail "the four commands took ${ms:-?} ms: 2 and 3 did not wait (at least 900 ms expected)"
expect_ok rmmod scst_api_test
write_ok $P/groups/Default/devices "clear"
unload scst_test_disk scst
exit 0
