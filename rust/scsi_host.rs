// SPDX-License-Identifier: GPL-2.0

//! SCSI hosts (low-level drivers of the SCSI midlayer) written in Rust.
//!
//! A module has one host template (like a C driver's static `struct
//! scsi_host_template`), set up by the first [`ScsiHost::register`], and
//! may register any number of hosts with it.  With `may_block` the host's
//! `queuecommand` is called in process context (the block layer then
//! protects its dispatch with SRCU); without, it may be called in atomic
//! context (the block layer's default).
//! Hosts let user space change a device's queue depth (up to
//! `can_queue`) through sysfs.
//!
//! A command handed to [`HostOps::queue`] is an owned [`ScsiCmd`], which
//! must be completed exactly once with [`ScsiCmd::done`]; the type makes a
//! second completion impossible.

use super::api::target::CmdTag;
use super::bindings;
use core::{cell::UnsafeCell, mem::MaybeUninit};
use kernel::{
    ffi::{c_int, c_void},
    prelude::*,
    str::CStr,
    sync::Arc,
    types::ForeignOwnable,
    ThisModule,
};

/// The midlayer's error handling requests.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum EhRequest {
    /// Abort the command.
    Abort,
    /// Reset the command's logical unit.
    DeviceReset,
    /// Reset the target.
    TargetReset,
    /// Reset the host.
    HostReset,
}

/// What a host does with commands.
pub(crate) trait HostOps: Send + Sync + 'static {
    /// Takes a command; it must eventually be completed with
    /// [`ScsiCmd::done`] (it may be, before this returns).
    fn queue(&self, cmd: ScsiCmd);

    /// Error handling (process context, may sleep).  `tag` names the
    /// command as its foreign form does (what an SCST command whose data
    /// it is was tagged with), `lun` is its LUN.  Returns whether the
    /// request succeeded; it must only succeed once the affected commands
    /// will not be completed any more.
    fn eh(&self, req: EhRequest, tag: CmdTag, lun: u64) -> bool;
}

/// Which way a command's data flows, seen from the host.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum DataDir {
    /// No data.
    None,
    /// Data from the host to the device (a write).
    ToDevice,
    /// Data from the device to the host (a read).
    FromDevice,
    /// Both ways.
    Bidi,
}

/// A command from the midlayer.
///
/// # Invariants
///
/// `ptr` is a command handed to our `queuecommand` and not yet completed.
pub(crate) struct ScsiCmd {
    ptr: *mut bindings::scsi_cmnd,
}

// SAFETY: a queued command may be completed from any thread.
unsafe impl Send for ScsiCmd {}
// SAFETY: `&ScsiCmd` only reads the command and copies out of its buffer.
unsafe impl Sync for ScsiCmd {}

/// A command as an SCST command's private data (scst_local's): its foreign
/// form is the `scsi_cmnd` address, which is also the command's tag.
impl ForeignOwnable for ScsiCmd {
    type Borrowed<'a> = ScsiCmdRef<'a>;

    fn into_foreign(self) -> *const c_void {
        self.ptr.cast_const().cast()
    }

    unsafe fn borrow<'a>(p: *const c_void) -> ScsiCmdRef<'a> {
        ScsiCmdRef {
            cmd: ScsiCmd {
                ptr: p.cast_mut().cast(),
            },
            _l: core::marker::PhantomData,
        }
    }

    unsafe fn from_foreign(p: *const c_void) -> Self {
        ScsiCmd {
            ptr: p.cast_mut().cast(),
        }
    }
}

/// A borrowed command (see [`ScsiCmd`]'s `ForeignOwnable`).
pub(crate) struct ScsiCmdRef<'a> {
    cmd: ScsiCmd,
    _l: core::marker::PhantomData<&'a ScsiCmd>,
}

impl core::ops::Deref for ScsiCmdRef<'_> {
    type Target = ScsiCmd;

    fn deref(&self) -> &ScsiCmd {
        &self.cmd
    }
}

impl ScsiCmd {
    /// The CDB.
    pub(crate) fn cdb(&self) -> &[u8] {
        // SAFETY: the command is live (invariant); the midlayer set `cmnd`
        // to `cmd_len` valid bytes.
        unsafe {
            let c = &*self.ptr;
            core::slice::from_raw_parts(c.cmnd.as_ptr(), usize::from(c.cmd_len))
        }
    }

    /// The LUN the command is for.
    pub(crate) fn lun(&self) -> u64 {
        // SAFETY: a queued command has a live device.
        unsafe { (*(*self.ptr).device).lun }
    }

