# NOP-In pings (nop_in_interval=2): an open-iscsi session that stays idle
# for several intervals answers the pings and stays up; a raw initiator
# (a Python login that then never answers) is pinged once and its
# connection ended after the next interval, with the kernel log's reason.
. ./lib.sh
. ./iscsi-lib.sh
T=iqn.2026-11.org.scst:nop

expect_ok modprobe scst
expect_ok modprobe scst_vdisk
expect_ok modprobe iscsi-scst nop_in_interval=2
expect_eq "nop_in_interval" "$(cat /sys/module/iscsi_scst/parameters/nop_in_interval)" 2
export_disk nop 16M $T
echo "Target $T" >$W/nop.conf
start_daemon 3260 $W/nop.conf
trap 'iscsiadm -m node --logout >/dev/null 2>&1; pkill iscsid; pkill -f iscsi-scstd' EXIT
iscsid || fail "iscsid does not start"
login $T
d=$(disk_of $T) && [ -n "$d" ] || fail "no disk for $T"
sleep 7
dmesg | grep -q "to tid .* ends" && fail "a session ended while idle: $(dmesg | grep ends)"
expect_ok quiet dd if=/dev/$d of=/dev/null bs=64k count=16 iflag=direct
expect_ok quiet iscsiadm -m node -T $T -p 127.0.0.1 --logout

# A login by hand, then silence: one NOP-In ping (opcode 0x20, ITT
# 0xffffffff), then the target closes the connection.
cat >$W/silent.py <<'PY'
import socket, struct, sys, time
def pdu(flags, csg_nsg, itt, cmdsn, keys):
    data = b"".join(k.encode() + b"\0" for k in keys)
    hdr = bytearray(48)
    hdr[0] = 0x43
    hdr[1] = flags | csg_nsg
    hdr[5:8] = len(data).to_bytes(3, "big")
    hdr[8:14] = bytes([0x80, 0x12, 0x34, 0x56, 0x78, 0x9a])
    struct.pack_into(">I", hdr, 16, itt)
    struct.pack_into(">I", hdr, 24, cmdsn)
    return bytes(hdr) + data + b"\0" * (-len(data) % 4)
def recv_pdu(s):
    hdr = b""
    while len(hdr) < 48:
        b = s.recv(48 - len(hdr))
        if not b:
            return None
        hdr += b
    n = int.from_bytes(hdr[5:8], "big") + hdr[4] * 4
    n += -n % 4
    body = b""
    while len(body) < n:
        b = s.recv(n - len(body))
        if not b:
            return None
        body += b
    return hdr
s = socket.create_connection(("127.0.0.1", 3260))
s.sendall(pdu(0x80, (0 << 2) | 1, 1, 0, ["InitiatorName=iqn.2026-11.org.scst:silent", "SessionType=Normal", "TargetName=" + sys.argv[1], "AuthMethod=None"]))
r = recv_pdu(s)
assert r and r[0] & 0x3f == 0x23 and r[36:38] == b"\0\0", ("security stage", r)
s.sendall(pdu(0x80, (1 << 2) | 3, 2, 0, ["HeaderDigest=None", "DataDigest=None"]))
r = recv_pdu(s)
assert r and r[0] & 0x3f == 0x23 and r[36:38] == b"\0\0" and r[1] & 0x83 == 0x83, ("operational stage", r)
start, pings = time.time(), 0
while True:
    r = recv_pdu(s)
    if r is None:
        break
    if r[0] & 0x3f == 0x20 and r[16:20] == b"\xff\xff\xff\xff":
        pings += 1
print("pings %d closed after %.1f s" % (pings, time.time() - start))
PY
out=$(timeout 30 python3 $W/silent.py $T 2>&1) || fail "raw login: $out"
set -- $out
expect_eq "NOP-In pings to the silent initiator" "$2" 1
[ "${5%.*}" -ge 3 ] && [ "${5%.*}" -le 8 ] || fail "connection closed after $5 s, want about 4: $out"
expect_log "session iqn.2026-11.org.scst:silent .* ends: no answer to a NOP-In ping: the initiator is gone"

pkill iscsid
pkill -f iscsi-scstd
sleep 0.5
unload iscsi_scst
unexport_disk nop $T
unload scst_vdisk scst
exit 0
