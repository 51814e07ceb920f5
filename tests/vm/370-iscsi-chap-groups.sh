# Normal iSCSI sessions with CHAP and LUN masking, through open-iscsi: a
# target with an IncomingUser refuses logins without CHAP and with a wrong
# secret, takes the right one, and answers mutual CHAP with its
# OutgoingUser (an initiator expecting another target secret gives up);
# a session lands in the group whose names list the initiator, else in
# Default_<target>, and sees that group's LUN 0 (told apart by size).
# An IncomingUser bound to an initiator name (its third word, or
# iscsi-scst-adm's InitiatorName=) logs in only under that name: with
# the right secret and another name the login is refused.  The name
# removed from its group while logged in ends the session at once, and
# open-iscsi's next login lands in Default_<target>.  An initiators.deny
# rule made live by SIGHUP ends the initiator's session.
. ./lib.sh
. ./iscsi-lib.sh
T=iqn.2026-11.org.scst:chap
IN=$(sed -n 's/^InitiatorName=//p' /etc/iscsi/initiatorname.iscsi)
[ -n "$IN" ] || fail "no open-iscsi initiator name"

expect_ok modprobe scst
expect_ok modprobe scst_vdisk
expect_ok modprobe iscsi-scst
export_disk dflt 32M $T
truncate -s 48M $W/mine.img
write_ok $P/vdisk/vdisk "open mine $W/mine.img"
write_ok $P/scsi_tgt "add_group mine"
write_ok $P/groups/mine/devices "add mine 0"
write_ok $P/groups/mine/names "add $IN"
cat >$W/chap.conf <<CONF
Target $T
    IncomingUser joe secretsecret1
    IncomingUser bound secretsecret2 iqn.2026-12.org.scst:someone-else
    OutgoingUser tgt tgtsecret12345
CONF
: >$W/chap.deny
start_daemon 3260 $W/chap.conf $W/chap.deny
trap 'iscsiadm -m node --logout >/dev/null 2>&1; pkill iscsid; pkill -f iscsi-scstd' EXIT
iscsid || fail "iscsid does not start"
expect_ok quiet timeout 30 iscsiadm -m discovery -t sendtargets -p 127.0.0.1
node() { iscsiadm -m node -T $T -p 127.0.0.1 "$@"; }
set_auth() { expect_ok quiet node -o update -n "node.session.auth.$1" -v "$2"; }
try_login() { timeout 60 iscsiadm -m node -T $T -p 127.0.0.1 --login >/tmp/login.out 2>&1; }

# No CHAP, then a wrong secret: refused, with the daemon's log line.
try_login && fail "login without CHAP accepted"
set_auth authmethod CHAP
set_auth username joe
set_auth password wrongsecret12
try_login && fail "login with a wrong CHAP secret accepted"
[ "$(grep -c "login to $T refused: authentication failed (0201)" $W/3260.log)" -ge 2 ] ||
    fail "want two refused logins in the daemon's log: $(tail -5 $W/3260.log | tr '\n' '|')"

# The right secret; the session is in group "mine" and sees its disk.
set_auth password secretsecret1
try_login || fail "CHAP login: $(cat /tmp/login.out); daemon: $(tail -5 $W/3260.log | tr '\n' '|')"
expect_eq "group of the session" "$(awk -v i="$IN" '$2 == i {print $3}' $P/sessions)" "mine"
d=$(disk_of $T) && [ -n "$d" ] || fail "no disk for $T"
expect_eq "size of LUN 0 in group mine" "$(blockdev --getsize64 /dev/$d)" "$((48 << 20))"

# The initiator's name leaves "mine" while it is logged in: the target
# ends the session at once, and open-iscsi's new login is bound to
# Default_<target>.
write_ok $P/groups/mine/names "del $IN"
expect_log "session $IN on target $T: the initiator is no longer in group mine: its access is revoked and the session ended"
expect_log "session $IN \(.*\): access revoked by the target's configuration: connection closed"
for _ in $(seq 60); do
    [ "$(awk -v i="$IN" '$2 == i {print $3}' $P/sessions)" = "Default_$T" ] && break
    sleep 0.5
