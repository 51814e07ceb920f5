// SPDX-License-Identifier: GPL-2.0

//! Executing a command on a virtual disk.
//!
//! Everything but BLOCKIO's READ and WRITE runs synchronously in `exec`,
//! on an SCST thread (process context).  BLOCKIO READ/WRITE submit bios
//! and return NOT_COMPLETED; the last bio's completion finishes the
//! command from interrupt context.  A FILEIO READ may come from a
//! submitter (scst_local's queue): it reads there if that waits for no I/O
//! and else returns NEED_THREAD to be called again from a thread.

use crate::commands::{self, Kind};
use crate::dev::{Backing, Medium, VDev, Write};
use crate::mmc;
use crate::scsi::{self, byte, Sense};
use crate::scst_rs::api::{
    cmd::{Cmd, Context, Direction},
    handler::{self, Exec},
};
use crate::scst_rs::blockio::{CmdData, Completion};
use crate::scst_rs::scsi::op;
use core::sync::atomic::Ordering;
use kernel::prelude::*;

/// Executes `c` on `dev` (the handler's `exec`).
pub(crate) fn exec(mut c: Cmd, dev: &VDev) -> Exec {
    let m = dev.medium();
    // A copy: the command's buffer is borrowed mutably while it is read.
    let mut cdb = [0u8; 16];
    let n = crate::scst_rs::vec::copy_prefix(&mut cdb, c.cdb());
    let cdb = cdb.get(..n).unwrap_or(&[]);
    let r = match dev.kind {
        Kind::Disk => run(&mut c, dev, &m, cdb),
        Kind::Cdrom => run_cdrom(&mut c, dev, &m, cdb),
    };
    match r {
        Ok(Done::Now) => Exec::Done(c),
        Ok(Done::Submit(bio)) => submit(c, dev, &m, bio),
        Ok(Done::Thread) => Exec::NeedThread(c),
        Err(s) => {
            c.fail(s);
            Exec::Done(c)
        }
    }
}

/// How a command finished in `exec`.
pub(crate) enum Done {
    Now,
    /// A BLOCKIO transfer, which `exec` submits with the command: the
    /// completion of its bios finishes it.
    Submit(Bio),
    /// Nothing done: the command would wait, and is executed again from a
    /// thread (only outside one: a READ tried in a submitter).
    Thread,
}

/// A BLOCKIO READ or WRITE of a command's data.
pub(crate) struct Bio {
    data: CmdData,
    pos: u64,
    write: bool,
    fua: bool,
    /// A write to the device's cache, counted (`VDev::start_write`) until
    /// its bios complete.
    cached: bool,
}

/// The BLOCKIO transfer of `data` at `pos`; for a write, `w` from
/// `VDev::start_write`, which the bios carry on.
fn bio(data: CmdData, pos: u64, w: Option<Write<'_>>) -> Done {
    if matches!(data, CmdData::Buffer(0)) {
        return Done::Now;
    }
    let (write, fua, cached) = match w {
        None => (false, false, false),
        Some(w) if w.durable() => (true, true, false),
        Some(w) => {
            // Counted until `CachedWriteDone` (or a failed submission).
            w.hand_to_bios();
            (true, false, true)
        }
    };
    Done::Submit(Bio {
        data,
        pos,
        write,
        fua,
        cached,
    })
}

/// Submits `bio` with `c`, which its completion finishes.
fn submit(c: Cmd, dev: &VDev, m: &Medium, bio: Bio) -> Exec {
    let r = match &m.backing {
        Backing::Block { dev: b, .. } if bio.cached => {
            b.submit_cmd::<CachedWriteDone>(c, bio.data, bio.pos, bio.write, bio.fua)
        }
        Backing::Block { dev: b, .. } => {
            b.submit_cmd::<BioDone>(c, bio.data, bio.pos, bio.write, bio.fua)
        }
        // `Bio`s are made for BLOCKIO only.
        _ => Err((c, EINVAL)),
    };
    let Err((c, e)) = r else {
        return Exec::Later;
    };
    pr_err!(
        "BLOCKIO {} at byte {} not submitted: error {}\n",
        if bio.write { "write" } else { "read" },
        bio.pos,
        e.to_errno()
    );
    if bio.cached {
        dev.cached_write_done();
    }
    c.fail(Sense::INTERNAL_TARGET_FAILURE);
    Exec::Done(c)
}

