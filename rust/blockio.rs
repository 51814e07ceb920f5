// SPDX-License-Identifier: GPL-2.0

//! Block devices driven with bios straight from a command's buffer, for
//! BLOCKIO: no page cache, no copy.
//!
//! A transfer is one chain of bios (`blk_next_bio`): each full bio is
//! chained to the next and submitted, and only the last one completes to
//! the caller, once every bio of the chain has; an error of any of them
//! is the chain's.

use super::api::cmd::Cmd;
use super::bindings;
use super::sg::Segment;
use kernel::{error::from_err_ptr, ffi::c_void, prelude::*, str::CStr};

/// The page size buffers are cut at.
const PAGE: usize = 4096;
/// Pages per bio.
const VECS: u32 = 256;

/// What a finished transfer calls, from interrupt context: the command
/// given to [`BlockDev::submit_cmd`], back, and 0 or a negative errno.
pub(crate) trait Completion {
    fn done(cmd: Cmd, errno: i32);
}

/// Where the data of a command is, for [`BlockDev::submit_cmd`].
#[derive(Clone, Copy)]
pub(crate) enum CmdData {
    /// The first bytes of its buffer.
    Buffer(usize),
    /// All of the driver's scatterlist that is its buffer.
    TgtSg,
}

/// An open block device.
///
/// # Invariants
///
/// `file` is a block device file from `bdev_file_open_by_path`, not yet
/// released, and `bdev` its block device.
pub(crate) struct BlockDev {
    file: *mut bindings::file,
    bdev: *mut bindings::block_device,
}

// SAFETY: a block device may be used and released from any thread.
unsafe impl Send for BlockDev {}
// SAFETY: bio submission and queries are thread-safe.
unsafe impl Sync for BlockDev {}

impl BlockDev {
    /// Opens the block device at `path` (not exclusively).
    pub(crate) fn open(path: &CStr, write: bool) -> Result<Self> {
        // SAFETY: `path` is NUL-terminated; returns a file or an ERR_PTR.
        let file = from_err_ptr(unsafe { bindings::scst_rh_bdev_open(path.as_char_ptr(), write) })?;
        // SAFETY: `file` is a block device file.
        let bdev = unsafe { bindings::scst_rh_file_bdev(file) };
        Ok(Self { file, bdev })
    }

    pub(crate) fn logical_block_size(&self) -> u32 {
        // SAFETY: open device (invariant).
        unsafe { bindings::scst_rh_bdev_logical_block_size(self.bdev) }
    }

    /// The largest transfer the device takes in one request, in bytes.
    pub(crate) fn max_transfer(&self) -> u32 {
        // SAFETY: open device (invariant).
        unsafe { bindings::scst_rh_bdev_max_sectors(self.bdev) }.saturating_mul(512)
    }

    pub(crate) fn size(&self) -> u64 {
        // SAFETY: open device (invariant).
        unsafe { bindings::scst_rh_bdev_bytes(self.bdev) }.max(0) as u64
    }

    /// Whether the device can discard.
    pub(crate) fn can_discard(&self) -> bool {
        // SAFETY: open device (invariant).
        unsafe { bindings::scst_rh_bdev_discard(self.bdev) }
    }

    /// Reads or writes the data of `cmd` from or to byte `pos`, and gives
    /// the command to `C::done` once all of it is over.  On `Err` nothing
    /// was submitted and the command comes back: `EINVAL` if the data or
    /// `pos` is not in whole blocks of the device (then the bios would
    /// fail), or the allocation's error.
    pub(crate) fn submit_cmd<C: Completion>(
        &self,
        mut cmd: Cmd,
        data: CmdData,
        pos: u64,
        write: bool,
        fua: bool,
    ) -> core::result::Result<(), (Cmd, Error)> {
        let block = self.logical_block_size().max(512);
        let aligned = |v: u64| v % u64::from(block) == 0;
        let r = match data {
            CmdData::Buffer(len) => {
                let buf = cmd.buffer();
                let len = len.min(buf.len());
                let start = buf.as_mut_ptr();
                if !aligned(pos) || !aligned(start as u64) || !aligned(len as u64) {
                    return Err((cmd, EINVAL));
                }
                let pages = (start as usize % PAGE + len).div_ceil(PAGE);
                let segs = BufPages {
                    buf: start,
                    len,
                    off: 0,
                };
                let private = cmd.as_raw().cast();
                // SAFETY: the buffer is the core's kmalloc or vmalloc
                // memory, the command's until it is done, which only
                // `C::done` does (it gets the command, `private`, after
                // the bios); aligned as checked above.
                unsafe { self.submit_segments::<C>(segs, pages, pos, write, fua, private) }
            }
            CmdData::TgtSg => {
                let private = cmd.as_raw().cast();
                let Some(sg) = cmd.tgt_sg() else {
                    return Err((cmd, EINVAL));
                };
                // Whole blocks in all, in pieces of whole sectors (the
                // 512-byte DMA alignment scst_local's host asks for).
                let sectors = sg.segments().all(|s| (s.offset | s.len) % 512 == 0);
                if !aligned(pos) || !aligned(sg.len() as u64) || !sectors {
                    return Err((cmd, EINVAL));
                }
                // SAFETY: the driver's list is valid and untouched until
                // it calls `tgt_done`, after the command is done, which
                // only `C::done` does (as above); aligned as checked (the
                // block layer splits a bio only at whole blocks: a block
                // may span two pieces).
                unsafe {
                    self.submit_segments::<C>(sg.segments(), sg.entries(), pos, write, fua, private)
                }
            }
        };
        match r {
            // The bios carry the command on (`end_io` takes it back).
            Ok(()) => {
                let _ = cmd.into_raw();
                Ok(())
            }
            Err(e) => Err((cmd, e)),
        }
    }

