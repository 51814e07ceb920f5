// SPDX-License-Identifier: GPL-2.0

//! The byte images of the blocks /dev/scst_user exchanges, built and read
//! field by field at the offsets of `abi.rs`: commands going out are
//! written into zeroed buffers (no padding byte of kernel memory reaches
//! user space), replies and descriptors coming in are read as plain
//! integers and checked here before the module acts on them.  `no_std`,
//! free of the `kernel` crate, host-tested.

use super::abi::*;
use core::mem::{offset_of, size_of};

/// Bytes of `scst_user_get_cmd`.
pub const GET_CMD_SIZE: usize = size_of::<scst_user_get_cmd>();
/// Bytes of `scst_user_reply_cmd`.
pub const REPLY_SIZE: usize = size_of::<scst_user_reply_cmd>();
/// Bytes of `scst_user_dev_desc`.
pub const DESC_SIZE: usize = size_of::<scst_user_dev_desc>();
/// Bytes of `scst_user_opt`.
pub const OPT_SIZE: usize = size_of::<scst_user_opt>();
/// Where a command's union starts in `scst_user_get_cmd` (and a reply's in
/// `scst_user_reply_cmd`).
pub const UNION_AT: usize = offset_of!(scst_user_get_cmd, u);
/// Where `u.preply` is in `scst_user_get_cmd`.
pub const PREPLY_AT: usize = UNION_AT;
/// Longest sense a reply may carry: what the core keeps
/// (SCST_SENSE_BUFFERSIZE).
pub const MAX_SENSE: usize = 96;
/// The licenses a program may declare: the module is GPL and serves it
/// kernel internals.
pub const LICENSES: &[&str] = &[
    "GPL",
    "GPL v2",
    "Dual BSD/GPL",
    "Dual MIT/GPL",
    "Dual MPL/GPL",
];

fn put(buf: &mut [u8], at: usize, v: &[u8]) {
    // The offsets are the struct's own, inside the buffer by
    // construction; an error would drop the field, not write elsewhere.
    if let Some(d) = buf.get_mut(at..at + v.len()) {
        d.copy_from_slice(v);
    }
}

fn get<const N: usize>(buf: &[u8], at: usize) -> [u8; N] {
    let mut v = [0u8; N];
    if let Some(s) = buf.get(at..at + N) {
        v.copy_from_slice(s);
    }
    v
}

fn u8_at(b: &[u8], at: usize) -> u8 {
    get::<1>(b, at)[0]
}
fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes(get(b, at))
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes(get(b, at))
}
fn i32_at(b: &[u8], at: usize) -> i32 {
    i32::from_ne_bytes(get(b, at))
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_ne_bytes(get(b, at))
}

/// A command's CDB as sent: at most [`SCST_MAX_CDB_SIZE`] bytes (longer
/// ones are fetched with GET_EXTENDED_CDB).
fn put_cdb(buf: &mut [u8], at: usize, len_at: usize, cdb: &[u8]) {
    let n = cdb.len().min(SCST_MAX_CDB_SIZE);
    put(buf, at, &cdb[..n]);
    put(
        buf,
        len_at,
        &(cdb.len().min(u16::MAX as usize) as u16).to_ne_bytes(),
    );
}

/// What the module hands a program: one `scst_user_get_cmd`'s union.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload<'a> {
    AttachSess {
        sess_h: u64,
        lun: u64,
        rd_only: bool,
        initiator: &'a [u8],
        target: &'a [u8],
    },
    DetachSess {
        sess_h: u64,
    },
    AllocMem {
        sess_h: u64,
        cdb: &'a [u8],
        alloc_len: i32,
        queue_type: u8,
        data_direction: u8,
        sn: u32,
    },
    Exec(Exec<'a>),
    OnFree {
        pbuf: u64,
        resp_data_len: i32,
        buffer_cached: bool,
        aborted: bool,
        status: u8,
        delivery_status: u8,
    },
    OnCachedMemFree {
        pbuf: u64,
    },
    TaskMgmt {
        done: bool,
        sess_h: u64,
        fn_: u32,
        cmd_h_to_abort: u32,
    },
}

/// An EXEC subcommand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exec<'a> {
    pub sess_h: u64,
    pub cdb: &'a [u8],
    pub lba: i64,
    pub data_len: i64,
    pub bufflen: i32,
    pub alloc_len: i32,
    pub pbuf: u64,
    pub queue_type: u8,
    pub data_direction: u8,
    pub timeout: i32,
    pub sn: u32,
}