done
expect_eq "group of the session after the revocation" "$(awk -v i="$IN" '$2 == i {print $3}' $P/sessions)" "Default_$T"
expect_ok quiet node --logout

# Mutual CHAP: the target proves itself with the OutgoingUser; the session,
# its name no longer in "mine", lands in Default_<target>.
set_auth username_in tgt
set_auth password_in wrongtarget12
try_login && fail "the initiator accepted a target with the wrong secret"
set_auth password_in tgtsecret12345
try_login || fail "mutual CHAP login: $(cat /tmp/login.out)"
expect_eq "group of the session" "$(awk -v i="$IN" '$2 == i {print $3}' $P/sessions)" "Default_$T"
d=$(disk_of $T) && [ -n "$d" ] || fail "no disk for $T"
expect_eq "size of LUN 0 in Default_$T" "$(blockdev --getsize64 /dev/$d)" "$((32 << 20))"
expect_ok quiet node --logout

# A bound account with its right secret, from another initiator name:
# refused; bound (by iscsi-scst-adm) to this initiator's name: taken.
set_auth username bound
set_auth password secretsecret2
try_login && fail "login with an account bound to another initiator accepted"
grep -q "CHAP account bound is bound to initiator iqn.2026-12.org.scst:someone-else, not to $IN" $W/3260.log ||
    fail "no log line for the bound account: $(tail -5 $W/3260.log | tr '\n' '|')"
expect_ok quiet "$SCST_TOP/target/release/iscsi-scst-adm" --socket $W/3260.sock --op new --tid=1 --user \
    --params=IncomingUser=bound,Password=secretsecret2,InitiatorName=$IN
expect_eq "the bound account" "$("$SCST_TOP/target/release/iscsi-scst-adm" --socket $W/3260.sock --op show --tid=1 --user | grep bound)" \
    "IncomingUser bound (initiator $IN)"
try_login || fail "login with the account bound to this initiator: $(cat /tmp/login.out)"

# initiators.deny shuts this initiator out of the target while it is
# logged in: SIGHUP ends its session (and refuses its logins again).
expect_eq "sessions before the deny rule" "$(grep -c "initiator:$IN\$" $P/iscsi/session)" 1
echo "$T $IN" >$W/chap.deny
pkill -HUP -f "release/iscsi-scstd" || fail "no iscsi-scstd to send SIGHUP to"
for _ in $(seq 40); do
    [ "$(grep -c "initiator:$IN\$" $P/iscsi/session)" = 0 ] && break
    sleep 0.25
done
expect_eq "sessions after the deny rule and SIGHUP" "$(grep -c "initiator:$IN\$" $P/iscsi/session)" 0
grep -q "$IN (.*): no longer allowed to $T by the access files: session [0-9]* ended" $W/3260.log ||
    fail "no log line for the ended session: $(tail -5 $W/3260.log | tr '\n' '|')"
grep -q "SIGHUP: access rules in force; 1 session(s) no longer allowed were ended" $W/3260.log ||
    fail "no SIGHUP summary: $(tail -5 $W/3260.log | tr '\n' '|')"
sleep 3
expect_eq "sessions while denied (open-iscsi retries)" "$(grep -c "initiator:$IN\$" $P/iscsi/session)" 0
timeout 30 iscsiadm -m node -T $T -p 127.0.0.1 --logout >/dev/null 2>&1
expect_ok quiet node -o delete

stop_iscsi
write_ok $P/groups/mine/devices clear
write_ok $P/scsi_tgt "del_group mine"
write_ok $P/vdisk/vdisk "close mine"
unexport_disk dflt $T
unload scst_vdisk scst
exit 0