fn reply(
    c: &mut Cmd,
    alloc: u64,
    build: impl FnOnce(&mut [u8]) -> Result<usize, Sense>,
) -> Result<Done, Sense> {
    let buf = c.buffer();
    // The response cut to the allocation length; the core cuts it to the
    // buffer, which may hold less (the initiator takes less), and keeps
    // the length for the residual.
    let n = build(buf)?.min(usize::try_from(alloc).unwrap_or(usize::MAX));
    c.set_resp_len(u32::try_from(n).unwrap_or(u32::MAX));
    Ok(Done::Now)
}

/// The commands that change the medium (refused on a read-only device).
fn writes_medium(opcode: u8) -> bool {
    use op::*;
    is_write(opcode)
        || matches!(
            opcode,
            WRITE_AND_VERIFY_10
                | WRITE_AND_VERIFY_12
                | WRITE_AND_VERIFY_16
                | WRITE_SAME_10
                | WRITE_SAME_16
                | UNMAP
                | COMPARE_AND_WRITE
        )
}

fn run(c: &mut Cmd, dev: &VDev, m: &Medium, cdb: &[u8]) -> Result<Done, Sense> {
    let opcode = byte(cdb, 0);
    let no_medium = matches!(m.backing, Backing::NoMedium);
    // Commands that work without a medium.
    match opcode {
        op::INQUIRY => {
            return reply(c, scsi::be(cdb, 3, 2), |b| {
                scsi::inquiry(cdb, &dev.describe(m), ptype(dev), b)
            })
        }
        op::REQUEST_SENSE => return reply(c, scsi::be(cdb, 4, 1), |b| Ok(scsi::request_sense(b))),
        op::MAINTENANCE_IN => {
            return reply(c, scsi::be(cdb, 6, 4), |b| {
                scsi::report_opcodes(cdb, scsi::DISK_OPCODES, b)
            })
        }
        op::PREVENT_ALLOW_MEDIUM_REMOVAL => return prevent_allow(c, dev, cdb),
        _ => {}
    }
    if no_medium {
        return Err(Sense::MEDIUM_NOT_PRESENT);
    }
    if writes_medium(opcode) && (dev.has(commands::READ_ONLY) || dev.kind == Kind::Cdrom) {
        return Err(Sense::WRITE_PROTECTED);
    }
    if scsi::protection_requested(cdb) {
        // No protection information: RDPROTECT/WRPROTECT/VRPROTECT must
        // be zero (SBC-3 5.x).
        return Err(Sense::INVALID_FIELD_IN_CDB);
    }
    // The data path first: it needs no description of the device.
    match opcode {
        op::READ_6 | op::READ_10 | op::READ_12 | op::READ_16 => return read(c, dev, m, cdb),
        op::WRITE_6 | op::WRITE_10 | op::WRITE_12 | op::WRITE_16 => return write(c, dev, m, cdb),
        op::WRITE_AND_VERIFY_10 | op::WRITE_AND_VERIFY_12 | op::WRITE_AND_VERIFY_16 => {
            return write_and_verify(c, dev, m, cdb)
        }
        op::VERIFY_10 | op::VERIFY_12 | op::VERIFY_16 => return verify(c, dev, m, cdb),
        op::WRITE_SAME_10 | op::WRITE_SAME_16 => return crate::io::write_same(c, dev, m, cdb),
        op::UNMAP => return crate::io::unmap(c, dev, m, cdb),
        op::COMPARE_AND_WRITE => return crate::io::compare_and_write(c, dev, m, cdb),
        op::SYNCHRONIZE_CACHE_10 | op::SYNCHRONIZE_CACHE_16 => return sync_cache(dev, m, cdb),
        _ => {}
    }
    let mut d = dev.describe(m);
    // A READ_ONLY LUN shows as write-protected (the core refuses writes).
    d.read_only |= c.lun_read_only();
    match opcode {
        op::TEST_UNIT_READY | op::START_STOP_UNIT | op::SEEK_10 => Ok(Done::Now),
        op::PRE_FETCH_10 | op::PRE_FETCH_16 => {
            let e = scsi::extent(cdb).ok_or(Sense::INVALID_OPCODE)?;
            scsi::check_prefetch(e, m.blocks).map(|()| Done::Now)
        }
        op::READ_CAPACITY_10 => reply(c, 8, |b| scsi::read_capacity(cdb, &d, false, b)),
        op::SERVICE_ACTION_IN_16 if byte(cdb, 1) & 0x1f == op::SA_READ_CAPACITY_16 => {
            reply(c, scsi::be(cdb, 10, 4), |b| {
                scsi::read_capacity(cdb, &d, true, b)
            })
        }
        op::MODE_SENSE_6 => reply(c, scsi::be(cdb, 4, 1), |b| {
            scsi::mode_sense(cdb, &d, false, b)
        }),
        op::MODE_SENSE_10 => reply(c, scsi::be(cdb, 7, 2), |b| {
            scsi::mode_sense(cdb, &d, true, b)
        }),
        op::MODE_SELECT_6 | op::MODE_SELECT_10 => mode_select(c, dev, &d, cdb),
        _ => Err(Sense::INVALID_OPCODE),
    }
}