impl Payload<'_> {
    /// The subcode (`SCST_USER_*`) the program dispatches on.
    pub fn subcode(&self) -> u32 {
        match self {
            Payload::AttachSess { .. } => SCST_USER_ATTACH_SESS,
            Payload::DetachSess { .. } => SCST_USER_DETACH_SESS,
            Payload::AllocMem { .. } => SCST_USER_ALLOC_MEM,
            Payload::Exec(_) => SCST_USER_EXEC,
            Payload::OnFree { .. } => SCST_USER_ON_FREE_CMD,
            Payload::OnCachedMemFree { .. } => SCST_USER_ON_CACHED_MEM_FREE,
            Payload::TaskMgmt { done: false, .. } => SCST_USER_TASK_MGMT_RECEIVED,
            Payload::TaskMgmt { done: true, .. } => SCST_USER_TASK_MGMT_DONE,
        }
    }

    /// Writes `scst_user_get_cmd` for handle `cmd_h` into `out` (which
    /// the caller zeroed) and returns how many bytes of it count: the
    /// header and this union member, as SCST copies.
    pub fn encode(&self, cmd_h: u32, out: &mut [u8; GET_CMD_SIZE]) -> usize {
        put(
            out,
            offset_of!(scst_user_get_cmd, cmd_h),
            &cmd_h.to_ne_bytes(),
        );
        put(
            out,
            offset_of!(scst_user_get_cmd, subcode),
            &self.subcode().to_ne_bytes(),
        );
        let u = UNION_AT;
        match *self {
            Payload::AttachSess {
                sess_h,
                lun,
                rd_only,
                initiator,
                target,
            } => {
                type S = scst_user_sess;
                put(out, u + offset_of!(S, sess_h), &sess_h.to_ne_bytes());
                put(out, u + offset_of!(S, lun), &lun.to_ne_bytes());
                put(out, u + offset_of!(S, rd_only), &[rd_only as u8]);
                // NUL-terminated, cut to fit.
                let max = SCST_MAX_EXTERNAL_NAME - 1;
                put(
                    out,
                    u + offset_of!(S, initiator_name),
                    &initiator[..initiator.len().min(max)],
                );
                put(
                    out,
                    u + offset_of!(S, target_name),
                    &target[..target.len().min(max)],
                );
                u + size_of::<S>()
            }
            Payload::DetachSess { sess_h } => {
                put(
                    out,
                    u + offset_of!(scst_user_sess, sess_h),
                    &sess_h.to_ne_bytes(),
                );
                u + size_of::<scst_user_sess>()
            }
            Payload::AllocMem {
                sess_h,
                cdb,
                alloc_len,
                queue_type,
                data_direction,
                sn,
            } => {
                type S = scst_user_scsi_cmd_alloc_mem;
                put(out, u + offset_of!(S, sess_h), &sess_h.to_ne_bytes());
                put_cdb(out, u + offset_of!(S, cdb), u + offset_of!(S, cdb_len), cdb);
                put(out, u + offset_of!(S, alloc_len), &alloc_len.to_ne_bytes());
                put(out, u + offset_of!(S, queue_type), &[queue_type]);
                put(out, u + offset_of!(S, data_direction), &[data_direction]);
                put(out, u + offset_of!(S, sn), &sn.to_ne_bytes());
                u + size_of::<S>()
            }
            Payload::Exec(e) => {
                type S = scst_user_scsi_cmd_exec;
                put(out, u + offset_of!(S, sess_h), &e.sess_h.to_ne_bytes());
                put_cdb(
                    out,
                    u + offset_of!(S, cdb),
                    u + offset_of!(S, cdb_len),
                    e.cdb,
                );
                put(out, u + offset_of!(S, lba), &e.lba.to_ne_bytes());
                put(out, u + offset_of!(S, data_len), &e.data_len.to_ne_bytes());
                put(out, u + offset_of!(S, bufflen), &e.bufflen.to_ne_bytes());
                put(
                    out,
                    u + offset_of!(S, alloc_len),
                    &e.alloc_len.to_ne_bytes(),
                );
                put(out, u + offset_of!(S, pbuf), &e.pbuf.to_ne_bytes());
                put(out, u + offset_of!(S, queue_type), &[e.queue_type]);
                put(out, u + offset_of!(S, data_direction), &[e.data_direction]);
                put(out, u + offset_of!(S, timeout), &e.timeout.to_ne_bytes());
                put(out, u + offset_of!(S, sn), &e.sn.to_ne_bytes());
                u + size_of::<S>()
            }
            Payload::OnFree {
                pbuf,
                resp_data_len,
                buffer_cached,
                aborted,
                status,
                delivery_status,
            } => {
                type S = scst_user_scsi_on_free_cmd;
                put(out, u + offset_of!(S, pbuf), &pbuf.to_ne_bytes());
                put(
                    out,
                    u + offset_of!(S, resp_data_len),
                    &resp_data_len.to_ne_bytes(),
                );
                put(
                    out,
                    u + offset_of!(S, buffer_cached),
                    &[buffer_cached as u8],
                );
                put(out, u + offset_of!(S, aborted), &[aborted as u8]);
                put(out, u + offset_of!(S, status), &[status]);
                put(out, u + offset_of!(S, delivery_status), &[delivery_status]);
                u + size_of::<S>()
            }
            Payload::OnCachedMemFree { pbuf } => {
                put(
                    out,
                    u + offset_of!(scst_user_on_cached_mem_free, pbuf),
                    &pbuf.to_ne_bytes(),
                );
                u + size_of::<scst_user_on_cached_mem_free>()
            }
            Payload::TaskMgmt {
                sess_h,
                fn_,
                cmd_h_to_abort,
                ..
            } => {
                type S = scst_user_tm;
                put(out, u + offset_of!(S, sess_h), &sess_h.to_ne_bytes());
                put(out, u + offset_of!(S, fn_), &fn_.to_ne_bytes());
                put(
                    out,
                    u + offset_of!(S, cmd_h_to_abort),
                    &cmd_h_to_abort.to_ne_bytes(),
                );
                u + size_of::<S>()
            }
        }
    }
}

