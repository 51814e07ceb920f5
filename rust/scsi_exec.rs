// SPDX-License-Identifier: GPL-2.0

//! Sending a SCSI command to a real device of the midlayer, for the
//! pass-through handlers: a block-layer passthrough request
//! (REQ_OP_DRV_IN/OUT) with the command's buffer mapped into it, executed
//! asynchronously; no thread waits for it.  Never the SG_IO user path.

use super::api::cmd::{Cmd, Direction};
use super::bindings;
use kernel::{error::from_err_ptr, ffi::c_void, prelude::*};

/// Sense bytes the midlayer keeps per command (SCSI_SENSE_BUFFERSIZE).
pub(crate) const SENSE_MAX: usize = 96;

/// `bio_kmalloc`'s limit (BIO_MAX_INLINE_VECS, UIO_MAXIOV) on the pages
/// `blk_rq_map_kern` maps.
const MAP_MAX_PAGES: u32 = 1024;

/// The pages `len` bytes at `buf` touch.
pub(crate) fn pages_spanned(buf: *const u8, len: u32) -> u32 {
    if len == 0 {
        return 0;
    }
    let start = buf as usize >> kernel::page::PAGE_SHIFT;
    let end = (buf as usize).saturating_add(len as usize - 1) >> kernel::page::PAGE_SHIFT;
    u32::try_from(end - start + 1).unwrap_or(u32::MAX)
}

/// How a passthrough command ended.
pub(crate) struct Outcome<'a> {
    /// The midlayer's result: status byte in bits 0..8, host byte in
    /// bits 16..24 (`DID_*`).
    pub(crate) result: i32,
    /// The device's sense data (empty unless CHECK CONDITION).
    pub(crate) sense: &'a [u8],
    /// Bytes of the buffer not transferred.
    pub(crate) resid: u32,
}

impl Outcome<'_> {
    /// The SCSI status byte.
    pub(crate) fn status(&self) -> u8 {
        (self.result & 0xff) as u8
    }

    /// The host byte: 0 (DID_OK) unless the transport or the host failed.
    pub(crate) fn host_byte(&self) -> u8 {
        ((self.result >> 16) & 0xff) as u8
    }
}

/// What a finished command calls, in interrupt or softirq context, with
/// the command given to [`ScsiDev::submit_cmd`], back.
pub(crate) trait ExecDone {
    fn done(cmd: Cmd, outcome: &Outcome<'_>);
}

/// A real SCSI device, borrowed from the core.
///
/// # Invariants
///
/// `ptr` is a live `scsi_device` for the borrow's lifetime (the core keeps
/// a real device's `scsi_device` alive until its handler's `detach` has
/// returned and every command sent to it has completed).
#[derive(Clone, Copy)]
pub(crate) struct ScsiDev {
    ptr: *mut bindings::scsi_device,
}

// SAFETY: requests may be sent to a scsi_device from any thread.
unsafe impl Send for ScsiDev {}
// SAFETY: as above; the accessors only read fields set at scan time.
unsafe impl Sync for ScsiDev {}

impl ScsiDev {
    /// Wraps the pointer a handler's `attach` got from `DevRef::scsi_device`.
    ///
    /// # Safety
    ///
    /// `p` is null or a `scsi_device` that stays alive as the core
    /// promises (see the invariant) while the `ScsiDev` is used.
    pub(crate) unsafe fn from_raw(p: *mut c_void) -> Option<Self> {
        (!p.is_null()).then_some(Self { ptr: p.cast() })
    }

    /// The largest transfer the device's queue takes, in bytes.
    pub(crate) fn max_bytes(&self) -> u32 {
        // SAFETY: live device (invariant).
        unsafe { bindings::scst_rh_sdev_max_bytes(self.ptr) }
    }

    /// The most scatter-gather segments the device's queue takes.
    pub(crate) fn max_segments(&self) -> u32 {
        // SAFETY: live device (invariant).
        unsafe { bindings::scst_rh_sdev_max_segments(self.ptr) }
    }

    /// The most pages a buffer sent to the device may span: each page may
    /// be a segment of its own (a vmalloc buffer), and the block layer maps
    /// a kernel buffer into one bio of at most `UIO_MAXIOV` pages (and for
    /// a request's first bio does not check the queue's segment limit:
    /// we must).
    pub(crate) fn max_pages(&self) -> u32 {
        self.max_segments().min(MAP_MAX_PAGES)
    }

    /// Whether a transfer of `len` bytes at `buf` fits in one request.
    pub(crate) fn fits(&self, buf: *const u8, len: u32) -> bool {
        len <= self.max_bytes() && pages_spanned(buf, len) <= self.max_pages()
    }

    /// The logical block length the midlayer's upper driver (sd, sr)
    /// learned, 0 if none has (yet: their probing is asynchronous).
    pub(crate) fn sector_size(&self) -> u32 {
        // SAFETY: live device (invariant); a plain field sd and sr write
        // once per capacity change.
        unsafe { core::ptr::addr_of!((*self.ptr).sector_size).read_volatile() }
    }