/// PREVENT ALLOW MEDIUM REMOVAL, for the command's I_T nexus.
fn prevent_allow(c: &Cmd, dev: &VDev, cdb: &[u8]) -> Result<Done, Sense> {
    let nexus = c.tgt_dev_priv() as usize;
    if nexus == 0 {
        // The LUN left the session's group meanwhile.
        return Err(Sense::LUN_NOT_SUPPORTED);
    }
    match dev.set_prevent(nexus, byte(cdb, 4) & 0x01 != 0) {
        Ok(()) => Ok(Done::Now),
        Err(_) => Err(Sense::INSUFFICIENT_RESOURCES),
    }
}

/// A vcdrom's commands: MMC on top of the disk's reads.
fn run_cdrom(c: &mut Cmd, dev: &VDev, m: &Medium, cdb: &[u8]) -> Result<Done, Sense> {
    let present = !matches!(m.backing, Backing::NoMedium);
    let disc = mmc::Disc {
        blocks: present.then_some(m.blocks),
        new_medium: dev.new_medium.load(Ordering::Relaxed),
        prevented: dev.prevented(),
    };
    match byte(cdb, 0) {
        op::INQUIRY => reply(c, scsi::be(cdb, 3, 2), |b| {
            scsi::inquiry(cdb, &dev.describe(m), 5, b)
        }),
        op::REQUEST_SENSE => reply(c, scsi::be(cdb, 4, 1), |b| Ok(scsi::request_sense(b))),
        op::MAINTENANCE_IN => reply(c, scsi::be(cdb, 6, 4), |b| {
            scsi::report_opcodes(cdb, mmc::CDROM_OPCODES, b)
        }),
        op::PREVENT_ALLOW_MEDIUM_REMOVAL => prevent_allow(c, dev, cdb),
        op::GET_CONFIGURATION => reply(c, scsi::be(cdb, 7, 2), |b| {
            mmc::get_configuration(cdb, &disc, b)
        }),
        op::GET_EVENT_STATUS_NOTIFICATION => {
            let mut reported = false;
            let r = reply(c, scsi::be(cdb, 7, 2), |b| {
                let (n, rep) = mmc::event_status(cdb, &disc, b)?;
                reported = rep;
                Ok(n)
            });
            if reported {
                dev.new_medium.store(false, Ordering::Relaxed);
            }
            r
        }
        op::MODE_SENSE_6 => reply(c, scsi::be(cdb, 4, 1), |b| {
            mmc::mode_sense(cdb, &disc, false, b)
        }),
        op::MODE_SENSE_10 => reply(c, scsi::be(cdb, 7, 2), |b| {
            mmc::mode_sense(cdb, &disc, true, b)
        }),
        op::START_STOP_UNIT => match mmc::start_stop(cdb, &disc)? {
            mmc::Tray::Eject => {
                dev.change(None)
                    .map_err(|_| Sense::INTERNAL_TARGET_FAILURE)?;
                Ok(Done::Now)
            }
            mmc::Tray::Load if !present => Err(Sense::MEDIUM_NOT_PRESENT),
            _ => Ok(Done::Now),
        },
        _ if !present => Err(Sense::MEDIUM_NOT_PRESENT),
        op::TEST_UNIT_READY | op::SET_CD_SPEED => Ok(Done::Now),
        op::READ_CAPACITY_10 => reply(c, 8, |b| {
            scsi::read_capacity(cdb, &dev.describe(m), false, b)
        }),
        op::READ_TOC => reply(c, scsi::be(cdb, 7, 2), |b| mmc::read_toc(cdb, m.blocks, b)),
        op::READ_DISC_INFORMATION => {
            reply(c, scsi::be(cdb, 7, 2), |b| mmc::disc_information(cdb, b))
        }
        op::READ_10 | op::READ_12 => read(c, dev, m, cdb),
        _ => Err(Sense::INVALID_OPCODE),
    }
}

