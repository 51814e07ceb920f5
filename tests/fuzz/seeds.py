#!/usr/bin/env python3
"""Writes the hand-made seeds of tests/fuzz/corpus/<target>/seed-*: real
PDUs, CDBs, parameter lists, config files and /proc commands, mostly
taken from the unit tests and docs.  The committed corpus is these plus
what fuzzing found and `scripts/fuzz --minimize` kept; re-running this
only rewrites the seed-* files."""
import hashlib
import os
import struct
import sys

top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, name, data):
    d = os.path.join(top, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def bhs(op, flags, data_len=0, ahs_words=0, lun=b"\0" * 8, itt=1, w20=0, w24=1, w28=1, tail=b"\0" * 16, b2=0, b3=0):
    h = bytes([op, flags, b2, b3, ahs_words]) + data_len.to_bytes(3, "big") + lun
    h += struct.pack(">IIII", itt, w20, w24, w28) + tail
    assert len(h) == 48
    return h


def cdb16(*b):
    return bytes(b) + b"\0" * (16 - len(b))


def text(*items):
    return b"".join(i.encode() + b"\0" for i in items)


FIRST = ["InitiatorName=iqn.1993-08.org.debian:01:abc", "TargetName=iqn.2026-11.org.scst:disk", "SessionType=Normal"]
OPS = ["HeaderDigest=None", "DataDigest=None", "MaxRecvDataSegmentLength=65536", "InitialR2T=Yes",
       "ImmediateData=Yes", "MaxBurstLength=262144", "FirstBurstLength=65536", "DefaultTime2Wait=2",
       "DefaultTime2Retain=0", "MaxOutstandingR2T=1", "DataPDUInOrder=Yes", "DataSequenceInOrder=Yes",
       "ErrorRecoveryLevel=0", "IFMarker=No", "OFMarker=No", "MaxConnections=1", "X-com.example.foo=1"]
READ10 = cdb16(0x28, 0, 0, 0, 0, 0x10, 0, 0, 8, 0)

# iscsi_pdu: BHS + AHS + data.
put("iscsi_pdu", "read10", bhs(0x01, 0xc1, w20=4096, tail=READ10))
put("iscsi_pdu", "write16-immediate", bhs(0x01, 0xa1, data_len=16, w20=4096,
    tail=cdb16(0x8a, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 8)) + bytes(range(16)))
ext = bytes([0, 17, 1, 0]) + bytes(range(16))
put("iscsi_pdu", "extended-cdb", bhs(0x01, 0xc1, ahs_words=len(ext) // 4, w20=512, tail=cdb16(0x7f, 0, 0, 0, 0, 0, 0, 0x18)) + ext)
login = text(*FIRST, "AuthMethod=None")
put("iscsi_pdu", "login", bhs(0x43, 0x81, data_len=len(login), lun=b"\x80\0\0\0\0\1\0\0", w20=0) + login + b"\0" * (-len(login) % 4))
st = text("SendTargets=All")
put("iscsi_pdu", "text-sendtargets", bhs(0x04, 0x80, data_len=len(st), itt=2, w20=0xffffffff) + st + b"\0")
put("iscsi_pdu", "nop-out", bhs(0x40, 0x80, itt=3, w20=0xffffffff))
put("iscsi_pdu", "data-out", bhs(0x05, 0x80, data_len=8, w20=0x10, tail=b"\0" * 4 + b"\0\0\0\1" + b"\0\0\2\0" + b"\0" * 4) + b"A" * 8)
put("iscsi_pdu", "abort-task", bhs(0x42, 0x81, w20=7))
put("iscsi_pdu", "logout", bhs(0x46, 0x80))
put("iscsi_pdu", "snack", bhs(0x10, 0x80))
put("iscsi_pdu", "target-opcode", bhs(0x3f, 0x80))

# iscsi_text: data segments.
put("iscsi_text", "login", text(*FIRST, "AuthMethod=CHAP,None"))
put("iscsi_text", "operational", text(*OPS))
put("iscsi_text", "sendtargets", text("SendTargets=All"))
put("iscsi_text", "sendtargets-name", text("SendTargets=iqn.2026-11.org.scst:disk", "X-foo=bar"))
put("iscsi_text", "chap", text("CHAP_N=joe", "CHAP_R=0x7240f8775b00a675292ddd401ea3618f", "CHAP_I=7", "CHAP_C=0b3q2+7w=="))
put("iscsi_text", "numbers", text("MaxBurstLength=0x1000", "FirstBurstLength=18446744073709551615", "A=00000000000000000001"))
put("iscsi_text", "bad", b"=\0noequals\0" + b"K" * 64 + b"=v\0tail")

# iscsi_params: options byte + offers.
put("iscsi_params", "open-iscsi", b"\x06" + text(*OPS))
put("iscsi_params", "discovery", b"\x07" + text("MaxRecvDataSegmentLength=32768", "MaxBurstLength=512", "HeaderDigest=CRC32C,None"))
put("iscsi_params", "settings", b"\x0c" + text("Set.MaxBurstLength=65536", "Set.FirstBurstLength=1048576",
    "Set.HeaderDigest=CRC32C", "Set.QueuedCommands=2048", "Set.InitialR2T=Yes", "HeaderDigest=None,CRC32C",
    "FirstBurstLength=16777215", "MaxBurstLength=16777215", "ImmediateData=No"))
put("iscsi_params", "rejects", b"\x04" + text("MaxBurstLength=100", "InitialR2T=Maybe", "ErrorRecoveryLevel=2", "MaxBurstLength=512"))


# iscsi_login: env byte, then (flags, ctl, u16 length, text) per request.
def req(flags, t, ctl=0xc0):
    return bytes([flags, ctl]) + struct.pack(">H", len(t)) + t


right = hashlib.md5(bytes([0x40]) + b"secretsecret" + bytes(range(0x41, 0x51))).hexdigest()
put("iscsi_login", "no-auth", b"\0" + req(0x81, text(*FIRST, "AuthMethod=None")) + req(0x87, text(*OPS)))
put("iscsi_login", "straight", b"\0" + req(0x83, text(*FIRST)))
put("iscsi_login", "discovery", b"\0" + req(0x87, text("InitiatorName=iqn.x", "SessionType=Discovery", "MaxBurstLength=512")))
chap = [req(0x81, text(*FIRST, "AuthMethod=CHAP,None")), req(0x00, text("CHAP_A=7,5"))]
put("iscsi_login", "chap", b"\1" + b"".join(chap) + req(0x81, text("CHAP_N=joe", "CHAP_R=0x" + right)) + req(0x87, text(*OPS)))
put("iscsi_login", "chap-mutual", b"\5" + b"".join(chap) + req(0x81, text("CHAP_N=joe", "CHAP_R=0x" + right,
    "CHAP_I=1", "CHAP_C=0x0102030405060708")) + req(0x87, text("MaxRecvDataSegmentLength=8192")))
put("iscsi_login", "chap-bound", b"\x11" + b"".join(chap) + req(0x81, text("CHAP_N=joe", "CHAP_R=0x" + right)) + req(0x87, b""))
put("iscsi_login", "chap-wrong", b"\1" + b"".join(chap) + req(0x81, text("CHAP_N=joe", "CHAP_R=0x00112233445566778899aabbccddeeff")))
put("iscsi_login", "denied-small", b"\2" + req(0x81, text(*FIRST, "AuthMethod=None"), ctl=0))

# iscsi_chap: options byte + value.
for i, v in enumerate(["0x0123456789abcdef", "0bAQIDBA==", "0X1", "0b/+/+", "5,7", "0x" + right, "0b3q2+7w="]):
    put("iscsi_chap", str(i), bytes([i * 0x45 & 0xff]) + v.encode())

# iscsi_config: iscsi-scstd.conf and initiators.allow/deny.
put("iscsi_config", "example", """# discovery
IncomingUser joe secretsecret1
OutgoingUser jack secretsecret2
iSNSServer 192.168.1.16
iSNSAccessControl No

Target iqn.2001-04.com.example:storage.disk2.sys1.xyz
    IncomingUser jim othersecret12
    OutgoingUser james yetanothersecret
    Lun 0 Path=/dev/sdc,Type=fileio
    Alias Test \\
      Disk
    headerdigest CRC32C,None
    MaxConnections 1
    InitialR2T Yes
    ImmediateData No
    MaxRecvDataSegmentLength 8192
    MaxXmitDataSegmentLength 8192
    MaxBurstLength 262144
    FirstBurstLength 65536
    DefaultTime2Wait 2
    DefaultTime2Retain 20
    MaxOutstandingR2T 8
    DataPDUInOrder Yes
    DataSequenceInOrder Yes
    ErrorRecoveryLevel 0
    QueuedCommands 8
Target iqn.2001-04.com.example:second
""")
put("iscsi_config", "bound-users", "IncomingUser joe secretsecret1 iqn.1994-05.com.redhat:joe\nTarget iqn.t\n  IncomingUser any secretsecret2\n  IncomingUser x y eui.0123456789abcdef\n")
put("iscsi_config", "bad-burst", "Target iqn.a\n  FirstBurstLength 1048576\n  MaxBurstLength 65536\nTarget iqn.b\n")
put("iscsi_config", "allow", "# allowed\niqn.2026-11.org.scst:disk 10.1.0.0/16, iqn.1993-08.org.debian:01:good\nALL [fd00::]/8\n")
put("iscsi_config", "deny", "ALL ALL\niqn.2026-11.org.scst:disk 127.0.0.1, ::ffff:1.2.3.4, 0.0.0.0/0\n")


# isns: responses, and names for our own messages.
def isns_reply(function, xid, status, body):
    return struct.pack(">HHHHHH", 1, function | 0x8000, 4 + len(body), 0x4c00, xid, 0) + struct.pack(">I", status) + body


def attr(tag, value):
    value += b"\0" * (-len(value) % 4)
    return struct.pack(">II", tag, len(value)) + value


put("isns", "reg", isns_reply(1, 5, 0, attr(32, b"iqn.i\0") + attr(0, b"") + attr(6, struct.pack(">I", 900)) + attr(32, b"iqn.i\0")))
put("isns", "qry", isns_reply(2, 3, 0, attr(32, b"iqn.2026-11.org.scst:disk\0") + attr(0, b"") + attr(32, b"iqn.1993-08.org.debian:01:abc\0")))
put("isns", "error", isns_reply(4, 9, 8, b""))
put("isns", "truncated", isns_reply(1, 5, 0, attr(32, b"iqn.i\0"))[:-3])
put("isns", "names", "iqn.2026-12.org.scst:a\niqn.2026-12.org.scst:b\ndisk a")

# cdb: device type, block size selector, CDB.
cdbs = {
    "read10": (0, 0, READ10[:10]),
    "write16": (0, 1, cdb16(0x8a, 0x08, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0x80)),
    "read6": (0, 0, bytes([0x08, 0, 0, 0, 0, 0])),
    "inquiry": (0, 0, bytes([0x12, 1, 0x83, 0, 0xff, 0])),
    "mode-select6": (0, 0, bytes([0x15, 0x10, 0, 0, 24, 0])),
    "mode-select10": (0, 0, bytes([0x55, 0x10, 0, 0, 0, 0, 0, 0, 28, 0])),
    "write-same16": (0, 0, cdb16(0x93, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0)),
    "compare-and-write": (0, 1, cdb16(0x89, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 1)),
    "unmap": (0, 0, bytes([0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0])),
    "report-luns": (0, 0, bytes([0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0])),
    "read-capacity16": (0, 0, cdb16(0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32)),
    "report-opcodes": (0, 0, bytes([0xa3, 0x0c, 0x81, 0x28, 0, 0, 0, 0, 2, 0, 0, 0])),
    "verify10": (0, 0, bytes([0x2f, 0x02, 0, 0, 0, 0, 0, 0, 4, 0])),
    "tape-read6-fixed": (1, 0, bytes([0x08, 0x01, 0, 0, 4, 0])),
    "tape-read-position": (1, 0, bytes([0x34, 0x08, 0, 0, 0, 0, 0, 0, 32, 0])),
    "read-cd": (5, 4, bytes([0xbe, 0x04, 0, 0, 0, 0, 0, 0, 1, 0x10, 0, 0])),
    "security-in": (0, 0, bytes([0xa2, 0xef, 0, 0, 0x80, 0, 0, 0, 0, 2, 0, 0])),
    "format-unit": (0, 0, bytes([0x04, 0x10, 0, 0, 0, 0])),
    "pr-in": (0, 0, bytes([0x5e, 0x00, 0, 0, 0, 0, 0, 0x20, 0, 0])),
}
for name, (t, bs, c) in cdbs.items():
    put("cdb", name, bytes([t, bs]) + c)

# sense: options byte + sense or reply data.
put("sense", "fixed-invalid-field", b"\0" + bytes([0x70, 0, 5, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x24, 0, 0, 0xc0, 0, 2]))
put("sense", "fixed-info", b"\0" + bytes([0xf0, 0, 0x0e, 0, 0, 0x10, 0, 10, 0, 0, 0, 0, 0x1d, 0, 0, 0, 0, 0]))
put("sense", "descriptor", b"\0" + bytes([0x72, 5, 0x24, 0, 0, 0, 0, 20]) + bytes([0, 10, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34])
    + bytes([2, 6, 0, 0, 0xcf, 0, 4, 0]))
put("sense", "tape-ili", b"\x04" + bytes([0xf0, 0, 0x20, 0, 0, 0, 0x10, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))
put("sense", "read-capacity10", b"\0" + bytes([0, 0, 0x0f, 0xff, 0, 0, 2, 0]))
put("sense", "read-capacity16", b"\1" + bytes([0, 0, 0, 0, 0, 0, 0x0f, 0xff, 0, 0, 0x10, 0, 0, 0, 0, 0]))
put("sense", "mode-sense6", b"\0" + bytes([0x1b, 0, 0, 8, 0, 0, 0, 0, 0, 0, 2, 0]) + bytes([8, 0x12, 4] + [0] * 17))
put("sense", "mode-sense10-long", b"\2" + bytes([0, 0x2a, 0, 0, 1, 0, 0, 16]) + bytes(12) + bytes([0, 0, 0x10, 0]))

# proc_cmd: lines written to the /proc files.
put("proc_cmd", "scsi_tgt", "assign 0:0:1:0 dev_disk\nadd_group Foo\ndel_group Foo\n")
put("proc_cmd", "devices", "add vm_disk1 0 READ_ONLY\nadd 1:0:0:0 16383\ndel 4294967295:0:0:18446744073709551615\nclear\n")
put("proc_cmd", "names", "add iqn.1993-08.org.debian:01:abc\ndel 21:00:00:e0:8b:05:05:04\n")
put("proc_cmd", "trace", "all\nnone\ndefault\nvalue 0x1fffff\nadd mgmt\ndel minor\n")
put("proc_cmd", "threads", "4\n0x10\n0\n")
put("proc_cmd", "vdisk", "open disk1 /tmp/disk1.img 4096 WRITE_THROUGH NV_CACHE\nopen disk2 /dev/sdb BLOCKIO\nclose disk1\n")
put("proc_cmd", "vcdrom", "open cd1 /tmp/cd.iso\nopen cd2\nchange cd1 /tmp/other.iso\nchange cd1\n")

# vdisk_params: options byte, 16-byte CDB, parameter list.
caching = bytes([0x08, 0x12, 0x04]) + bytes(17)
put("vdisk_params", "mode-select6", bytes([0x06]) + cdb16(0x15, 0x10, 0, 0, 24) + bytes([0, 0, 0, 0]) + caching)
put("vdisk_params", "mode-select10-bd", bytes([0x0c]) + cdb16(0x55, 0x10, 0, 0, 0, 0, 0, 0, 36)
    + bytes([0, 0, 0, 0, 0, 0, 0, 8]) + bytes([0, 0, 0, 0, 0, 0, 2, 0]) + caching)
unmap = bytes([0, 38, 0, 32, 0, 0, 0, 0]) + struct.pack(">QII", 0, 8, 0) + struct.pack(">QII", 100, 2, 0)
put("vdisk_params", "unmap", bytes([0x00]) + cdb16(0x42, 0, 0, 0, 0, 0, 0, 0, 40) + unmap)
put("vdisk_params", "unmap-fail", bytes([0xc0]) + cdb16(0x42, 0, 0, 0, 0, 0, 0, 0, 40) + unmap)
put("vdisk_params", "caw", bytes([0x00]) + cdb16(0x89, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 1) + bytes(1024))
put("vdisk_params", "write-same10", bytes([0x02]) + cdb16(0x41, 0x08, 0, 0, 0, 0x10, 0, 0, 8, 0) + bytes(512))
put("vdisk_params", "write-same16-ndob", bytes([0x04]) + cdb16(0x93, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8))

# vdisk_cdb: options byte, CDB.
for name, c in {
    "inquiry": [0x12, 0, 0, 0, 96, 0], "vpd-80": [0x12, 1, 0x80, 0, 0xff, 0], "vpd-83": [0x12, 1, 0x83, 0, 0xff, 0],
    "vpd-b0": [0x12, 1, 0xb0, 0, 0xff, 0], "vpd-b2": [0x12, 1, 0xb2, 0, 0xff, 0], "vpd-00": [0x12, 1, 0, 0, 0xff, 0],
    "read-capacity10": [0x25] + [0] * 9, "read-capacity16": list(cdb16(0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32)),
    "mode-sense6": [0x1a, 0, 0x3f, 0, 0xff, 0], "mode-sense10-caching": [0x5a, 0, 0x08, 0, 0, 0, 0, 0x10, 0, 0],
    "report-opcodes": [0xa3, 0x0c, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0], "report-opcode-one": [0xa3, 0x0c, 0x81, 0x89, 0, 0, 0, 0, 1, 0, 0, 0],
    "read-toc": [0x43, 0, 0, 0, 0, 0, 0, 0, 64, 0], "read-toc-msf": [0x43, 2, 0, 0, 0, 0, 0, 0, 64, 0],
    "get-configuration": [0x46, 0, 0, 0, 0, 0, 0, 0, 64, 0], "event-status": [0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8, 0],
    "disc-information": [0x51, 0, 0, 0, 0, 0, 0, 0, 34, 0], "start-stop-eject": [0x1b, 0, 0, 0, 2, 0],
    "read10": list(READ10[:10]),
}.items():
    put("vdisk_cdb", name, bytes([0]) + bytes(c))

print("seeds written under", top, file=sys.stderr)