/// The bytes of `b` up to its first NUL.
fn c_str(b: &[u8]) -> &[u8] {
    &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())]
}

impl<'a> Payload<'a> {
    /// Reads a `scst_user_get_cmd` (the program's side): its handle and
    /// what it asks, or `None` for an unknown subcode.
    pub fn decode(b: &'a [u8; GET_CMD_SIZE]) -> Option<(u32, Payload<'a>)> {
        let cmd_h = u32_at(b, offset_of!(scst_user_get_cmd, cmd_h));
        let sub = u32_at(b, offset_of!(scst_user_get_cmd, subcode));
        let u = UNION_AT;
        let cdb_of = |at: usize, len_at: usize| {
            let n = usize::from(u16_at(b, len_at)).min(SCST_MAX_CDB_SIZE);
            &b[at..at + n]
        };
        let p = match sub {
            SCST_USER_ATTACH_SESS => {
                type S = scst_user_sess;
                let name = |at: usize| c_str(&b[u + at..u + at + SCST_MAX_EXTERNAL_NAME]);
                Payload::AttachSess {
                    sess_h: u64_at(b, u + offset_of!(S, sess_h)),
                    lun: u64_at(b, u + offset_of!(S, lun)),
                    rd_only: u8_at(b, u + offset_of!(S, rd_only)) != 0,
                    initiator: name(offset_of!(S, initiator_name)),
                    target: name(offset_of!(S, target_name)),
                }
            }
            SCST_USER_DETACH_SESS => Payload::DetachSess {
                sess_h: u64_at(b, u + offset_of!(scst_user_sess, sess_h)),
            },
            SCST_USER_ALLOC_MEM => {
                type S = scst_user_scsi_cmd_alloc_mem;
                Payload::AllocMem {
                    sess_h: u64_at(b, u + offset_of!(S, sess_h)),
                    cdb: cdb_of(u + offset_of!(S, cdb), u + offset_of!(S, cdb_len)),
                    alloc_len: i32_at(b, u + offset_of!(S, alloc_len)),
                    queue_type: u8_at(b, u + offset_of!(S, queue_type)),
                    data_direction: u8_at(b, u + offset_of!(S, data_direction)),
                    sn: u32_at(b, u + offset_of!(S, sn)),
                }
            }
            SCST_USER_EXEC => {
                type S = scst_user_scsi_cmd_exec;
                Payload::Exec(Exec {
                    sess_h: u64_at(b, u + offset_of!(S, sess_h)),
                    cdb: cdb_of(u + offset_of!(S, cdb), u + offset_of!(S, cdb_len)),
                    lba: i64::from_ne_bytes(get(b, u + offset_of!(S, lba))),
                    data_len: i64::from_ne_bytes(get(b, u + offset_of!(S, data_len))),
                    bufflen: i32_at(b, u + offset_of!(S, bufflen)),
                    alloc_len: i32_at(b, u + offset_of!(S, alloc_len)),
                    pbuf: u64_at(b, u + offset_of!(S, pbuf)),
                    queue_type: u8_at(b, u + offset_of!(S, queue_type)),
                    data_direction: u8_at(b, u + offset_of!(S, data_direction)),
                    timeout: i32_at(b, u + offset_of!(S, timeout)),
                    sn: u32_at(b, u + offset_of!(S, sn)),
                })
            }
            SCST_USER_ON_FREE_CMD => {
                type S = scst_user_scsi_on_free_cmd;
                Payload::OnFree {
                    pbuf: u64_at(b, u + offset_of!(S, pbuf)),
                    resp_data_len: i32_at(b, u + offset_of!(S, resp_data_len)),
                    buffer_cached: u8_at(b, u + offset_of!(S, buffer_cached)) != 0,
                    aborted: u8_at(b, u + offset_of!(S, aborted)) != 0,
                    status: u8_at(b, u + offset_of!(S, status)),
                    delivery_status: u8_at(b, u + offset_of!(S, delivery_status)),
                }
            }
            SCST_USER_ON_CACHED_MEM_FREE => Payload::OnCachedMemFree {
                pbuf: u64_at(b, u + offset_of!(scst_user_on_cached_mem_free, pbuf)),
            },
            SCST_USER_TASK_MGMT_RECEIVED | SCST_USER_TASK_MGMT_DONE => {
                type S = scst_user_tm;
                Payload::TaskMgmt {
                    done: sub == SCST_USER_TASK_MGMT_DONE,
                    sess_h: u64_at(b, u + offset_of!(S, sess_h)),
                    fn_: u32_at(b, u + offset_of!(S, fn_)),
                    cmd_h_to_abort: u32_at(b, u + offset_of!(S, cmd_h_to_abort)),
                }
            }
            _ => return None,
        };
        Some((cmd_h, p))
    }
}