fn ptype(dev: &VDev) -> u8 {
    match dev.kind {
        Kind::Disk => 0,
        Kind::Cdrom => 5,
    }
}

fn mode_select(c: &mut Cmd, dev: &VDev, d: &scsi::Disk<'_>, cdb: &[u8]) -> Result<Done, Sense> {
    let ten = byte(cdb, 0) == op::MODE_SELECT_10;
    let wce = scsi::mode_select(cdb, d, ten, c.buffer())?;
    let _serialized = dev.cache_mode.lock();
    if dev.wce.swap(wce, Ordering::SeqCst) != wce {
        // Going write-through: what the cache holds goes to the medium
        // now, including the writes that saw the cache on and are still
        // on their way to it.
        if !wce {
            dev.wait_cached_writes();
            crate::io::flush(dev, &dev.medium())?;
        }
        c.mode_params_changed();
    }
    Ok(Done::Now)
}

/// The checked byte range of a block command.
pub(crate) fn range(dev: &VDev, m: &Medium, cdb: &[u8]) -> Result<(u64, u64, bool), Sense> {
    let e = scsi::extent(cdb).ok_or(Sense::INVALID_OPCODE)?;
    scsi::check_range(e, m.blocks)?;
    let bs = u64::from(dev.block_size);
    Ok((e.lba * bs, e.blocks * bs, e.fua))
}

fn sync_cache(dev: &VDev, m: &Medium, cdb: &[u8]) -> Result<Done, Sense> {
    if dev.has(commands::NV_CACHE) {
        crate::io::writeback_errors(dev, m)?;
        return Ok(Done::Now);
    }
    let (lba, n) = if byte(cdb, 0) == op::SYNCHRONIZE_CACHE_10 {
        (scsi::be(cdb, 2, 4), scsi::be(cdb, 7, 2))
    } else {
        (scsi::be(cdb, 2, 8), scsi::be(cdb, 10, 4))
    };
    if lba > m.blocks
        || (n > 0
            && scsi::check_range(
                scsi::Extent {
                    lba,
                    blocks: n,
                    fua: false,
                },
                m.blocks,
            )
            .is_err())
    {
        return Err(Sense::LBA_OUT_OF_RANGE);
    }
    let bs = u64::from(dev.block_size);
    let end = if n == 0 { u64::MAX } else { (lba + n) * bs - 1 };
    crate::io::sync_range(dev, m, lba * bs, end)?;
    Ok(Done::Now)
}

/// READ and WRITE 6/10/12/16: the commands that can move their data in a
/// driver's scatterlist (`Cmd::tgt_sg`) instead of the core's buffer.
pub(crate) fn takes_tgt_sg(op: u8) -> bool {
    is_read(op) || is_write(op)
}

use op::{is_read, is_write};

/// Whether `exec` runs where it must not wait for I/O (a submitter).
fn in_submitter(c: &Cmd) -> bool {
    c.context() != Context::Direct
}

