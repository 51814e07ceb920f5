# libiscsi's conformance suite iscsi-test-cu (families ALL and iSCSI, with
# --dataloss and two initiator names) against a FILEIO vdisk over
# iscsi-scst.  Every test must pass except those listed, with reasons, in
# iscsi-test-cu.expected; a listed test that passes fails this test too
# (the list may only shrink).  Per-test results: iscsi-test-cu-*.txt in
# the VM output directory.
. ./lib.sh
. ./iscsi-lib.sh
T=iqn.2026-11.org.scst:cu
expect_ok modprobe scst
expect_ok modprobe scst_vdisk
expect_ok modprobe iscsi-scst
export_disk cu 64M $T
printf 'Target %s\n' $T >$W/cu.conf
start_daemon 3260 $W/cu.conf
trap 'pkill -f iscsi-scstd' EXIT

out=${SCST_VM_OUT:-/tmp}
failed=
for family in iSCSI ALL; do
    log=$out/iscsi-test-cu-$family.txt
    timeout 1200 iscsi-test-cu --dataloss -n -i iqn.2026-11.org.scst:cu-a -I iqn.2026-11.org.scst:cu-b \
        -t $family iscsi://127.0.0.1/$T/0 >$log 2>&1
    # "tests  <total> <ran> <passed> <failed> <inactive>"
    set -- $(grep -E '^ +tests ' $log)
    [ $# -ge 5 ] || fail "no summary from iscsi-test-cu -t $family: $(tail -5 $log)"
    [ "$2" = "$3" ] || fail "$family: $3 of $2 tests ran"
    [ "$2" -ge 10 ] || fail "$family: only $2 tests"
    echo "$family: $2 tests, $4 passed, $5 failed"
    failed="$failed $(sed -n 's/.*Suite \([A-Za-z0-9_]*\), Test \([A-Za-z0-9_]*\) had failures.*/\1.\2/p' $log)"
done
failed=$(echo $failed | tr ' ' '\n' | sort -u)
expected=$(grep -v '^#' iscsi-test-cu.expected | sed '/^$/d' | sort -u)
new=$(comm -23 <(echo "$failed") <(echo "$expected"))
fixed=$(comm -13 <(echo "$failed") <(echo "$expected"))
[ -z "$new" ] || fail "tests failing that are not in iscsi-test-cu.expected: $(echo $new)"
[ -z "$fixed" ] || fail "tests in iscsi-test-cu.expected that pass now (remove them): $(echo $fixed)"
pkill -f iscsi-scstd
sleep 0.5
unload iscsi_scst
unexport_disk cu $T
unload scst_vdisk scst
exit 0