/// A program's answer (its side of `scst_user_reply_cmd`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `u.result`: ATTACH_SESS, DETACH_SESS, TASK_MGMT_*, and the
    /// data-less ON_FREE_CMD and ON_CACHED_MEM_FREE (0).
    Result(i32),
    /// ALLOC_MEM's buffer.
    Buffer(u64),
    Exec(ExecReply),
}

impl Answer {
    /// Writes the reply to command `cmd_h` of kind `subcode`.
    pub fn encode(&self, cmd_h: u32, subcode: u32) -> [u8; REPLY_SIZE] {
        let mut b = [0u8; REPLY_SIZE];
        put(
            &mut b,
            offset_of!(scst_user_reply_cmd, cmd_h),
            &cmd_h.to_ne_bytes(),
        );
        put(
            &mut b,
            offset_of!(scst_user_reply_cmd, subcode),
            &subcode.to_ne_bytes(),
        );
        let u = UNION_AT;
        match *self {
            Answer::Result(r) => put(&mut b, u, &r.to_ne_bytes()),
            Answer::Buffer(p) => put(&mut b, u, &p.to_ne_bytes()),
            Answer::Exec(e) => {
                type S = scst_user_scsi_cmd_reply_exec;
                let sense = u + offset_of!(S, u);
                put(
                    &mut b,
                    u + offset_of!(S, resp_data_len),
                    &e.resp_data_len.to_ne_bytes(),
                );
                put(&mut b, u + offset_of!(S, pbuf), &e.pbuf.to_ne_bytes());
                put(&mut b, u + offset_of!(S, reply_type), &[e.reply_type]);
                put(&mut b, u + offset_of!(S, status), &[e.status]);
                put(
                    &mut b,
                    sense + offset_of!(scst_user_sense, sense_len),
                    &[e.sense_len],
                );
                put(
                    &mut b,
                    sense + offset_of!(scst_user_sense, psense_buffer),
                    &e.psense_buffer.to_ne_bytes(),
                );
            }
        }
        b
    }
}

/// A program's `scst_user_reply_cmd`, as read from user space.
#[derive(Debug, Clone, Copy)]
pub struct Reply {
    pub cmd_h: u32,
    pub subcode: u32,
    bytes: [u8; REPLY_SIZE],
}

/// What an EXEC reply says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecReply {
    pub resp_data_len: i32,
    pub pbuf: u64,
    pub reply_type: u8,
    pub status: u8,
    pub sense_len: u8,
    pub psense_buffer: u64,
}

impl Reply {
    pub fn decode(bytes: [u8; REPLY_SIZE]) -> Self {
        Self {
            cmd_h: u32_at(&bytes, offset_of!(scst_user_reply_cmd, cmd_h)),
            subcode: u32_at(&bytes, offset_of!(scst_user_reply_cmd, subcode)),
            bytes,
        }
    }

    /// `u.result` (ATTACH_SESS, DETACH_SESS, TASK_MGMT_*).
    pub fn result(&self) -> i32 {
        i32_at(&self.bytes, UNION_AT)
    }

    /// `u.alloc_reply.pbuf` (ALLOC_MEM).
    pub fn alloc_pbuf(&self) -> u64 {
        u64_at(&self.bytes, UNION_AT)
    }

