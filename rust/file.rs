// SPDX-License-Identifier: GPL-2.0

//! Files opened by the kernel: regular files and block device nodes read
//! and written through the page cache (or with O_DIRECT), for FILEIO.

use super::bindings;
use super::sg::SgList;
use kernel::{error::from_err_ptr, ffi::c_void, prelude::*, str::CStr};

/// How to open a file.
#[derive(Clone, Copy, Default)]
pub(crate) struct OpenFlags {
    pub(crate) write: bool,
    /// O_DIRECT: no page cache.
    pub(crate) direct: bool,
    /// O_DSYNC: a write returns once it is on stable storage.
    pub(crate) dsync: bool,
}

/// Page descriptors handed to the file per call, kept on the stack.
const BATCH: usize = 16;

/// An open file.
///
/// # Invariants
///
/// `f` is a file opened by `filp_open` and not yet closed.
pub(crate) struct File {
    f: *mut bindings::file,
}

// SAFETY: a `struct file` may be used and closed from any thread.
unsafe impl Send for File {}
// SAFETY: reads, writes, syncs and size queries on a file are
// thread-safe in the VFS.
unsafe impl Sync for File {}

impl File {
    /// Opens `path`.
    pub(crate) fn open(path: &CStr, how: OpenFlags) -> Result<Self> {
        // SAFETY: `path` is NUL-terminated; returns a file or an ERR_PTR.
        let f = from_err_ptr(unsafe {
            bindings::scst_rh_filp_open(path.as_char_ptr(), how.write, how.direct, how.dsync)
        })?;
        Ok(Self { f })
    }

    /// The size in bytes (of the device, for a block device node).
    pub(crate) fn size(&self) -> u64 {
        // SAFETY: open file (invariant).
        unsafe { bindings::scst_rh_file_size(self.f) }.max(0) as u64
    }

    pub(crate) fn is_block_device(&self) -> bool {
        // SAFETY: open file (invariant).
        unsafe { bindings::scst_rh_file_is_bdev(self.f) }
    }

    /// Whether a read (`write`: a write) can be tried without waiting for
    /// I/O (`rw_sg_nowait` may succeed): not O_DIRECT, and on a file
    /// system that honours IOCB_NOWAIT for it, or tmpfs.  Not on overlayfs,
    /// say, and no writes on ext4.
    pub(crate) fn nowait(&self, write: bool) -> bool {
        // SAFETY: open file (invariant).
        unsafe { bindings::scst_rh_file_rw_nowait(self.f, write) }
    }

    pub(crate) fn is_dir(&self) -> bool {
        // SAFETY: open file (invariant).
        unsafe { bindings::scst_rh_file_is_dir(self.f) }
    }

    /// Reads `buf.len()` bytes at `pos`; a short read (past the end) is
    /// an error.
    pub(crate) fn read_at(&self, buf: &mut [u8], pos: u64) -> Result {
        let mut done = 0;
        while done < buf.len() {
            let rest = &mut buf[done..];
            let mut p = (pos + done as u64) as bindings::loff_t;
            // SAFETY: open file; `rest` is valid for writes of its length.
            let n = unsafe {
                bindings::kernel_read(
                    self.f,
                    rest.as_mut_ptr().cast::<c_void>(),
                    rest.len(),
                    &mut p,
                )
            };
            match n {
                n if n < 0 => return Err(Error::from_errno(n as i32)),
                0 => return Err(EIO),
                n => done += n as usize,
            }
        }
        Ok(())
    }

    /// Writes `buf` at `pos`.
    pub(crate) fn write_at(&self, buf: &[u8], pos: u64) -> Result {
        let mut done = 0;
        while done < buf.len() {
            let rest = &buf[done..];
            let mut p = (pos + done as u64) as bindings::loff_t;
            // SAFETY: open file; `rest` is valid for reads of its length.
            let n = unsafe {
                bindings::kernel_write(self.f, rest.as_ptr().cast::<c_void>(), rest.len(), &mut p)
            };
            match n {
                n if n < 0 => return Err(Error::from_errno(n as i32)),
                0 => return Err(EIO),
                n => done += n as usize,
            }
        }
        Ok(())
    }

    /// Reads the file at `pos` into the pages of `sg` (with `write`,
    /// writes them to it there), in batches of `BATCH` segments; a short
    /// read is an error, as for `read_at`.
    pub(crate) fn rw_sg(&self, sg: &SgList<'_>, pos: u64, write: bool) -> Result {
        let mut pos = pos;
        batches(sg, |batch, bytes| {
            self.rw_bvec(batch, bytes, &mut pos, write).map(|()| true)
        })
        .map(|_| ())
    }

