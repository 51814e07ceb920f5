// SPDX-License-Identifier: GPL-2.0

//! Synchronous I/O on a medium: writes, syncs, comparisons, WRITE SAME,
//! UNMAP and COMPARE AND WRITE.  BLOCKIO devices do these through their
//! O_DIRECT file, which stays consistent with their bios.

use crate::dev::{Backing, Medium, VDev};
use crate::exec::range;
use crate::scsi::{self, byte, Sense};
use crate::scst_rs::api::cmd::Cmd;
use crate::scst_rs::file::File;
use kernel::prelude::*;

/// Chunk for WRITE SAME and comparisons.
const CHUNK: usize = 1 << 20;

/// Logs a backing-store failure and gives the sense for it.
pub(crate) fn failed(dev: &VDev, what: &str, pos: u64, e: Error, write: bool) -> Sense {
    pr_err!(
        "{}: {} at byte {} failed: error {}\n",
        &*dev.name,
        what,
        pos,
        e.to_errno()
    );
    sense_of(e, write)
}

/// The sense data for a failed backing I/O.
fn sense_of(e: Error, write: bool) -> Sense {
    if e == ENOSPC {
        // A thin file's file system is full.
        return Sense::SPACE_ALLOCATION_FAILED;
    }
    if e == ENOMEM {
        return Sense::INTERNAL_TARGET_FAILURE;
    }
    if write {
        Sense::WRITE_ERROR
    } else {
        Sense::UNRECOVERED_READ_ERROR
    }
}

/// The file synchronous I/O goes through (`None` for NULLIO).
fn file(m: &Medium) -> Option<&File> {
    match &m.backing {
        Backing::File(f) => Some(f),
        Backing::Block { direct, .. } => Some(direct),
        Backing::Null | Backing::NoMedium => None,
    }
}

/// Writes `data` at `pos`; `durable`: on stable storage before returning.
pub(crate) fn write_at(
    dev: &VDev,
    m: &Medium,
    data: &[u8],
    pos: u64,
    durable: bool,
) -> Result<(), Sense> {
    let Some(f) = file(m) else { return Ok(()) };
    f.write_at(data, pos)
        .map_err(|e| failed(dev, "write", pos, e, true))?;
    if durable && !data.is_empty() {
        sync_range(dev, m, pos, pos + data.len() as u64 - 1)?;
    }
    Ok(())
}

/// Makes bytes `start..=end` durable.
pub(crate) fn sync_range(dev: &VDev, m: &Medium, start: u64, end: u64) -> Result<(), Sense> {
    let r = match &m.backing {
        Backing::File(f) => f.sync(Some((start, end))),
        Backing::Block { dev: b, .. } => b.flush(),
        Backing::Null | Backing::NoMedium => Ok(()),
    };
    r.map_err(|e| failed(dev, "sync", start, e, true))
}

/// NV_CACHE's stand-in for a flush: nothing is written back (the cache is
/// taken to be non-volatile), but a writeback of the page cache that
/// failed since the last check is reported, once, instead of being lost
/// with the acknowledged data.  (BLOCKIO's bios report their own errors.)
pub(crate) fn writeback_errors(dev: &VDev, m: &Medium) -> Result<(), Sense> {
    match &m.backing {
        Backing::File(f) => f.writeback_error().map_err(|e| {
            pr_err!(
                "{}: writing back cached data failed since the last SYNCHRONIZE CACHE: error {}\n",
                &*dev.name,
                e.to_errno()
            );
            sense_of(e, true)
        }),
        Backing::Block { .. } | Backing::Null | Backing::NoMedium => Ok(()),
    }
}

/// Makes everything written durable.
pub(crate) fn flush(dev: &VDev, m: &Medium) -> Result<(), Sense> {
    sync_range(dev, m, 0, u64::MAX)
}

/// A scratch buffer of `len` bytes (at most `CHUNK`), page-aligned for
/// O_DIRECT.
fn scratch(len: usize) -> Result<KVVec<u8>, Sense> {
    let n = len.clamp(4096, CHUNK).next_power_of_two();
    KVVec::from_elem(0u8, n, GFP_KERNEL).map_err(|_| Sense::INTERNAL_TARGET_FAILURE)
}

/// Reads `len` bytes at `pos` and, with `expect`, compares them to it:
/// Sense::MISCOMPARE if they differ.
pub(crate) fn compare(
    dev: &VDev,
    m: &Medium,
    pos: u64,
    len: u64,
    expect: Option<&[u8]>,
) -> Result<(), Sense> {
    let Some(f) = file(m) else { return Ok(()) };
    if len == 0 {
        return Ok(());
    }
    let mut buf = scratch(len as usize)?;
    let mut done = 0u64;
    while done < len {
        let n = ((len - done) as usize).min(buf.len());
        let chunk = buf.get_mut(..n).ok_or(Sense::INTERNAL_TARGET_FAILURE)?;
        f.read_at(chunk, pos + done)
            .map_err(|e| failed(dev, "read", pos + done, e, false))?;
        if let Some(exp) = expect {
            let want = exp
                .get(done as usize..done as usize + n)
                .ok_or(Sense::INTERNAL_TARGET_FAILURE)?;
            if want != &chunk[..] {
                return Err(Sense::MISCOMPARE);
            }
        }
        done += n as u64;
    }
    Ok(())
}

