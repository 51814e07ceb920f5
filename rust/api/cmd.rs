// SPDX-License-Identifier: GPL-2.0

//! A SCSI command as target drivers and device handlers see it.
//!
//! The core owns the command; drivers and handlers get a [`Cmd`] in their
//! callbacks and use it to read the CDB, fill or read the data buffer and
//! set the result.  The flow (see docs/api.md):
//!
//! driver `scst_rx_cmd` + [`Cmd::init_done`] → handler `parse` (calls
//! [`Cmd::decode`]) → core allocates the buffer → for writes, driver
//! `rdy_to_xfer` fills it and calls [`Cmd::rx_data`] → handler `exec` →
//! (async: [`Cmd::done`]) → driver `xmit_response` sends the data and
//! status, then calls [`Cmd::tgt_done`], after which the command is gone.

use super::abi::{ScstCmd, ScstSession, ScstSg};
use crate::scst_rs::scsi::sense::{Sense, Status};
use crate::scst_rs::sg::SgList;
use core::ffi::c_void;
use core::ptr::NonNull;
use kernel::{ffi::c_int, prelude::*};

extern "C" {
    fn scst_rx_cmd(
        sess: *mut ScstSession,
        lun: *const u8,
        lun_len: u32,
        cdb: *const u8,
        cdb_len: u32,
        tgt_priv: *mut c_void,
        atomic: bool,
    ) -> *mut ScstCmd;
    fn scst_cmd_set_expected(cmd: *mut ScstCmd, dir: u32, len: u32);
    fn scst_cmd_set_queue_type(cmd: *mut ScstCmd, queue_type: c_int);
    fn scst_cmd_init_done(cmd: *mut ScstCmd, pref_context: c_int);
    fn scst_cmd_get_resid(cmd: *mut ScstCmd) -> i64;
    fn scst_cmd_get_tgt_priv(cmd: *mut ScstCmd) -> *mut c_void;
    fn scst_cmd_get_cdb(cmd: *mut ScstCmd, len: *mut u32) -> *const u8;
    fn scst_cmd_get_dev_id(cmd: *mut ScstCmd) -> c_int;
    fn scst_cmd_decode(cmd: *mut ScstCmd, block_size: u32) -> c_int;
    fn scst_cmd_get_data_direction(cmd: *mut ScstCmd) -> u32;
    fn scst_cmd_get_buffer(cmd: *mut ScstCmd, len: *mut u32) -> *mut u8;
    fn scst_cmd_lend_buffer(cmd: *mut ScstCmd);
    fn scst_cmd_atomic(cmd: *mut ScstCmd) -> bool;
    fn scst_cmd_context(cmd: *mut ScstCmd) -> c_int;
    fn scst_cmd_set_tgt_sg(cmd: *mut ScstCmd, sg: *mut ScstSg, nents: u32, len: u32);
    fn scst_cmd_allow_tgt_sg(cmd: *mut ScstCmd);
    fn scst_cmd_set_fills_data(cmd: *mut ScstCmd);
    fn scst_cmd_set_exec_nowait(cmd: *mut ScstCmd);
    fn scst_cmd_get_tgt_sg(cmd: *mut ScstCmd, nents: *mut u32, len: *mut u32) -> *mut ScstSg;
    fn scst_cmd_set_resp_data_len(cmd: *mut ScstCmd, len: u32);
    fn scst_cmd_get_resp_data_len(cmd: *mut ScstCmd) -> u32;
    fn scst_cmd_get_status(cmd: *mut ScstCmd) -> u8;
    fn scst_cmd_get_sense(cmd: *mut ScstCmd, len: *mut u32) -> *const u8;
    fn scst_cmd_set_status(cmd: *mut ScstCmd, status: u8, sense: *const u8, len: u32);
    fn scst_rx_data(cmd: *mut ScstCmd, status: c_int, pref_context: c_int);
    fn scst_cmd_done(cmd: *mut ScstCmd, pref_context: c_int);
    fn scst_tgt_cmd_done(cmd: *mut ScstCmd, pref_context: c_int);
    fn scst_cmd_aborted(cmd: *mut ScstCmd) -> bool;
    fn scst_cmd_get_dev_priv(cmd: *mut ScstCmd) -> *mut c_void;
    fn scst_cmd_lun_read_only(cmd: *mut ScstCmd) -> bool;
    fn scst_cmd_get_tgt_dev_priv(cmd: *mut ScstCmd) -> *mut c_void;
    fn scst_cmd_mode_params_changed(cmd: *mut ScstCmd);
    fn scst_rx_mgmt_fn_sync(
        sess: *mut ScstSession,
        func: c_int,
        lun: *const u8,
        tag: *mut c_void,
    ) -> c_int;
}

