# libiscsi's iscsi-test-cu (family ALL, --dataloss, two initiator names)
# against a LUN fileio_tgt serves through scst_user, over iscsi-scst:
# every test must pass, as against vdisk (VM 340).  Results:
# iscsi-test-cu-user.txt in the VM output directory.
. ./lib.sh
. ./iscsi-lib.sh
T=iqn.2026-11.org.scst:ucu
F=$SCST_TOP/target/release/fileio_tgt
[ -x "$F" ] || fail "no $F (make tools)"
expect_ok modprobe scst
expect_ok modprobe scst_user
expect_ok modprobe iscsi-scst
mkdir -p $W
truncate -s 64M $W/u.img
fileio_start $W ucu -e 4
write_ok $P/scsi_tgt "add_group Default_$T"
write_ok $P/groups/Default_$T/devices "add ucu 0"
printf 'Target %s\n' $T >$W/ucu.conf
start_daemon 3260 $W/ucu.conf
trap 'pkill -f iscsi-scstd; kill $FPID 2>/dev/null' EXIT

log=${SCST_VM_OUT:-/tmp}/iscsi-test-cu-user.txt
timeout 1200 iscsi-test-cu --dataloss -n -i iqn.2026-11.org.scst:cu-a -I iqn.2026-11.org.scst:cu-b \
    -t ALL iscsi://127.0.0.1/$T/0 >$log 2>&1
# "tests  <total> <ran> <passed> <failed> <inactive>"
set -- $(grep -E '^ +tests ' $log)
[ $# -ge 5 ] || fail "no summary from iscsi-test-cu: $(tail -5 $log)"
[ "$2" = "$3" ] || fail "$3 of $2 tests ran"
[ "$2" -ge 200 ] || fail "only $2 tests"
[ "$4" = "$2" ] || fail "$5 of $2 failed: $(sed -n 's/.*Suite \([A-Za-z0-9_]*\), Test \([A-Za-z0-9_]*\) had failures.*/\1.\2/p' $log | sort -u | tr '\n' ' ')"
echo "$2 tests, all passed"
pkill -f iscsi-scstd
sleep 0.5
unload iscsi_scst
write_ok $P/groups/Default_$T/devices "clear"
write_ok $P/scsi_tgt "del_group Default_$T"
kill -TERM $FPID
wait $FPID || fail "fileio_tgt exited with $?"
unload scst_user scst
exit 0
