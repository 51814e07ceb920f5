#!/usr/bin/env python3
"""A raw /dev/scst_user client for the hostile tests (VM 510).

  user_raw.py negative         every refused request gets its errno
  user_raw.py hang NAME        registers NAME, takes commands, never answers
  user_raw.py die NAME         registers NAME, takes one command, exits
  user_raw.py late NAME        as hang, then answers the first command
                               after the module timed it out

Blocks are packed at SCST 3.x's x86_64 offsets (handlers/user/scst_user.h).
"""
import ctypes
import errno
import fcntl
import os
import struct
import sys
import time

VERSION = b"scst-rs user interface 1"
REGISTER_DEVICE = 0x40A07501
UNREGISTER_DEVICE = 0x7502
GET_OPTIONS = 0x80147504
REPLY_AND_GET_CMD = 0xC2207505
REPLY_CMD = 0x40387506
EXEC = 0xC0687303
GET_CMD_SIZE = 544
REPLY_SIZE = 56

keep = []  # C strings whose addresses went into blocks


def cstr(b):
    s = ctypes.create_string_buffer(b)
    keep.append(s)
    return ctypes.addressof(s)


def desc(name, version=VERSION, license=b"GPL", block_size=512, qerr=0,
         parse_type=0, dev_type=0):
    b = bytearray(160)
    struct.pack_into("QQB", b, 0, cstr(version), cstr(license), dev_type)
    opt = struct.pack("BBBBiBBBBBBBBB", parse_type, 0, 3, 0, 0, 1, 0, 1, qerr, 0, 0, 0, 0, 0)
    b[28:28 + len(opt)] = opt
    struct.pack_into("I", b, 48, block_size)
    b[53:53 + len(name)] = name
    return b


def ioctl_errno(fd, req, arg):
    try:
        fcntl.ioctl(fd, req, arg)
        return 0
    except OSError as e:
        return e.errno


def opendev():
    return os.open("/dev/scst_user", os.O_RDWR)


def expect(what, got, want):
    if got != want:
        print(f"FAIL: {what}: errno {got} ({errno.errorcode.get(got, '?')}), "
              f"want {want} ({errno.errorcode.get(want, 'ok')})")
        sys.exit(1)
    print(f"ok: {what}")


def negative():
    fd = opendev()
    expect("fetch before registering", ioctl_errno(fd, REPLY_AND_GET_CMD, bytearray(GET_CMD_SIZE)),
           errno.ENODEV)
    expect("wrong version", ioctl_errno(fd, REGISTER_DEVICE, desc(b"neg", version=b"3.11.0-pre")),
           errno.EINVAL)
    expect("license", ioctl_errno(fd, REGISTER_DEVICE, desc(b"neg", license=b"Proprietary")),
           errno.EPERM)
    expect("block size 1000", ioctl_errno(fd, REGISTER_DEVICE, desc(b"neg", block_size=1000)),
           errno.EINVAL)
    expect("qerr 2", ioctl_errno(fd, REGISTER_DEVICE, desc(b"neg", qerr=2)), errno.EINVAL)
    expect("parse type CALL", ioctl_errno(fd, REGISTER_DEVICE, desc(b"neg", parse_type=1)),
           errno.EINVAL)
    expect("name without NUL", ioctl_errno(fd, REGISTER_DEVICE, desc(b"n" * 50)), errno.EINVAL)
    expect("version pointer unmapped",
           ioctl_errno(fd, REGISTER_DEVICE, struct.pack("Q", 8) + desc(b"neg")[8:]), errno.EFAULT)
    expect("register", ioctl_errno(fd, REGISTER_DEVICE, desc(b"neg")), 0)
    expect("register twice", ioctl_errno(fd, REGISTER_DEVICE, desc(b"neg2")), errno.EINVAL)
    fd2 = opendev()
    r = ioctl_errno(fd2, REGISTER_DEVICE, desc(b"neg"))
    if r == 0:
        print("FAIL: a second device named neg registered")
        sys.exit(1)
    print(f"ok: same name refused (errno {r})")
    os.close(fd2)
    bogus = bytearray(REPLY_SIZE)
    struct.pack_into("II", bogus, 0, 0x12345, EXEC)
    expect("reply with a bogus handle", ioctl_errno(fd, REPLY_CMD, bytes(bogus)), errno.EINVAL)
    get = bytearray(GET_CMD_SIZE)
    struct.pack_into("Q", get, 8, 16)  # preply pointing nowhere
    expect("reply pointer unmapped", ioctl_errno(fd, REPLY_AND_GET_CMD, get), errno.EFAULT)
    expect("unknown request", ioctl_errno(fd, 0xC0087599, bytearray(8)), errno.EINVAL)
    opts = bytearray(20)
    expect("get options", ioctl_errno(fd, GET_OPTIONS, opts), 0)
    expect("options read back (memory_reuse ALL)", opts[2], 3)
    fl = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, fl | os.O_NONBLOCK)
    expect("non-blocking fetch with nothing queued",
           ioctl_errno(fd, REPLY_AND_GET_CMD, bytearray(GET_CMD_SIZE)), errno.EAGAIN)
    os.close(fd)
    print("negative: all refused as expected")


def register(name):
    fd = opendev()
    fcntl.ioctl(fd, REGISTER_DEVICE, desc(name.encode()))
    print(f"registered {name}", flush=True)
    return fd


def fetch(fd):
    b = bytearray(GET_CMD_SIZE)
    fcntl.ioctl(fd, REPLY_AND_GET_CMD, b)
    return struct.unpack_from("II", b, 0)


def hang(name, late=False):
    fd = register(name)
    first = None
    start = time.time()
    while True:
        h, sub = fetch(fd)
        print(f"got {h:#x} {sub:#x}", flush=True)
        if sub == EXEC and first is None:
            first = h
        if late and first is not None and time.time() - start > 0:
            # Wait past the module's deadline, then answer: refused.
            time.sleep(float(os.environ.get("LATE_AFTER", "6")))
            r = bytearray(REPLY_SIZE)
            struct.pack_into("IIiQBB", r, 0, first, EXEC, 0, 0, 1, 0)
            e = ioctl_errno(fd, REPLY_CMD, bytes(r))
            print(f"late reply: errno {e}", flush=True)
            sys.exit(0 if e == errno.EINVAL else 1)


def die(name):
    fd = register(name)
    while True:
        h, sub = fetch(fd)
        print(f"got {h:#x} {sub:#x}", flush=True)
        if sub == EXEC:
            os._exit(0)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "negative":
        negative()
    elif cmd == "hang":
        hang(sys.argv[2])
    elif cmd == "late":
        hang(sys.argv[2], late=True)
    elif cmd == "die":
        die(sys.argv[2])
    else:
        sys.exit(f"unknown command {cmd}")