/// Performs task management function `func` (`SCST_ABORT_TASK`, ...) for
/// session `sess` and waits for it: `lun` for LUN-wide functions, `tag`
/// (the driver's private pointer of a command) for ABORT TASK.  Process
/// context only.  Returns an `SCST_MGMT_STATUS_*`.
///
/// # Safety
///
/// `sess` is a registered session handle.
pub(crate) unsafe fn task_mgmt(
    sess: *mut ScstSession,
    func: i32,
    lun: Option<&[u8; 8]>,
    tag: *mut c_void,
) -> i32 {
    let lun = lun.map_or(core::ptr::null(), |l| l.as_ptr());
    // SAFETY: `sess` is registered (contract); `lun` is null or 8 bytes.
    unsafe { scst_rx_mgmt_fn_sync(sess, func, lun, tag) }
}

/// The context a driver or handler calls the core from, which decides
/// what the core may do right there (see docs/api.md).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Context {
    /// Process context: the core may go on with the command here.
    Direct,
    /// Atomic context: the core goes on here only with callbacks flagged
    /// atomic, and hands the rest to its threads.
    Atomic,
    /// Hand the command to the core's threads.
    Thread,
    /// The process context of a submitter that must not wait for I/O (a
    /// block layer queue): the core goes on here, and leaves an `exec`
    /// that waits to its threads.
    Submit,
    /// From within a callback: the context the core called it in.
    Same,
}

impl Context {
    fn raw(self) -> c_int {
        match self {
            Context::Direct => super::abi::SCST_CONTEXT_DIRECT,
            Context::Atomic => super::abi::SCST_CONTEXT_DIRECT_ATOMIC,
            Context::Thread => super::abi::SCST_CONTEXT_THREAD,
            Context::Submit => super::abi::SCST_CONTEXT_SUBMIT,
            Context::Same => super::abi::SCST_CONTEXT_SAME,
        }
    }
}

/// Which way a command's data moves: as the initiator expects it
/// ([`Cmd::set_expected`]) or as decoded from the CDB
/// ([`Cmd::data_direction`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Direction {
    /// No data phase.
    None,
    /// Data-in: from the target to the initiator.
    Read,
    /// Data-out: from the initiator to the target.
    Write,
    /// Both ways.
    Bidi,
}

impl Direction {
    fn raw(self) -> u32 {
        match self {
            Direction::None => super::abi::SCST_DATA_NONE,
            Direction::Read => super::abi::SCST_DATA_READ,
            Direction::Write => super::abi::SCST_DATA_WRITE,
            Direction::Bidi => super::abi::SCST_DATA_BIDI,
        }
    }

    /// The core's value (it never gives another than the four).
    fn from_raw(v: u32) -> Self {
        match v {
            super::abi::SCST_DATA_READ => Direction::Read,
            super::abi::SCST_DATA_WRITE => Direction::Write,
            super::abi::SCST_DATA_BIDI => Direction::Bidi,
            _ => Direction::None,
        }
    }

    /// Whether data goes to the initiator.
    pub(crate) fn data_in(self) -> bool {
        matches!(self, Direction::Read | Direction::Bidi)
    }
}