    /// `u.exec_reply` (EXEC).
    pub fn exec(&self) -> ExecReply {
        type S = scst_user_scsi_cmd_reply_exec;
        let u = UNION_AT;
        let sense = u + offset_of!(S, u);
        ExecReply {
            resp_data_len: i32_at(&self.bytes, u + offset_of!(S, resp_data_len)),
            pbuf: u64_at(&self.bytes, u + offset_of!(S, pbuf)),
            reply_type: u8_at(&self.bytes, u + offset_of!(S, reply_type)),
            status: u8_at(&self.bytes, u + offset_of!(S, status)),
            sense_len: u8_at(&self.bytes, sense + offset_of!(scst_user_sense, sense_len)),
            psense_buffer: u64_at(
                &self.bytes,
                sense + offset_of!(scst_user_sense, psense_buffer),
            ),
        }
    }
}

/// Why an EXEC reply is refused (the command then fails with an internal
/// target failure, and the ioctl with EINVAL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecReplyError {
    /// `reply_type` is not COMPLETED (BACKGROUND and DO_WRITE_SAME are
    /// not offered yet).
    ReplyType(u8),
    /// `resp_data_len` is negative, beyond the buffer, or set for a
    /// command that returns no data.
    RespLen(i32),
    /// Data to copy but no buffer to copy it from.
    NoBuffer,
    /// `sense_len` beyond what the core keeps.
    SenseLen(u8),
    /// Sense data announced with a null pointer.
    NoSense,
}

impl ExecReply {
    /// Checks the reply for a command with a `bufflen`-byte buffer that
    /// returns data (`data_in`) or not.  Returns the bytes to copy in.
    pub fn check(&self, bufflen: u32, data_in: bool) -> Result<u32, ExecReplyError> {
        if self.reply_type != SCST_EXEC_REPLY_COMPLETED {
            return Err(ExecReplyError::ReplyType(self.reply_type));
        }
        let len = u32::try_from(self.resp_data_len)
            .map_err(|_| ExecReplyError::RespLen(self.resp_data_len))?;
        if len > bufflen || (len != 0 && !data_in) {
            return Err(ExecReplyError::RespLen(self.resp_data_len));
        }
        if len != 0 && self.pbuf == 0 {
            return Err(ExecReplyError::NoBuffer);
        }
        if self.sense_len as usize > MAX_SENSE {
            return Err(ExecReplyError::SenseLen(self.sense_len));
        }
        if self.sense_len != 0 && self.psense_buffer == 0 {
            return Err(ExecReplyError::NoSense);
        }
        Ok(len)
    }
}

/// A registration request, as read from user space.
#[derive(Debug, Clone, Copy)]
pub struct DevDesc {
    pub version_str: u64,
    pub license_str: u64,
    pub type_: u8,
    pub opt: scst_user_opt,
    pub block_size: u32,
    pub name: [u8; SCST_MAX_NAME],
}

/// Why a registration or SET_OPTIONS is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DescError {
    /// A field holds a value out of its range; the field's name.
    Field(&'static str),
    /// The name is empty or not NUL-terminated within its field.
    Name,
    /// The block size is not a power of two from 512 to 1 MiB.
    BlockSize(u32),
}

impl DevDesc {
    pub fn decode(b: &[u8; DESC_SIZE]) -> Self {
        type D = scst_user_dev_desc;
        Self {
            version_str: u64_at(b, offset_of!(D, version_str)),
            license_str: u64_at(b, offset_of!(D, license_str)),
            type_: u8_at(b, offset_of!(D, type_)),
            opt: decode_opt(&get::<OPT_SIZE>(b, offset_of!(D, opt))),
            block_size: u32_at(b, offset_of!(D, block_size)),
            name: get(b, offset_of!(D, name)),
        }
    }

    /// Writes the block (the program's side).
    pub fn encode(&self) -> [u8; DESC_SIZE] {
        type D = scst_user_dev_desc;
        let mut b = [0u8; DESC_SIZE];
        put(
            &mut b,
            offset_of!(D, version_str),
            &self.version_str.to_ne_bytes(),
        );
        put(
            &mut b,
            offset_of!(D, license_str),
            &self.license_str.to_ne_bytes(),
        );
        put(&mut b, offset_of!(D, type_), &[self.type_]);
        put(&mut b, offset_of!(D, opt), &encode_opt(&self.opt));
        put(
            &mut b,
            offset_of!(D, block_size),
            &self.block_size.to_ne_bytes(),
        );
        put(&mut b, offset_of!(D, name), &self.name);
        b
    }

    /// The device name (without its NUL), if well-formed.
    pub fn name(&self) -> Result<&[u8], DescError> {
        let n = self
            .name
            .iter()
            .position(|&c| c == 0)
            .ok_or(DescError::Name)?;
        if n == 0 {
            return Err(DescError::Name);
        }
        Ok(&self.name[..n])
    }