    /// The data direction.
    pub(crate) fn dir(&self) -> DataDir {
        // SAFETY: the command is live (invariant).
        let d = unsafe { (*self.ptr).sc_data_direction } as c_int;
        match d {
            bindings::SCST_RH_DMA_TO_DEVICE => DataDir::ToDevice,
            bindings::SCST_RH_DMA_FROM_DEVICE => DataDir::FromDevice,
            bindings::SCST_RH_DMA_BIDIRECTIONAL => DataDir::Bidi,
            _ => DataDir::None,
        }
    }

    /// Bytes in the command's data buffer.
    pub(crate) fn bufflen(&self) -> u32 {
        // SAFETY: the command is live (invariant).
        unsafe { bindings::scst_rh_scsi_bufflen(self.ptr) }
    }

    /// The command's data scatterlist and its entry count, as a target
    /// driver offers it to the core (`scst_cmd_set_tgt_sg`): valid until
    /// the command is completed.
    pub(crate) fn sg(&self) -> (*mut super::api::abi::ScstSg, u32) {
        // SAFETY: the command is live (invariant).
        let (sg, n) = unsafe {
            (
                bindings::scst_rh_scsi_sglist(self.ptr),
                bindings::scst_rh_scsi_sg_count(self.ptr),
            )
        };
        (sg.cast(), n)
    }

    /// Copies `data` into the command's buffer (read data); returns the
    /// bytes copied.
    pub(crate) fn copy_from(&mut self, data: &[u8]) -> usize {
        let len = c_int::try_from(data.len()).unwrap_or(c_int::MAX);
        // SAFETY: the command is live; `data` is valid for `len` bytes; the
        // copy stops at the end of the command's buffer.
        let n = unsafe {
            bindings::scst_rh_scsi_sg_copy_from_buffer(self.ptr, data.as_ptr().cast(), len)
        };
        usize::try_from(n).unwrap_or(0)
    }

    /// Copies the command's buffer (write data) into `data`; returns the
    /// bytes copied.
    pub(crate) fn copy_to(&self, data: &mut [u8]) -> usize {
        let len = c_int::try_from(data.len()).unwrap_or(c_int::MAX);
        // SAFETY: as `copy_from`, with `data` writable.
        let n = unsafe {
            bindings::scst_rh_scsi_sg_copy_to_buffer(self.ptr, data.as_mut_ptr().cast(), len)
        };
        usize::try_from(n).unwrap_or(0)
    }

    /// Sets the residual: bytes of the buffer not transferred.
    pub(crate) fn set_resid(&mut self, resid: u32) {
        // SAFETY: the command is live (invariant).
        unsafe { bindings::scst_rh_scsi_set_resid(self.ptr, resid) };
    }

    /// Completes as aborted by task management: no data, host byte
    /// DID_RESET, which the midlayer retries (scsi_io_completion) as it
    /// does for any LLD's reset; DID_ABORT would fail the I/O when a reset,
    /// this host's (sg_reset) or another initiator's, aborted a command the
    /// midlayer still waits for.  A command the midlayer itself aborted
    /// (it timed out) is complete already, and this answer is ignored.
    pub(crate) fn set_aborted(&mut self) {
        // SAFETY: the command is live (invariant).
        unsafe { (*self.ptr).result = bindings::SCST_RH_DID_RESET << 16 };
    }

    /// Sets the SCSI status (host byte: DID_OK) and the sense data, cut to
    /// the midlayer's sense buffer.
    pub(crate) fn set_status(&mut self, status: u8, sense: &[u8]) {
        // SAFETY: the command is live; the midlayer's sense buffer holds
        // SCSI_SENSE_BUFFERSIZE bytes.
        unsafe {
            let c = &mut *self.ptr;
            c.result = c_int::from(status);
            let cap = bindings::SCST_RH_SCSI_SENSE_BUFFERSIZE as usize;
            let n = sense.len().min(cap);
            if n > 0 && !c.sense_buffer.is_null() {
                core::ptr::copy_nonoverlapping(sense.as_ptr(), c.sense_buffer, n);
            }
        }
    }

    /// Completes the command.
    pub(crate) fn done(self) {
        // SAFETY: the command is live and completed once: `self` is
        // consumed.
        unsafe { bindings::scsi_done(self.ptr) };
    }