/// A command's task attribute (SAM-5 8.6), which orders it among the
/// commands of its LUN.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum TaskAttr {
    /// No tag: treated as SIMPLE.
    Untagged,
    Simple,
    Ordered,
    HeadOfQueue,
    /// Refused (the core never establishes an ACA).
    Aca,
}

impl TaskAttr {
    /// The attribute of a SAM / iSCSI ATTR code (0 untagged, 1 simple, 2
    /// ordered, 3 head of queue, 4 ACA); a reserved code reads as ACA, and
    /// is refused with it.
    pub(crate) fn from_code(code: u8) -> Self {
        match code {
            0 => TaskAttr::Untagged,
            1 => TaskAttr::Simple,
            2 => TaskAttr::Ordered,
            3 => TaskAttr::HeadOfQueue,
            _ => TaskAttr::Aca,
        }
    }

    fn raw(self) -> c_int {
        match self {
            TaskAttr::Untagged => super::abi::SCST_CMD_QUEUE_UNTAGGED,
            TaskAttr::Simple => super::abi::SCST_CMD_QUEUE_SIMPLE,
            TaskAttr::Ordered => super::abi::SCST_CMD_QUEUE_ORDERED,
            TaskAttr::HeadOfQueue => super::abi::SCST_CMD_QUEUE_HEAD_OF_QUEUE,
            TaskAttr::Aca => super::abi::SCST_CMD_QUEUE_ACA,
        }
    }
}

/// A command, in a driver's or handler's hands.
///
/// # Invariants
///
/// `ptr` is a live command of the core: between `scst_rx_cmd` and
/// `scst_tgt_cmd_done`.
pub(crate) struct Cmd {
    ptr: NonNull<ScstCmd>,
}

// SAFETY: the core's commands may be handled from any thread.
unsafe impl Send for Cmd {}

impl Cmd {
    /// Creates a command for LUN `lun` (8-byte SAM format) of `sess`;
    /// `atomic`: the caller cannot sleep.  Returns `None` if the core
    /// refused it (it logs why).
    ///
    /// # Safety
    ///
    /// `sess` is a registered session handle.
    pub(crate) unsafe fn rx(
        sess: *mut ScstSession,
        lun: &[u8; 8],
        cdb: &[u8],
        tgt_priv: *mut c_void,
        atomic: bool,
    ) -> Option<Self> {
        let cdb_len = u32::try_from(cdb.len()).ok()?;
        // SAFETY: `sess` is registered (contract); the slices are valid for
        // their lengths, which the core copies.
        let p = unsafe {
            scst_rx_cmd(
                sess,
                lun.as_ptr(),
                8,
                cdb.as_ptr(),
                cdb_len,
                tgt_priv,
                atomic,
            )
        };
        NonNull::new(p).map(|ptr| Self { ptr })
    }

    /// Wraps a command the core passed to a callback.
    ///
    /// # Safety
    ///
    /// `p` is a live command the core passed to the caller.
    pub(crate) unsafe fn from_raw(p: *mut ScstCmd) -> Option<Self> {
        NonNull::new(p).map(|ptr| Self { ptr })
    }

    fn p(&self) -> *mut ScstCmd {
        self.ptr.as_ptr()
    }

    /// The raw handle, still owned by this wrapper.
    pub(crate) fn as_raw(&self) -> *mut ScstCmd {
        self.p()
    }

    /// Gives the handle up, to be carried through C code (an I/O's
    /// private pointer) and taken back with [`Cmd::from_raw`].
    pub(crate) fn into_raw(self) -> *mut ScstCmd {
        self.p()
    }

    /// Sets the direction and length the initiator expects.
    pub(crate) fn set_expected(&self, dir: Direction, len: u32) {
        // SAFETY: the command is live (invariant).
        unsafe { scst_cmd_set_expected(self.p(), dir.raw(), len) }
    }