    /// Checks everything but the strings (read from user space apart).
    pub fn check(&self) -> Result<(), DescError> {
        self.name()?;
        if self.type_ > 0x1e {
            return Err(DescError::Field("type"));
        }
        let bs = self.block_size;
        if !bs.is_power_of_two() || !(512..=1 << 20).contains(&bs) {
            return Err(DescError::BlockSize(bs));
        }
        check_opt(&self.opt)
    }
}

/// Reads `scst_user_opt`.
pub fn decode_opt(b: &[u8; OPT_SIZE]) -> scst_user_opt {
    type O = scst_user_opt;
    scst_user_opt {
        parse_type: u8_at(b, offset_of!(O, parse_type)),
        on_free_cmd_type: u8_at(b, offset_of!(O, on_free_cmd_type)),
        memory_reuse_type: u8_at(b, offset_of!(O, memory_reuse_type)),
        partial_transfers_type: u8_at(b, offset_of!(O, partial_transfers_type)),
        partial_len: i32_at(b, offset_of!(O, partial_len)),
        tst: u8_at(b, offset_of!(O, tst)),
        tmf_only: u8_at(b, offset_of!(O, tmf_only)),
        queue_alg: u8_at(b, offset_of!(O, queue_alg)),
        qerr: u8_at(b, offset_of!(O, qerr)),
        tas: u8_at(b, offset_of!(O, tas)),
        swp: u8_at(b, offset_of!(O, swp)),
        d_sense: u8_at(b, offset_of!(O, d_sense)),
        has_own_order_mgmt: u8_at(b, offset_of!(O, has_own_order_mgmt)),
        ext_copy_remap_supported: u8_at(b, offset_of!(O, ext_copy_remap_supported)),
    }
}

/// Writes `scst_user_opt` (GET_OPTIONS).
pub fn encode_opt(o: &scst_user_opt) -> [u8; OPT_SIZE] {
    type O = scst_user_opt;
    let mut b = [0u8; OPT_SIZE];
    let bytes: [(usize, u8); 13] = [
        (offset_of!(O, parse_type), o.parse_type),
        (offset_of!(O, on_free_cmd_type), o.on_free_cmd_type),
        (offset_of!(O, memory_reuse_type), o.memory_reuse_type),
        (
            offset_of!(O, partial_transfers_type),
            o.partial_transfers_type,
        ),
        (offset_of!(O, tst), o.tst),
        (offset_of!(O, tmf_only), o.tmf_only),
        (offset_of!(O, queue_alg), o.queue_alg),
        (offset_of!(O, qerr), o.qerr),
        (offset_of!(O, tas), o.tas),
        (offset_of!(O, swp), o.swp),
        (offset_of!(O, d_sense), o.d_sense),
        (offset_of!(O, has_own_order_mgmt), o.has_own_order_mgmt),
        (
            offset_of!(O, ext_copy_remap_supported),
            o.ext_copy_remap_supported,
        ),
    ];
    for (at, v) in bytes {
        put(&mut b, at, &[v]);
    }
    put(
        &mut b,
        offset_of!(O, partial_len),
        &o.partial_len.to_ne_bytes(),
    );
    b
}