    /// Sends `cmd` to the device as it is: its CDB, its buffer as the data
    /// (data-out for a WRITE direction, else data-in), and gives it to
    /// `D::done` with the device's answer.  `atomic`: the caller cannot
    /// sleep (then a request is taken only if one is free).  On `Err`
    /// nothing was sent and the command comes back: `EINVAL` if the
    /// transfer exceeds what the device's queue takes in one request (see
    /// [`Self::fits`]), `ENODEV` if the device is going away,
    /// `ENOMEM`/`EWOULDBLOCK` if no request was free.
    pub(crate) fn submit_cmd<D: ExecDone>(
        &self,
        mut cmd: Cmd,
        timeout_ms: u32,
        atomic: bool,
    ) -> core::result::Result<(), (Cmd, Error)> {
        let mut cdb = [0u8; 32];
        let n = super::vec::copy_prefix(&mut cdb, cmd.cdb());
        let write = cmd.data_direction() == Direction::Write;
        let buf = cmd.buffer();
        let (buf, len) = (
            buf.as_mut_ptr(),
            u32::try_from(buf.len()).unwrap_or(u32::MAX),
        );
        let private = cmd.as_raw().cast();
        let cdb = cdb.get(..n).unwrap_or(&[]);
        // SAFETY: the buffer is the core's vmalloc memory, the command's
        // until it is done, which only `D::done` does (it gets the
        // command, `private`, once the device answered).
        match unsafe { self.submit::<D>(cdb, buf, len, write, timeout_ms, atomic, private) } {
            Ok(()) => {
                // The request carries the command on (`end_io`).
                let _ = cmd.into_raw();
                Ok(())
            }
            Err(e) => Err((cmd, e)),
        }
    }

    /// Sends `cdb` with `len` bytes at `buf` as its data (`write`: data-out,
    /// else data-in; `len` 0: none) and calls `D::done` with the command
    /// `private` when the device has answered.  `Err` means nothing was
    /// sent and `done` will not be called.
    ///
    /// # Safety
    ///
    /// `buf..buf+len` is kmalloc or vmalloc memory that stays valid and
    /// untouched until `done`; `private` is a command given up with
    /// `Cmd::into_raw` if this succeeds.
    #[allow(clippy::too_many_arguments)]
    unsafe fn submit<D: ExecDone>(
        &self,
        cdb: &[u8],
        buf: *mut u8,
        len: u32,
        write: bool,
        timeout_ms: u32,
        atomic: bool,
        private: *mut c_void,
    ) -> Result {
        if cdb.is_empty() || cdb.len() > 32 || !self.fits(buf, len) {
            return Err(EINVAL);
        }
        // SAFETY: live device (invariant); returns a request or an ERR_PTR.
        let rq = from_err_ptr(unsafe { bindings::scst_rh_pt_alloc(self.ptr, write, atomic) })?;
        if len > 0 {
            // SAFETY: a new request of ours; the buffer is valid (contract).
            let r = unsafe { bindings::scst_rh_pt_map(rq, buf.cast(), len, atomic) };
            if r < 0 {
                // SAFETY: ours, never started.
                unsafe { bindings::blk_mq_free_request(rq) };
                return Err(Error::from_errno(r));
            }
        }
        // SAFETY: a passthrough request's payload is its scsi_cmnd; the
        // CDB fits (checked above, `cmnd` has 32 bytes).  No retries: the
        // initiator decides.
        unsafe {
            let scmd = &mut *bindings::scst_rh_pt_scmd(rq);
            scmd.cmnd[..cdb.len()].copy_from_slice(cdb);
            scmd.cmd_len = cdb.len() as u16;
            scmd.allowed = 0;
            (*rq).timeout = bindings::scst_rh_msecs_to_jiffies(timeout_ms) as u32;
            (*rq).end_io = Some(end_io::<D>);
            (*rq).end_io_data = private;
            bindings::blk_execute_rq_nowait(rq, false);
        }
        Ok(())
    }
}

/// The request finished: report it, then let the block layer free it.
unsafe extern "C" fn end_io<D: ExecDone>(
    rq: *mut bindings::request,
    status: bindings::blk_status_t,
) -> bindings::rq_end_io_ret {
    // SAFETY: the block layer passes our completed request; its scsi_cmnd
    // and sense buffer stay valid until the request is freed on return.
    // The midlayer sets `sense_len` of a passthrough command that returned
    // sense data.
    let (private, result, resid, sense) = unsafe {
        let scmd = bindings::scst_rh_pt_scmd(rq);
        let n = ((*scmd).sense_len as usize).min(SENSE_MAX);
        let sense = if (*scmd).sense_buffer.is_null() {
            &[][..]
        } else {
            core::slice::from_raw_parts((*scmd).sense_buffer, n)
        };
        ((*rq).end_io_data, (*scmd).result, (*scmd).resid_len, sense)
    };
    // A request the block layer failed without a result: DID_ERROR.
    let result = if result == 0 && status != 0 {
        0x07 << 16
    } else {
        result
    };
    // SAFETY: `private` is the command `submit_cmd` gave up; a request
    // ends once.
    if let Some(cmd) = unsafe { Cmd::from_raw(private.cast()) } {
        D::done(
            cmd,
            &Outcome {
                result,
                sense,
                resid,
            },
        );
    }
    bindings::rq_end_io_ret_RQ_END_IO_FREE
}