    /// Sets the task attribute, before `init_done`.
    pub(crate) fn set_task_attr(&self, attr: TaskAttr) {
        self.set_queue_type(attr.raw())
    }

    /// Sets the task attribute as its raw `SCST_CMD_QUEUE_*` value (the
    /// ABI's tests pass ones the core must refuse).
    pub(crate) fn set_queue_type(&self, queue_type: c_int) {
        // SAFETY: the command is live (invariant).
        unsafe { scst_cmd_set_queue_type(self.p(), queue_type) }
    }

    /// Hands a received command to the core for processing.
    pub(crate) fn init_done(self, ctx: Context) {
        // SAFETY: the command is live; the core takes it over.
        unsafe { scst_cmd_init_done(self.p(), ctx.raw()) }
    }

    /// The residual to report (in `xmit_response`): positive for
    /// underflow, negative for overflow of the expected length.
    pub(crate) fn resid(&self) -> i64 {
        // SAFETY: the command is live (invariant).
        unsafe { scst_cmd_get_resid(self.p()) }
    }

    /// The handler's private pointer for the command's device (set in its
    /// `attach`); null if none.
    pub(crate) fn dev_priv(&self) -> *mut c_void {
        // SAFETY: the command is live (invariant).
        unsafe { scst_cmd_get_dev_priv(self.p()) }
    }

    /// The command (a MODE SELECT) changed its device's mode parameters:
    /// the other sessions get a unit attention.  Process context only.
    pub(crate) fn mode_params_changed(&self) {
        // SAFETY: the command is live (invariant).
        unsafe { scst_cmd_mode_params_changed(self.p()) }
    }

    /// The driver's private pointer given at `rx`.
    pub(crate) fn tgt_priv(&self) -> *mut c_void {
        // SAFETY: the command is live (invariant).
        unsafe { scst_cmd_get_tgt_priv(self.p()) }
    }

    /// The CDB.
    pub(crate) fn cdb(&self) -> &[u8] {
        let mut len = 0u32;
        // SAFETY: the command is live; the core returns its CDB copy,
        // valid while the command is.
        unsafe {
            let p = scst_cmd_get_cdb(self.p(), &mut len);
            core::slice::from_raw_parts(p, len as usize)
        }
    }

    /// The id of the device the command is for (0 if none).
    pub(crate) fn dev_id(&self) -> i32 {
        // SAFETY: the command is live (invariant).
        unsafe { scst_cmd_get_dev_id(self.p()) }
    }

    /// Decodes the CDB with the device's block size (a handler's `parse`
    /// calls this).  On error the core has set CHECK CONDITION already.
    pub(crate) fn decode(&self, block_size: u32) -> Result {
        // SAFETY: the command is live (invariant).
        kernel::error::to_result(unsafe { scst_cmd_decode(self.p(), block_size) })
    }

    /// The data direction decoded from the CDB.
    pub(crate) fn data_direction(&self) -> Direction {
        // SAFETY: the command is live (invariant).
        Direction::from_raw(unsafe { scst_cmd_get_data_direction(self.p()) })
    }

    /// The data buffer (the decoded transfer length).
    pub(crate) fn buffer(&mut self) -> &mut [u8] {
        let mut len = 0u32;
        // SAFETY: the command is live; the buffer is the core's, valid for
        // `len` bytes while the command is, and `&mut self` makes this the
        // only view of it.
        unsafe {
            let p = scst_cmd_get_buffer(self.p(), &mut len);
            if p.is_null() {
                return &mut [];
            }
            core::slice::from_raw_parts_mut(p, len as usize)
        }
    }

    /// The data buffer's length (the decoded transfer length).
    pub(crate) fn bufflen(&self) -> u32 {
        let mut len = 0u32;
        // SAFETY: the command is live (invariant); only the length is
        // read.
        let p = unsafe { scst_cmd_get_buffer(self.p(), &mut len) };
        if p.is_null() {
            0
        } else {
            len
        }
    }