    /// Completes the command from within the `queuecommand` that received
    /// it: the block layer finishes the request right here (its softirq
    /// runs on the way out, no ksoftirqd wakeup), and the submitter finds
    /// it done when it reaps.  Elsewhere (a thread answering many
    /// commands) [`ScsiCmd::done`] lets completions batch instead.
    pub(crate) fn done_inline(self) {
        // SAFETY: as in `done`.
        unsafe { bindings::scst_rh_scsi_done_inline(self.ptr) };
    }
}

/// The parameters of a host.
pub(crate) struct HostParams {
    /// The driver's name (`/proc/scsi/<name>`, sysfs `proc_name`).
    pub(crate) name: &'static CStr,
    /// Commands queued at once (per hardware queue; the midlayer also
    /// keeps the host as a whole to it).
    pub(crate) can_queue: i32,
    /// Block layer hardware queues (at least 1).  More than one: each has
    /// its own tags and no I/O scheduler by default.
    pub(crate) hw_queues: u32,
    /// Commands queued at once per LUN.
    pub(crate) cmd_per_lun: i16,
    /// Scatter-gather entries per command.
    pub(crate) sg_tablesize: u16,
    /// Largest transfer, in 512-byte sectors.
    pub(crate) max_sectors: u32,
    /// LUNs the midlayer scans: 0..max_lun.
    pub(crate) max_lun: u64,
    /// `HostOps::queue` may sleep (then it is never called in atomic
    /// context).
    pub(crate) may_block: bool,
    /// Data buffers start and end at multiples of this plus one (a mask:
    /// 511 for 512 bytes); the block layer copies user buffers that do
    /// not.
    pub(crate) dma_alignment: u32,
}

struct Template(UnsafeCell<MaybeUninit<bindings::scsi_host_template>>);

// SAFETY: written once under the module's init path before any host
// exists (see `ScsiHost::register`), only read afterwards.
unsafe impl Sync for Template {}

/// This module's host template.
static TEMPLATE: Template = Template(UnsafeCell::new(MaybeUninit::zeroed()));

/// A registered SCSI host serving `T`.
///
/// # Invariants
///
/// `shost` is added to the midlayer and its private area holds a pointer
/// from `Arc::into_raw` of an `Arc<T>`, released in `drop`.
pub(crate) struct ScsiHost<T: HostOps> {
    shost: *mut bindings::Scsi_Host,
    _t: core::marker::PhantomData<Arc<T>>,
}

// SAFETY: a host may be removed from any thread.
unsafe impl<T: HostOps> Send for ScsiHost<T> {}
// SAFETY: `&ScsiHost` exposes nothing mutable.
unsafe impl<T: HostOps> Sync for ScsiHost<T> {}

impl<T: HostOps> ScsiHost<T> {
    /// Registers a host and scans it.  All hosts of a module must use the
    /// same `T` and `params.name`: they share the module's template.
    pub(crate) fn register(
        module: &'static ThisModule,
        params: &HostParams,
        ops: Arc<T>,
    ) -> Result<Self> {
        let t = TEMPLATE.0.get().cast::<bindings::scsi_host_template>();
        // SAFETY: hosts are registered from module init (serialized), and
        // every registration writes the same values, so no host sees a
        // torn template.
        unsafe {
            (*t).module = module.as_ptr().cast();
            (*t).name = params.name.as_char_ptr();
            (*t).proc_name = params.name.as_char_ptr();
            (*t).queuecommand = Some(queue_cb::<T>);
            (*t).eh_abort_handler = Some(eh_abort::<T>);
            (*t).eh_device_reset_handler = Some(eh_device_reset::<T>);
            (*t).eh_target_reset_handler = Some(eh_target_reset::<T>);
            (*t).eh_host_reset_handler = Some(eh_host_reset::<T>);
            (*t).can_queue = params.can_queue;
            (*t).this_id = -1;
            (*t).sg_tablesize = params.sg_tablesize;
            (*t).max_sectors = params.max_sectors;
            (*t).cmd_per_lun = params.cmd_per_lun;
            (*t).dma_alignment = params.dma_alignment;
            (*t).change_queue_depth = Some(bindings::scsi_change_queue_depth);
            if params.may_block {
                bindings::scst_rh_scsi_host_template_set_may_block(t);
            }
            // Our requests complete within other queues' completions.
            bindings::scst_rh_scsi_host_template_set_nested(t);
        }
        let priv_size = core::mem::size_of::<*const T>() as c_int;
        // SAFETY: the template is initialized and lives as long as the
        // module (it is static).
        let shost = unsafe { bindings::scsi_host_alloc(t, priv_size) };
        if shost.is_null() {
            return Err(ENOMEM);
        }
        // SAFETY: `shost` is a new host whose private area has room for a
        // pointer; max_* are plain fields read when scanning.
        unsafe {
            bindings::scst_rh_shost_priv(shost)
                .cast::<*const T>()
                .write(Arc::into_raw(ops));
            (*shost).max_id = 1;
            (*shost).max_channel = 0;
            (*shost).max_lun = params.max_lun;
            (*shost).nr_hw_queues = params.hw_queues.max(1);
            // The default (12) would make the midlayer fail 16-byte CDBs
            // (READ CAPACITY(16), READ(16), ...) with DID_ABORT.
            (*shost).max_cmd_len = 16;
        }
        // SAFETY: `shost` is allocated and not added yet; no parent device
        // means the platform bus, and no DMA device means the parent.
        let r = unsafe {
            bindings::scsi_add_host_with_dma(shost, core::ptr::null_mut(), core::ptr::null_mut())
        };
        if r != 0 {
            // SAFETY: not added: release the ops reference and the host.
            unsafe {
                drop(Arc::from_raw(
                    *bindings::scst_rh_shost_priv(shost).cast::<*const T>(),
                ));
                bindings::scsi_host_put(shost);
            }
            return Err(Error::from_errno(r));
        }
        // SAFETY: the host is added.
        unsafe { bindings::scsi_scan_host(shost) };
        Ok(Self {
            shost,
            _t: core::marker::PhantomData,
        })
    }