    /// Reads the file at `pos` into the pages of `sg` (with `write`,
    /// writes them to it) if that waits for no I/O (see
    /// `scst_rh_file_rw_bvec_nowait`): `Ok(false)` when it would, and then
    /// part of the data may have moved.
    pub(crate) fn rw_sg_nowait(&self, sg: &SgList<'_>, pos: u64, write: bool) -> Result<bool> {
        let mut p = pos as bindings::loff_t;
        batches(sg, |batch, bytes| {
            // SAFETY: open file; `batch` describes `bytes` bytes of pages
            // the caller owns (the `SgList` invariant).
            let r = unsafe {
                bindings::scst_rh_file_rw_bvec_nowait(
                    self.f,
                    batch.as_mut_ptr(),
                    batch.len() as u32,
                    bytes,
                    &mut p,
                    write,
                )
            };
            match r {
                r if r == EAGAIN.to_errno() as _ => Ok(false),
                r if r < 0 => Err(Error::from_errno(r as i32)),
                // Short (the end of the file, or part of it not cached):
                // the whole transfer is done again where it may wait.
                r => Ok(r as usize == bytes),
            }
        })
    }

    /// Moves all `bytes` of `bv` at `*pos`, which advances; after a short
    /// transfer the file is asked for the rest.
    fn rw_bvec(
        &self,
        bv: &mut [bindings::bio_vec],
        bytes: usize,
        pos: &mut u64,
        write: bool,
    ) -> Result {
        let (mut start, mut left) = (0, bytes);
        while left > 0 {
            let rest = bv.get_mut(start..).unwrap_or(&mut []);
            let mut p = *pos as bindings::loff_t;
            // SAFETY: open file; `rest` describes `left` bytes of pages the
            // caller owns (the `SgList` invariant).
            let r = unsafe {
                bindings::scst_rh_file_rw_bvec(
                    self.f,
                    rest.as_mut_ptr(),
                    rest.len() as u32,
                    left,
                    &mut p,
                    write,
                )
            };
            let mut moved = match r {
                r if r < 0 => return Err(Error::from_errno(r as i32)),
                0 => return Err(EIO),
                r => (r as usize).min(left),
            };
            *pos += moved as u64;
            left -= moved;
            // Drop what was moved from the front of `bv`.
            while let Some(v) = bv.get_mut(start).filter(|_| moved > 0) {
                let n = (v.bv_len as usize).min(moved);
                v.bv_offset += n as u32;
                v.bv_len -= n as u32;
                moved -= n;
                if v.bv_len == 0 {
                    start += 1;
                }
            }
        }
        Ok(())
    }

    /// Makes bytes `start..=end` (all with `None`) durable.
    pub(crate) fn sync(&self, range: Option<(u64, u64)>) -> Result {
        let (s, e) = range.map_or((0, i64::MAX), |(s, e)| {
            (s as i64, e.min(i64::MAX as u64) as i64)
        });
        // SAFETY: open file (invariant).
        let r = unsafe { bindings::vfs_fsync_range(self.f, s, e, 1) };
        if r < 0 {
            return Err(Error::from_errno(r));
        }
        Ok(())
    }

    /// An error that writing back this file's cached data met since the
    /// last check through this file (or its opening), without writing
    /// anything back: the page cache keeps such errors per file
    /// (errseq_t) and reports each once.
    pub(crate) fn writeback_error(&self) -> Result {
        // SAFETY: open file (invariant).
        let r = unsafe { bindings::file_check_and_advance_wb_err(self.f) };
        if r < 0 {
            return Err(Error::from_errno(r));
        }
        Ok(())
    }

    /// Deallocates `len` bytes at `pos` (they read as zeros afterwards).
    pub(crate) fn punch_hole(&self, pos: u64, len: u64) -> Result {
        // SAFETY: open file (invariant).
        let r = unsafe { bindings::scst_rh_punch_hole(self.f, pos as i64, len as i64) };
        if r < 0 {
            return Err(Error::from_errno(r));
        }
        Ok(())
    }
}

/// Calls `f` with the segments of `sg` in batches of at most `BATCH` and
/// their byte count, until it returns `Ok(false)` (then `Ok(false)`) or
/// fails.
fn batches(
    sg: &SgList<'_>,
    mut f: impl FnMut(&mut [bindings::bio_vec], usize) -> Result<bool>,
) -> Result<bool> {
    let empty = bindings::bio_vec {
        bv_page: core::ptr::null_mut(),
        bv_len: 0,
        bv_offset: 0,
    };
    let mut bv = [empty; BATCH];
    let mut segs = sg.segments();
    loop {
        let (mut n, mut bytes) = (0, 0usize);
        // Stops at `BATCH` without taking another segment.
        for (slot, s) in bv.iter_mut().zip(segs.by_ref()) {
            *slot = bindings::bio_vec {
                bv_page: s.page,
                bv_len: s.len,
                bv_offset: s.offset,
            };
            n += 1;
            bytes += s.len as usize;
        }
        let Some(batch) = bv.get_mut(..n).filter(|b| !b.is_empty()) else {
            return Ok(true);
        };
        if !f(batch, bytes)? {
            return Ok(false);
        }
    }
}

impl Drop for File {
    fn drop(&mut self) {
        // SAFETY: open file (invariant), closed once.
        unsafe { bindings::filp_close(self.f, core::ptr::null_mut()) };
    }
}