    /// One chain of bios over `segs`, of about `count` segments: bios
    /// are sized for them (a bio of `VECS` vectors costs a 4 KiB
    /// allocation, too much for a 4 KiB read).
    ///
    /// # Safety
    ///
    /// The pages of `segs` stay valid and untouched until `C::done` is
    /// called with the command `private` (given up with `Cmd::into_raw`
    /// if this succeeds).
    unsafe fn submit_segments<C: Completion>(
        &self,
        segs: impl Iterator<Item = Segment>,
        count: usize,
        pos: u64,
        write: bool,
        fua: bool,
        private: *mut c_void,
    ) -> Result {
        let vecs = u32::try_from(count).unwrap_or(VECS).clamp(1, VECS);
        // SAFETY: open device; GFP_KERNEL allocation from a mempool never
        // fails.
        let mut bio = unsafe { bindings::scst_rh_bio_alloc(self.bdev, vecs, write, fua) };
        if bio.is_null() {
            return Err(ENOMEM);
        }
        // SAFETY: a new bio of ours.
        unsafe { (*bio).bi_iter.bi_sector = pos / 512 };
        'segments: for s in segs {
            let mut fresh = false;
            // SAFETY: `bio` is ours; the page range is the caller's
            // (contract).
            while unsafe { bindings::bio_add_page(bio, s.page, s.len, s.offset) } as u32 != s.len {
                if fresh {
                    // An empty bio refused a segment: cannot happen, but
                    // must not loop.  The chain completes with an I/O error.
                    // SAFETY: our bio; 10 is BLK_STS_IOERR.
                    unsafe { (*bio).bi_status = 10 };
                    break 'segments;
                }
                // Full: chain it to a new bio, which submits it.
                // SAFETY: `bio` is ours; the new one continues after it.
                bio = unsafe { bindings::scst_rh_bio_next(bio, self.bdev, vecs, write, fua) };
                fresh = true;
            }
        }
        // SAFETY: the last bio of the chain: completes once all have.
        unsafe {
            (*bio).bi_private = private;
            (*bio).bi_end_io = Some(end_io::<C>);
            bindings::submit_bio(bio);
        }
        Ok(())
    }

    /// Flushes the device's volatile cache.
    pub(crate) fn flush(&self) -> Result {
        // SAFETY: open device (invariant).
        let r = unsafe { bindings::blkdev_issue_flush(self.bdev) };
        if r < 0 {
            return Err(Error::from_errno(r));
        }
        Ok(())
    }

    /// Discards `len` bytes at `pos` (multiples of 512).
    pub(crate) fn discard(&self, pos: u64, len: u64) -> Result {
        // SAFETY: open device (invariant).
        let r = unsafe { bindings::scst_rh_bdev_discard_range(self.bdev, pos / 512, len / 512) };
        if r < 0 {
            return Err(Error::from_errno(r));
        }
        Ok(())
    }
}

/// The chain's end: report and free the last bio.
unsafe extern "C" fn end_io<C: Completion>(bio: *mut bindings::bio) {
    // SAFETY: the block layer passes the completed bio, ours until put.
    let (private, errno) = unsafe { ((*bio).bi_private, bindings::scst_rh_bio_errno(bio)) };
    // SAFETY: as above; nothing uses the bio afterwards.
    unsafe { bindings::bio_put(bio) };
    // SAFETY: `private` is the command `submit_cmd` gave up with
    // `into_raw`; the chain's last bio completes once.
    if let Some(cmd) = unsafe { Cmd::from_raw(private.cast()) } {
        C::done(cmd, errno);
    }
}

impl Drop for BlockDev {
    fn drop(&mut self) {
        // SAFETY: open device (invariant), released once.
        unsafe { bindings::bdev_fput(self.file) };
    }
}

/// The pages of a kmalloc or vmalloc buffer, as segments.
struct BufPages {
    buf: *mut u8,
    len: usize,
    off: usize,
}

impl Iterator for BufPages {
    type Item = Segment;

    fn next(&mut self) -> Option<Segment> {
        if self.off >= self.len {
            return None;
        }
        let addr = self.buf.wrapping_add(self.off);
        let offset = addr as usize % PAGE;
        let n = (PAGE - offset).min(self.len - self.off);
        self.off += n;
        // SAFETY: `addr` lies in the buffer, kmalloc or vmalloc memory
        // (`BlockDev::submit_cmd`).
        let page = unsafe { bindings::scst_rh_addr_page(addr.cast()) };
        Some(Segment {
            page,
            offset: offset as u32,
            len: n as u32,
        })
    }
}