    /// The host number (`hostN`).
    pub(crate) fn host_no(&self) -> u32 {
        // SAFETY: the host is live (invariant).
        unsafe { (*self.shost).host_no }
    }
}

impl<T: HostOps> Drop for ScsiHost<T> {
    fn drop(&mut self) {
        // SAFETY: the host is added (invariant).  Once removed, no command
        // reaches `queue_cb`, so the ops reference can be released.
        unsafe {
            bindings::scsi_remove_host(self.shost);
            drop(Arc::from_raw(
                *bindings::scst_rh_shost_priv(self.shost).cast::<*const T>(),
            ));
            bindings::scsi_host_put(self.shost);
        }
    }
}

unsafe extern "C" fn queue_cb<T: HostOps>(
    shost: *mut bindings::Scsi_Host,
    cmd: *mut bindings::scsi_cmnd,
) -> c_int {
    // SAFETY: the private area holds the `Arc<T>` pointer while the host
    // is added (invariant of `ScsiHost`), and commands arrive only then.
    let ops = unsafe { &**bindings::scst_rh_shost_priv(shost).cast::<*const T>() };
    ops.queue(ScsiCmd { ptr: cmd });
    0
}

/// Runs an error-handling request through the host's ops.
///
/// # Safety
///
/// `cmd` is a command of one of our hosts, handed to an EH callback.
unsafe fn eh<T: HostOps>(cmd: *mut bindings::scsi_cmnd, req: EhRequest) -> c_int {
    // SAFETY: an EH command has a live device and host; the host's private
    // area holds the `Arc<T>` pointer while it is added.
    let (ops, lun) = unsafe {
        let dev = (*cmd).device;
        let shost = (*dev).host;
        (
            &**bindings::scst_rh_shost_priv(shost).cast::<*const T>(),
            (*dev).lun,
        )
    };
    if ops.eh(req, CmdTag::new(cmd.cast()), lun) {
        bindings::SCST_RH_SCSI_SUCCESS
    } else {
        bindings::SCST_RH_SCSI_FAILED
    }
}

unsafe extern "C" fn eh_abort<T: HostOps>(cmd: *mut bindings::scsi_cmnd) -> c_int {
    // SAFETY: called by the midlayer for one of our commands.
    unsafe { eh::<T>(cmd, EhRequest::Abort) }
}

unsafe extern "C" fn eh_device_reset<T: HostOps>(cmd: *mut bindings::scsi_cmnd) -> c_int {
    // SAFETY: as above.
    unsafe { eh::<T>(cmd, EhRequest::DeviceReset) }
}

unsafe extern "C" fn eh_target_reset<T: HostOps>(cmd: *mut bindings::scsi_cmnd) -> c_int {
    // SAFETY: as above.
    unsafe { eh::<T>(cmd, EhRequest::TargetReset) }
}

unsafe extern "C" fn eh_host_reset<T: HostOps>(cmd: *mut bindings::scsi_cmnd) -> c_int {
    // SAFETY: as above.
    unsafe { eh::<T>(cmd, EhRequest::HostReset) }
}