/// The largest FILEIO READ a submitter does itself: a larger one goes to a
/// thread, where its copy runs beside the submitter's next commands (reads
/// of a file run in parallel).  Not for WRITEs, which serialize on the
/// file's inode lock anyway: a thread only adds its context switches.
const SUBMIT_READ_MAX: usize = 128 * 1024;

fn read(c: &mut Cmd, dev: &VDev, m: &Medium, cdb: &[u8]) -> Result<Done, Sense> {
    let (pos, len, _) = range(dev, m, cdb)?;
    if c.uses_tgt_sg() {
        return read_sg(c, dev, m, pos, len);
    }
    if in_submitter(c) && matches!(m.backing, Backing::File(_)) {
        return Ok(Done::Thread);
    }
    // The whole read is the response, for the residual; the buffer holds
    // what the initiator takes of it (the core cut it), and only that is
    // read.
    let full = u32::try_from(len).unwrap_or(u32::MAX);
    let buf = c.buffer();
    let len = (len as usize).min(buf.len());
    match &m.backing {
        Backing::Null => {}
        Backing::File(f) => {
            let dst = buf.get_mut(..len).unwrap_or(&mut []);
            f.read_at(dst, pos)
                .map_err(|e| crate::io::failed(dev, "read", pos, e, false))?
        }
        Backing::Block { .. } => {
            c.set_resp_len(full);
            return Ok(bio(CmdData::Buffer(len), pos, None));
        }
        Backing::NoMedium => return Err(Sense::MEDIUM_NOT_PRESENT),
    }
    c.set_resp_len(full);
    Ok(Done::Now)
}

/// READ into the driver's scatterlist, which holds exactly the `len`
/// bytes the CDB asks for (the core checked).
fn read_sg(c: &mut Cmd, dev: &VDev, m: &Medium, pos: u64, len: u64) -> Result<Done, Sense> {
    c.set_resp_len(u32::try_from(len).unwrap_or(u32::MAX));
    let submitter = in_submitter(c);
    let Some(sg) = c.tgt_sg() else {
        return Err(Sense::INTERNAL_TARGET_FAILURE);
    };
    match &m.backing {
        Backing::Null => Ok(Done::Now),
        // From a submitter only if that waits for no I/O; a failure is
        // left to the thread, which reports it.
        Backing::File(_) if submitter && sg.len() > SUBMIT_READ_MAX => Ok(Done::Thread),
        Backing::File(f) if submitter => match f.rw_sg_nowait(&sg, pos, false) {
            Ok(true) => Ok(Done::Now),
            Ok(false) | Err(_) => Ok(Done::Thread),
        },
        Backing::File(f) => {
            f.rw_sg(&sg, pos, false)
                .map_err(|e| crate::io::failed(dev, "read", pos, e, false))?;
            Ok(Done::Now)
        }
        Backing::Block { .. } => Ok(bio(CmdData::TgtSg, pos, None)),
        Backing::NoMedium => Err(Sense::MEDIUM_NOT_PRESENT),
    }
}

/// WRITE from the driver's scatterlist (exactly the CDB's bytes).
fn write_sg(c: &mut Cmd, dev: &VDev, m: &Medium, pos: u64, w: Write<'_>) -> Result<Done, Sense> {
    let submitter = in_submitter(c);
    let durable = w.durable();
    let Some(sg) = c.tgt_sg() else {
        return Err(Sense::INTERNAL_TARGET_FAILURE);
    };
    let len = sg.len() as u64;
    match &m.backing {
        Backing::Block { .. } => Ok(bio(CmdData::TgtSg, pos, Some(w))),
        // As a read in `read_sg`; a durable write waits for its I/O.  A
        // thread writes all of it again after a partial write: the same
        // data, and nothing was acknowledged.
        Backing::File(f) if submitter => {
            let done = !durable && f.rw_sg_nowait(&sg, pos, true).unwrap_or(false);
            Ok(if done { Done::Now } else { Done::Thread })
        }
        Backing::File(f) => {
            f.rw_sg(&sg, pos, true)
                .map_err(|e| crate::io::failed(dev, "write", pos, e, true))?;
            if durable && len > 0 {
                crate::io::sync_range(dev, m, pos, pos + len - 1)?;
            }
            Ok(Done::Now)
        }
        Backing::Null => Ok(Done::Now),
        Backing::NoMedium => Err(Sense::MEDIUM_NOT_PRESENT),
    }
}