    /// The data buffer, to be sent by page reference
    /// ([`crate::scst_rs::socket::Socket::send_pages`]): the core does not
    /// reuse it while the network holds its pages.
    pub(crate) fn lend_buffer(&mut self) -> &[u8] {
        // SAFETY: the command is live.
        unsafe { scst_cmd_lend_buffer(self.p()) };
        self.buffer()
    }

    /// Whether the core called the current callback (`xmit_response` of a
    /// driver flagged XMIT_RESPONSE_ATOMIC, ...) in atomic context: then
    /// the callback must not sleep and passes [`Context::Atomic`] on.
    pub(crate) fn atomic(&self) -> bool {
        // SAFETY: the command is live (invariant).
        unsafe { scst_cmd_atomic(self.p()) }
    }

    /// The context the core called the current callback in: `Direct`
    /// (process context), `Submit` (the driver's own submitting call,
    /// e.g. scst_local's `queuecommand`) or `Atomic`.
    pub(crate) fn context(&self) -> Context {
        // SAFETY: the command is live (invariant).
        match unsafe { scst_cmd_context(self.p()) } {
            super::abi::SCST_CONTEXT_SUBMIT => Context::Submit,
            super::abi::SCST_CONTEXT_DIRECT_ATOMIC => Context::Atomic,
            _ => Context::Direct,
        }
    }

    /// Offers the driver's own scatterlist (`nents` entries, `len` bytes)
    /// as the command's buffer, before `init_done`.  The core uses it,
    /// with no buffer of its own, when the handler allows it for the
    /// command and it is exactly the data the initiator expects.
    ///
    /// # Safety
    ///
    /// `sg` is a kernel scatterlist of `nents` entries holding at least
    /// `len` bytes, valid and untouched by the driver until it calls
    /// [`Cmd::tgt_done`].
    pub(crate) unsafe fn set_tgt_sg(&self, sg: *mut ScstSg, nents: u32, len: u32) {
        // SAFETY: the command is live (invariant); the list as the
        // function contract says.
        unsafe { scst_cmd_set_tgt_sg(self.p(), sg, nents, len) }
    }

    /// The handler (in `parse`) can take the driver's scatterlist as this
    /// command's buffer: it uses [`Cmd::tgt_sg`] when that is `Some`.
    pub(crate) fn allow_tgt_sg(&self) {
        // SAFETY: the command is live (invariant).
        unsafe { scst_cmd_allow_tgt_sg(self.p()) }
    }

    /// The handler (in `parse`) writes every byte of the data-in it
    /// answers with, or fails the command: the core then skips clearing a
    /// reused buffer, which it does so that no initiator reads another's
    /// data.
    pub(crate) fn set_fills_data(&self) {
        // SAFETY: the command is live (invariant).
        unsafe { scst_cmd_set_fills_data(self.p()) }
    }

    /// The handler (in `parse`): `exec` for this command only starts its
    /// I/O and returns, waiting for nothing, so the core may call it in a
    /// submitter's context ([`Context::Submit`]).
    pub(crate) fn set_exec_nowait(&self) {
        // SAFETY: the command is live (invariant).
        unsafe { scst_cmd_set_exec_nowait(self.p()) }
    }