/// Deallocates `len` bytes at `pos`.
fn deallocate(dev: &VDev, m: &Medium, pos: u64, len: u64) -> Result<(), Sense> {
    let r = match &m.backing {
        Backing::File(f) => f.punch_hole(pos, len),
        Backing::Block { dev: b, .. } => b.discard(pos, len),
        Backing::Null | Backing::NoMedium => Ok(()),
    };
    r.map_err(|e| failed(dev, "unmap", pos, e, true))
}

/// WRITE SAME(10/16): one block repeated, or the range unmapped.
pub(crate) fn write_same(
    c: &mut Cmd,
    dev: &VDev,
    m: &Medium,
    cdb: &[u8],
) -> Result<crate::exec::Done, Sense> {
    let (pos, len, _) = range(dev, m, cdb)?;
    let blocks = len.checked_div(u64::from(dev.block_size)).unwrap_or(0);
    // PBDATA/LBDATA and ANCHOR (no anchored state: ANC_SUP is 0) are not
    // supported; zero blocks is refused (WSNZ).
    if byte(cdb, 1) & 0x16 != 0 || blocks == 0 || blocks > scsi::MAX_WRITE_SAME_BLOCKS {
        return Err(Sense::INVALID_FIELD_IN_CDB);
    }
    let unmap = byte(cdb, 1) & 0x08 != 0;
    let ndob = byte(cdb, 0) == 0x93 && byte(cdb, 1) & 0x01 != 0;
    let bs = dev.block_size as usize;
    let mut block = [0u8; 0].as_slice();
    let data = c.buffer();
    if !ndob {
        block = data.get(..bs).ok_or(Sense::PARAMETER_LIST_LENGTH_ERROR)?;
    }
    let zeros = block.iter().all(|&b| b == 0);
    if unmap && zeros && dev.describe(m).thin {
        deallocate(dev, m, pos, len)?;
        return Ok(crate::exec::Done::Now);
    }
    let mut buf = scratch(len as usize)?;
    let per = buf.len().checked_div(bs).unwrap_or(1).max(1);
    for i in 0..per {
        if let Some(dst) = buf.get_mut(i * bs..(i + 1) * bs) {
            if !block.is_empty() {
                dst.copy_from_slice(block);
            }
        }
    }
    let w = dev.start_write(false);
    let mut done = 0u64;
    while done < len {
        let n = ((len - done) as usize).min(per * bs);
        write_at(dev, m, buf.get(..n).unwrap_or(&[]), pos + done, false)?;
        done += n as u64;
    }
    if w.durable() {
        sync_range(dev, m, pos, pos + len - 1)?;
    }
    Ok(crate::exec::Done::Now)
}

/// UNMAP: the parameter list's ranges deallocated, all checked first.
pub(crate) fn unmap(
    c: &mut Cmd,
    dev: &VDev,
    m: &Medium,
    _cdb: &[u8],
) -> Result<crate::exec::Done, Sense> {
    if !dev.describe(m).thin {
        return Err(Sense::INVALID_OPCODE);
    }
    let bs = u64::from(dev.block_size);
    let list = c.buffer();
    scsi::unmap_descriptors(list, m.blocks, |lba, n| {
        deallocate(dev, m, lba * bs, n * bs)
    })?;
    Ok(crate::exec::Done::Now)
}

/// COMPARE AND WRITE: the first half of the data is compared with the
/// medium and, if equal, the second half written; atomically with
/// respect to other COMPARE AND WRITEs of the device.
pub(crate) fn compare_and_write(
    c: &mut Cmd,
    dev: &VDev,
    m: &Medium,
    cdb: &[u8],
) -> Result<crate::exec::Done, Sense> {
    let (pos, len, fua) = range(dev, m, cdb)?;
    if len == 0 {
        return Ok(crate::exec::Done::Now);
    }
    let data = c.buffer();
    let n = len as usize;
    let (verify, write) = (
        data.get(..n).ok_or(Sense::INTERNAL_TARGET_FAILURE)?,
        data.get(n..2 * n).ok_or(Sense::INTERNAL_TARGET_FAILURE)?,
    );
    let _guard = dev.caw.lock();
    compare(dev, m, pos, len, Some(verify))?;
    write_at(dev, m, write, pos, dev.start_write(fua).durable())?;
    Ok(crate::exec::Done::Now)
}