/// The bytes of a `len`-byte write the buffer holds, in whole blocks: an
/// initiator may send less than the CDB says, and the core then gives a
/// shorter buffer (only what came is written; the residual tells).
fn data_len(c: &mut Cmd, dev: &VDev, len: u64) -> usize {
    let n = usize::try_from(len)
        .unwrap_or(usize::MAX)
        .min(c.buffer().len());
    n - n.checked_rem(dev.block_size as usize).unwrap_or(0)
}

fn write(c: &mut Cmd, dev: &VDev, m: &Medium, cdb: &[u8]) -> Result<Done, Sense> {
    let (pos, len, fua) = range(dev, m, cdb)?;
    if c.uses_tgt_sg() {
        return write_sg(c, dev, m, pos, dev.start_write(fua));
    }
    if in_submitter(c) && matches!(m.backing, Backing::File(_)) {
        return Ok(Done::Thread);
    }
    let len = data_len(c, dev, len);
    let w = dev.start_write(fua);
    match &m.backing {
        Backing::Block { .. } => Ok(bio(CmdData::Buffer(len), pos, Some(w))),
        _ => {
            crate::io::write_at(
                dev,
                m,
                c.buffer().get(..len).unwrap_or(&[]),
                pos,
                w.durable(),
            )?;
            Ok(Done::Now)
        }
    }
}

fn write_and_verify(c: &mut Cmd, dev: &VDev, m: &Medium, cdb: &[u8]) -> Result<Done, Sense> {
    let (pos, len, _) = range(dev, m, cdb)?;
    let len = data_len(c, dev, len);
    // Verified means on the medium: written through whatever the cache
    // mode.
    crate::io::write_at(
        dev,
        m,
        c.buffer().get(..len).unwrap_or(&[]),
        pos,
        !dev.has(commands::NV_CACHE),
    )?;
    Ok(Done::Now)
}

fn verify(c: &mut Cmd, dev: &VDev, m: &Medium, cdb: &[u8]) -> Result<Done, Sense> {
    let (pos, len, _) = range(dev, m, cdb)?;
    // BYTCHK 01b: compare with the data sent; 00b: just check the medium
    // reads.
    let bytchk = (byte(cdb, 1) >> 1) & 0x03;
    match bytchk {
        0 => crate::io::compare(dev, m, pos, len, None),
        1 => {
            let n = data_len(c, dev, len);
            crate::io::compare(dev, m, pos, n as u64, c.buffer().get(..n))
        }
        _ => Err(Sense::INVALID_FIELD_IN_CDB),
    }?;
    Ok(Done::Now)
}

/// A BLOCKIO transfer is over.
struct BioDone;

impl Completion for BioDone {
    fn done(c: Cmd, errno: i32) {
        if errno != 0 {
            let write = c.data_direction() == Direction::Write;
            pr_err!(
                "BLOCKIO {} failed: error {}\n",
                if write { "write" } else { "read" },
                errno
            );
            let s = if write {
                Sense::WRITE_ERROR
            } else {
                Sense::UNRECOVERED_READ_ERROR
            };
            c.fail(s);
        }
        c.done(Context::Atomic);
    }
}

/// A BLOCKIO write to the device's cache is over: it no longer holds up a
/// MODE SELECT turning the cache off (`VDev::wait_cached_writes`).
struct CachedWriteDone;

impl Completion for CachedWriteDone {
    fn done(c: Cmd, errno: i32) {
        // SAFETY: a command of a vdisk device, in flight until `BioDone`
        // finishes it below.
        if let Some(dev) = unsafe { handler::dev_data::<crate::Handler>(&c) } {
            dev.cached_write_done();
        }
        BioDone::done(c, errno);
    }
}