    /// The driver's scatterlist, if it is the command's buffer (then
    /// [`Cmd::buffer`] is empty and the driver copies nothing).
    pub(crate) fn tgt_sg(&mut self) -> Option<SgList<'_>> {
        let (mut nents, mut len) = (0u32, 0u32);
        // SAFETY: the command is live (invariant).
        let sg = unsafe { scst_cmd_get_tgt_sg(self.p(), &mut nents, &mut len) };
        // SAFETY: the list the driver set, valid until `tgt_done` (the
        // contract of `set_tgt_sg`); `&mut self` makes this the only view.
        unsafe { SgList::from_raw(sg, nents, len) }
    }

    /// Whether the driver's scatterlist is the command's buffer.
    pub(crate) fn uses_tgt_sg(&mut self) -> bool {
        self.tgt_sg().is_some()
    }

    /// Sets how many bytes of the buffer hold data to return.
    pub(crate) fn set_resp_len(&self, len: u32) {
        // SAFETY: the command is live (invariant).
        unsafe { scst_cmd_set_resp_data_len(self.p(), len) }
    }

    /// Bytes of the buffer to return to the initiator.
    pub(crate) fn resp_len(&self) -> u32 {
        // SAFETY: the command is live (invariant).
        unsafe { scst_cmd_get_resp_data_len(self.p()) }
    }

    /// Whether the command's LUN is READ_ONLY in its group.
    pub(crate) fn lun_read_only(&self) -> bool {
        // SAFETY: the command is live (invariant).
        unsafe { scst_cmd_lun_read_only(self.p()) }
    }

    /// The value the handler set in `attach_tgt` for the command's session
    /// and LUN; null if none.  Process context only.  The nexus may go
    /// away as soon as this returns: treat the value as a token, not as a
    /// pointer to dereference.
    pub(crate) fn tgt_dev_priv(&self) -> *mut c_void {
        // SAFETY: the command is live (invariant).
        unsafe { scst_cmd_get_tgt_dev_priv(self.p()) }
    }

    /// Whether task management aborted the command: a driver must then not
    /// answer the initiator for it.
    pub(crate) fn aborted(&self) -> bool {
        // SAFETY: the command is live (invariant).
        unsafe { scst_cmd_aborted(self.p()) }
    }

    /// The SCSI status.
    pub(crate) fn status(&self) -> Status {
        // SAFETY: the command is live (invariant).
        Status(unsafe { scst_cmd_get_status(self.p()) })
    }

    /// The sense data (empty unless CHECK CONDITION).
    pub(crate) fn sense(&self) -> &[u8] {
        let mut len = 0u32;
        // SAFETY: the command is live; the sense buffer is the core's.
        unsafe {
            let p = scst_cmd_get_sense(self.p(), &mut len);
            if p.is_null() {
                return &[];
            }
            core::slice::from_raw_parts(p, len as usize)
        }
    }

    /// Finishes with CHECK CONDITION and sense data `s` (fixed format,
    /// with its INFORMATION and field pointer if it has them), and no data:
    /// whatever response length was set goes.
    pub(crate) fn fail(&self, s: Sense) {
        self.set_resp_len(0);
        self.set_status(Status::CHECK_CONDITION, &s.to_fixed());
    }

    /// Finishes with a status and, with CHECK CONDITION, sense data as it
    /// is (a real device's, for pass-through).
    pub(crate) fn set_status(&self, status: Status, sense: &[u8]) {
        let len = u32::try_from(sense.len()).unwrap_or(u32::MAX);
        // SAFETY: the command is live (invariant); `sense` is readable for
        // `len` bytes (the core copies at most that many).
        unsafe { scst_cmd_set_status(self.p(), status.0, sense.as_ptr(), len) }
    }

    /// The write data is in the buffer (or could not be received).
    pub(crate) fn rx_data(self, ok: bool, ctx: Context) {
        let st = if ok {
            super::abi::SCST_RX_STATUS_SUCCESS
        } else {
            super::abi::SCST_RX_STATUS_ERROR
        };
        // SAFETY: the command is live and waiting for its data.
        unsafe { scst_rx_data(self.p(), st, ctx.raw()) }
    }

    /// An `exec` that returned NOT_COMPLETED finished.
    pub(crate) fn done(self, ctx: Context) {
        // SAFETY: the command is live and being executed.
        unsafe { scst_cmd_done(self.p(), ctx.raw()) }
    }

    /// The driver has sent the response: the core frees the command.
    pub(crate) fn tgt_done(self, ctx: Context) {
        // SAFETY: the command is live; this is its last use.
        unsafe { scst_tgt_cmd_done(self.p(), ctx.raw()) }
    }
}