/// Checks every option against its range (SCST's), naming the first
/// one out of it.
pub fn check_opt(o: &scst_user_opt) -> Result<(), DescError> {
    let checks: [(&'static str, bool); 12] = [
        ("parse_type", o.parse_type <= SCST_USER_MAX_PARSE_OPT),
        (
            "on_free_cmd_type",
            o.on_free_cmd_type <= SCST_USER_MAX_ON_FREE_CMD_OPT,
        ),
        (
            "memory_reuse_type",
            o.memory_reuse_type <= SCST_USER_MAX_MEM_REUSE_OPT,
        ),
        (
            "partial_transfers_type",
            o.partial_transfers_type <= SCST_USER_MAX_PARTIAL_TRANSFERS_OPT,
        ),
        ("tst", o.tst <= 1),
        ("tmf_only", o.tmf_only <= 1),
        ("queue_alg", o.queue_alg <= 1),
        ("qerr", matches!(o.qerr, 0 | 1 | 3)),
        ("tas", o.tas <= 1),
        ("swp", o.swp <= 1),
        ("d_sense", o.d_sense <= 1),
        (
            "has_own_order_mgmt/ext_copy_remap_supported",
            o.has_own_order_mgmt <= 1 && o.ext_copy_remap_supported <= 1,
        ),
    ];
    match checks.iter().find(|(_, ok)| !ok) {
        Some((name, _)) => Err(DescError::Field(name)),
        None => Ok(()),
    }
}

/// Reads `u.preply` of a `scst_user_get_cmd` header.
pub fn preply(head: &[u8; PREPLY_AT + 8]) -> u64 {
    u64_at(head, PREPLY_AT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opt() -> scst_user_opt {
        scst_user_opt {
            qerr: 0,
            ..Default::default()
        }
    }

    #[test]
    fn exec_is_encoded_at_c_offsets() {
        let mut out = [0u8; GET_CMD_SIZE];
        let cdb = [0x28u8, 0, 0, 0, 0, 8, 0, 0, 1, 0];
        let n = Payload::Exec(Exec {
            sess_h: 7,
            cdb: &cdb,
            lba: 8,
            data_len: 512,
            bufflen: 512,
            alloc_len: 512,
            pbuf: 0x1000,
            queue_type: 1,
            data_direction: 2,
            timeout: 60,
            sn: 3,
        })
        .encode(0x10005, &mut out);
        assert_eq!(n, 8 + size_of::<scst_user_scsi_cmd_exec>());
        assert_eq!(u32_at(&out, 0), 0x10005);
        assert_eq!(u32_at(&out, 4), SCST_USER_EXEC);
        // SCST's x86_64 offsets: lba at 32, alloc_len at 52, pbuf at 56
        // within the member.
        assert_eq!(u64_at(&out, 8 + 32), 8);
        assert_eq!(i32_at(&out, 8 + 52), 512);
        assert_eq!(u64_at(&out, 8 + 56), 0x1000);
        assert_eq!(&out[16..26], &cdb);
        assert_eq!(
            u16_at(&out, 8 + offset_of!(scst_user_scsi_cmd_exec, cdb_len)),
            10
        );
    }

    #[test]
    fn payloads_round_trip() {
        let cdb = [0x2au8, 0, 0, 0, 0, 1, 0, 0, 8, 0];
        let all = [
            Payload::AttachSess {
                sess_h: 3,
                lun: 5,
                rd_only: true,
                initiator: b"iqn.1994-05.com.example:x",
                target: b"",
            },
            Payload::DetachSess { sess_h: 3 },
            Payload::AllocMem {
                sess_h: 3,
                cdb: &cdb,
                alloc_len: 4096,
                queue_type: 1,
                data_direction: 1,
                sn: 9,
            },
            Payload::Exec(Exec {
                sess_h: 3,
                cdb: &cdb,
                lba: 1,
                data_len: 4096,
                bufflen: 4096,
                alloc_len: 0,
                pbuf: 0x7000,
                queue_type: 1,
                data_direction: 1,
                timeout: 60,
                sn: 9,
            }),
            Payload::OnFree {
                pbuf: 0x7000,
                resp_data_len: 0,
                buffer_cached: false,
                aborted: true,
                status: 2,
                delivery_status: 0,
            },
            Payload::OnCachedMemFree { pbuf: 0x8000 },
            Payload::TaskMgmt {
                done: true,
                sess_h: 3,
                fn_: 4,
                cmd_h_to_abort: 0,
            },
        ];
        for p in all {
            let mut out = [0u8; GET_CMD_SIZE];
            p.encode(0x20003, &mut out);
            assert_eq!(Payload::decode(&out), Some((0x20003, p)));
        }
    }

    #[test]
    fn answers_read_back() {
        let e = exec_reply(512, 0x1000, 18);
        let r = Reply::decode(Answer::Exec(e).encode(7, SCST_USER_EXEC));
        assert_eq!((r.cmd_h, r.subcode, r.exec()), (7, SCST_USER_EXEC, e));
        let r = Reply::decode(Answer::Buffer(0x3000).encode(8, SCST_USER_ALLOC_MEM));
        assert_eq!(r.alloc_pbuf(), 0x3000);
        let r = Reply::decode(Answer::Result(-5).encode(9, SCST_USER_ATTACH_SESS));
        assert_eq!(r.result(), -5);
    }

    #[test]
    fn long_cdb_is_cut_but_its_length_kept() {
        let mut out = [0u8; GET_CMD_SIZE];
        let cdb = [0xffu8; 32];
        Payload::AllocMem {
            sess_h: 1,
            cdb: &cdb,
            alloc_len: 4096,
            queue_type: 1,
            data_direction: 1,
            sn: 0,
        }
        .encode(1, &mut out);
        type S = scst_user_scsi_cmd_alloc_mem;
        assert_eq!(u16_at(&out, 8 + offset_of!(S, cdb_len)), 32);
        // The byte after the CDB field is not CDB.
        assert_ne!(out[8 + offset_of!(S, cdb) + 16], 0xff);
    }

    #[test]
    fn names_are_nul_terminated() {
        let mut out = [0xaau8; GET_CMD_SIZE];
        out.fill(0);
        let long = [b'i'; 400];
        Payload::AttachSess {
            sess_h: 1,
            lun: 0,
            rd_only: false,
            initiator: &long,
            target: b"t",
        }
        .encode(1, &mut out);
        let at = 8 + offset_of!(scst_user_sess, initiator_name);
        assert_eq!(out[at + 254], b'i');
        assert_eq!(out[at + 255], 0);
    }

    fn exec_reply(len: i32, pbuf: u64, sense_len: u8) -> ExecReply {
        ExecReply {
            resp_data_len: len,
            pbuf,
            reply_type: SCST_EXEC_REPLY_COMPLETED,
            status: 0,
            sense_len,
            psense_buffer: if sense_len != 0 { 0x2000 } else { 0 },
        }
    }

    #[test]
    fn exec_replies_are_checked() {
        assert_eq!(exec_reply(512, 0x1000, 0).check(512, true), Ok(512));
        assert_eq!(exec_reply(0, 0, 18).check(512, false), Ok(0));
        assert_eq!(
            exec_reply(513, 0x1000, 0).check(512, true),
            Err(ExecReplyError::RespLen(513))
        );
        assert_eq!(
            exec_reply(-1, 0x1000, 0).check(512, true),
            Err(ExecReplyError::RespLen(-1))
        );
        assert_eq!(
            exec_reply(512, 0x1000, 0).check(512, false),
            Err(ExecReplyError::RespLen(512))
        );
        assert_eq!(
            exec_reply(512, 0, 0).check(512, true),
            Err(ExecReplyError::NoBuffer)
        );
        assert_eq!(
            exec_reply(0, 0, 97).check(0, false),
            Err(ExecReplyError::SenseLen(97))
        );
        let mut r = exec_reply(0, 0, 0);
        r.sense_len = 18;
        assert_eq!(r.check(0, false), Err(ExecReplyError::NoSense));
        r = exec_reply(0, 0, 0);
        r.reply_type = SCST_EXEC_REPLY_BACKGROUND;
        assert_eq!(r.check(0, false), Err(ExecReplyError::ReplyType(0)));
    }

    #[test]
    fn reply_fields_round_trip() {
        let mut b = [0u8; REPLY_SIZE];
        put(&mut b, 0, &9u32.to_ne_bytes());
        put(&mut b, 4, &SCST_USER_EXEC.to_ne_bytes());
        // SCST's offsets in the exec reply: pbuf 8, reply_type 16,
        // status 17, sense_len 24, psense_buffer 32.
        put(&mut b, 8, &100i32.to_ne_bytes());
        put(&mut b, 8 + 8, &0x5000u64.to_ne_bytes());
        b[8 + 16] = 1;
        b[8 + 17] = 2;
        b[8 + 24] = 18;
        put(&mut b, 8 + 32, &0x6000u64.to_ne_bytes());
        let r = Reply::decode(b);
        assert_eq!((r.cmd_h, r.subcode), (9, SCST_USER_EXEC));
        assert_eq!(
            r.exec(),
            ExecReply {
                resp_data_len: 100,
                pbuf: 0x5000,
                reply_type: 1,
                status: 2,
                sense_len: 18,
                psense_buffer: 0x6000
            }
        );
    }

    #[test]
    fn descriptors_are_checked() {
        let mut b = [0u8; DESC_SIZE];
        type D = scst_user_dev_desc;
        put(&mut b, offset_of!(D, block_size), &4096u32.to_ne_bytes());
        put(&mut b, offset_of!(D, name), b"disk1\0");
        let d = DevDesc::decode(&b);
        assert_eq!(d.encode(), b);
        assert_eq!(d.check(), Ok(()));
        assert_eq!(d.name(), Ok(&b"disk1"[..]));
        let mut bad = d;
        bad.block_size = 1000;
        assert_eq!(bad.check(), Err(DescError::BlockSize(1000)));
        bad = d;
        bad.name = [b'x'; SCST_MAX_NAME];
        assert_eq!(bad.check(), Err(DescError::Name));
        bad = d;
        bad.opt.memory_reuse_type = 4;
        assert_eq!(bad.check(), Err(DescError::Field("memory_reuse_type")));
        bad = d;
        bad.opt.qerr = 2;
        assert_eq!(bad.check(), Err(DescError::Field("qerr")));
        assert_eq!(check_opt(&opt()), Ok(()));
    }

    #[test]
    fn options_round_trip() {
        let o = scst_user_opt {
            parse_type: 1,
            on_free_cmd_type: 1,
            memory_reuse_type: 3,
            partial_transfers_type: 2,
            partial_len: 77,
            tst: 1,
            tmf_only: 1,
            queue_alg: 1,
            qerr: 3,
            tas: 1,
            swp: 1,
            d_sense: 1,
            has_own_order_mgmt: 1,
            ext_copy_remap_supported: 1,
        };
        assert_eq!(decode_opt(&encode_opt(&o)), o);
    }
}
