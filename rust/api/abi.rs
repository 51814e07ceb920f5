// SPDX-License-Identifier: GPL-2.0

//! The SCST public interface: the `#[repr(C)]` types that scst.ko and every
//! module registering with it share.  This file is `no_std` and free of the
//! `kernel` crate so that host tests (`cargo test`) check it too.
//!
//! A module passes [`SCST_INTERFACE_VERSION`] with every registration.  The
//! version carries a revision and a fingerprint of the layouts below, so a
//! module built against another definition of the interface is refused by
//! the core instead of crashing on a misread structure.

use core::ffi::{c_char, c_int, c_void};
use core::mem::{align_of, size_of};
use core::sync::atomic::AtomicU32;

/// Bumped whenever the meaning of the interface changes without its layout
/// changing (a new flag bit, a callback with a new contract, ...).
pub const SCST_INTERFACE_REVISION: u32 = 4;

macro_rules! opaque {
    ($($(#[$m:meta])* $name:ident),* $(,)?) => {$(
        $(#[$m])*
        #[repr(C)]
        pub struct $name {
            _private: [u8; 0],
        }
    )*};
}

opaque! {
    /// A SCSI command, owned by the core.
    ScstCmd,
    /// A task-management request, owned by the core.
    ScstMgmtCmd,
    /// A target (one SCSI target port of a target driver).
    ScstTgt,
    /// An I_T nexus: one initiator logged in to one target.
    ScstSession,
    /// A SCSI device known to the core.
    ScstDevice,
    /// A device as seen through one session (an I_T_L nexus).
    ScstTgtDev,
    /// A kernel `struct scatterlist`: a target driver's data buffer
    /// (`scst_cmd_set_tgt_sg`).
    ScstSg,
}

/// Commands the core accepts in flight per LUN of a session; more are
/// answered TASK SET FULL.  A SCSI host in front of the core (scst_local)
/// queues this many per device.
pub const SCST_MAX_LUN_COMMANDS: i16 = 64;

/// `xmit_response` may be called in atomic context.
pub const SCST_TGT_XMIT_RESPONSE_ATOMIC: u32 = 1 << 0;
/// `rdy_to_xfer` may be called in atomic context.
pub const SCST_TGT_RDY_TO_XFER_ATOMIC: u32 = 1 << 1;
/// `preprocessing_done` may be called in atomic context.
pub const SCST_TGT_PREPROCESSING_DONE_ATOMIC: u32 = 1 << 2;
/// The driver wants no `/proc/scsi_tgt/<name>/` directory.
pub const SCST_TGT_NO_PROC_ENTRY: u32 = 1 << 3;
/// Every defined target-template flag.
pub const SCST_TGT_FLAGS_ALL: u32 = (1 << 4) - 1;

/// A target driver's description of itself.  It must stay valid and
/// unchanged from registration until unregistration.
#[repr(C)]
pub struct ScstTgtTemplate {
    /// Driver name: 1..=63 printable ASCII bytes, no '/', NUL-terminated.
    pub name: *const c_char,
    /// Most scatter-gather entries the driver takes in one command.
    pub sg_tablesize: c_int,
    /// SCST threads to start for this driver (0: the global pool only).
    pub threads_num: c_int,
    /// `SCST_TGT_*` flags.
    pub flags: u32,
    /// Finds and registers the driver's targets; returns how many.
    pub detect: Option<unsafe extern "C" fn(tmpl: *const ScstTgtTemplate) -> c_int>,
    /// Releases a target before it is unregistered.
    pub release: Option<unsafe extern "C" fn(tgt: *mut ScstTgt) -> c_int>,
    /// Sends a command's data and status to the initiator, then calls
    /// `scst_tgt_cmd_done`.  Returns [`SCST_TGT_RES_SUCCESS`]; anything
    /// else means the driver did not take the command: it has made and
    /// will make no call for it: the core frees it unanswered (and logs it).
    pub xmit_response: Option<unsafe extern "C" fn(cmd: *mut ScstCmd) -> c_int>,
    /// Asks the initiator for a write command's data, then calls
    /// `scst_rx_data`.  Returns [`SCST_TGT_RES_SUCCESS`]; anything else
    /// means the driver did not take the command: it has made and will
    /// make no call for it: the core fails it with INTERNAL TARGET FAILURE, which goes
    /// to `xmit_response` (and logs it).
    pub rdy_to_xfer: Option<unsafe extern "C" fn(cmd: *mut ScstCmd) -> c_int>,
    /// The command is about to be freed.
    pub on_free_cmd: Option<unsafe extern "C" fn(cmd: *mut ScstCmd)>,
    /// A task-management request the driver submitted is complete.
    pub task_mgmt_fn_done: Option<unsafe extern "C" fn(mcmd: *mut ScstMgmtCmd)>,
    /// The core has parsed the command; the driver may prepare its buffers.
    pub preprocessing_done: Option<unsafe extern "C" fn(cmd: *mut ScstCmd) -> c_int>,
    /// The driver's trace level (`trace` level bits), shown and changed in
    /// /proc/scsi_tgt/<name>/trace_level; null for none.
    pub trace_flags: *const AtomicU32,
    /// The core asks the driver to end a session whose initiator lost
    /// its access (its name was removed from the group the session is
    /// bound to): the driver drops the connection, and unregisters the
    /// session as when the initiator leaves.  `tgt_priv` is the session's
    /// private pointer (`scst_sess_set_tgt_priv`), never null: a session
    /// revoked before its driver set one is reported by that call
    /// instead.  Called with the core's registry locked: it must not call
    /// into the core or wait for anything that does; it may sleep
    /// briefly.  The session's commands find no LUN from the moment of
    /// the change, whether or not the driver has this.  None: such
    /// sessions stay, without LUNs, until the driver ends them itself.
    pub close_session: Option<unsafe extern "C" fn(sess: *mut ScstSession, tgt_priv: *mut c_void)>,
}

/// `exec` is synchronous: it always finishes the command before it
/// returns (`SCST_EXEC_COMPLETED`).  The core checks the promise and logs a
/// handler that breaks it.
pub const SCST_DEV_EXEC_SYNC: u32 = 1 << 0;
/// `exec` may be called in atomic context.
pub const SCST_DEV_EXEC_ATOMIC: u32 = 1 << 1;
/// `parse` may be called in atomic context.
pub const SCST_DEV_PARSE_ATOMIC: u32 = 1 << 2;
/// `dev_done` may be called in atomic context.
pub const SCST_DEV_DEV_DONE_ATOMIC: u32 = 1 << 3;
/// A handler of virtual devices (registered by name, not attached to real
/// SCSI devices).
pub const SCST_DEV_VIRTUAL: u32 = 1 << 4;
/// Every defined device-handler flag.
pub const SCST_DEV_FLAGS_ALL: u32 = (1 << 5) - 1;

/// A device handler's description of itself.  It must stay valid and
/// unchanged from registration until unregistration.
#[repr(C)]
pub struct ScstDevType {
    /// Handler name, with the same rules as a target driver name.
    pub name: *const c_char,
    /// SCSI peripheral device type served (0x00..=0x1f).
    pub type_: c_int,
    /// SCST threads to start for this handler (0: the global pool only).
    pub threads_num: c_int,
    /// `SCST_DEV_*` flags.
    pub flags: u32,
    /// Decodes the CDB: direction, transfer length, timeouts.
    pub parse: Option<unsafe extern "C" fn(cmd: *mut ScstCmd) -> c_int>,
    /// Allocates the command's data buffer itself (else the core does).
    pub alloc_data_buf: Option<unsafe extern "C" fn(cmd: *mut ScstCmd) -> c_int>,
    /// Executes the command.
    pub exec: Option<unsafe extern "C" fn(cmd: *mut ScstCmd) -> c_int>,
    /// Post-processes a completed command.  Returns
    /// [`SCST_CMD_STATE_DEFAULT`] or 0 (the command goes on to the
    /// driver); other values are logged (once) and otherwise ignored.
    pub dev_done: Option<unsafe extern "C" fn(cmd: *mut ScstCmd) -> c_int>,
    /// A device is being attached to the handler.
    pub attach: Option<unsafe extern "C" fn(dev: *mut ScstDevice) -> c_int>,
    /// A device is being detached from the handler.
    pub detach: Option<unsafe extern "C" fn(dev: *mut ScstDevice)>,
    /// A session gains access to one of the handler's devices.
    pub attach_tgt: Option<unsafe extern "C" fn(tgt_dev: *mut ScstTgtDev) -> c_int>,
    /// A session loses access to one of the handler's devices.
    pub detach_tgt: Option<unsafe extern "C" fn(tgt_dev: *mut ScstTgtDev)>,
    /// Handler part of a task-management function.
    pub task_mgmt_fn:
        Option<unsafe extern "C" fn(mcmd: *mut ScstMgmtCmd, tgt_dev: *mut ScstTgtDev) -> c_int>,
    /// The handler's trace level, as for `ScstTgtTemplate::trace_flags`.
    pub trace_flags: *const AtomicU32,
}

// SAFETY: templates are immutable while registered, and their pointers refer
// to data that lives at least as long (documented contract above).
unsafe impl Sync for ScstTgtTemplate {}
// SAFETY: as for `ScstTgtTemplate`.
unsafe impl Sync for ScstDevType {}

/// No data phase.
pub const SCST_DATA_NONE: u32 = 0;
/// Data-in: from the target to the initiator.
pub const SCST_DATA_READ: u32 = 1;
/// Data-out: from the initiator to the target.
pub const SCST_DATA_WRITE: u32 = 2;
/// Both ways.
pub const SCST_DATA_BIDI: u32 = 3;

/// Where the caller of `scst_cmd_init_done`, `scst_rx_data`,
/// `scst_cmd_done` or `scst_tgt_cmd_done` is, and so where the core may
/// go on with the command: process context, so anything may run here.
pub const SCST_CONTEXT_DIRECT: c_int = 0;
/// Atomic context (spinlock held, softirq, interrupt): only the stages
/// whose callbacks are flagged atomic run here; the rest go to the SCST
/// threads.
pub const SCST_CONTEXT_DIRECT_ATOMIC: c_int = 1;
/// Hand the command to the SCST threads, whatever the context.
pub const SCST_CONTEXT_THREAD: c_int = 3;
/// From within a callback (`rdy_to_xfer`, `xmit_response`, `exec`): the
/// context the core called that callback in, as SCST's.
pub const SCST_CONTEXT_SAME: c_int = 4;
/// The process context of a submitter that must not wait for I/O (a
/// block layer queue, as scst_local's): the core goes on here, but an
/// `exec` that waits for I/O goes to the SCST threads (the handler marks
/// the ones that do not with `scst_cmd_set_exec_nowait`).
pub const SCST_CONTEXT_SUBMIT: c_int = 5;

/// Task attribute: untagged (treated as SIMPLE).
pub const SCST_CMD_QUEUE_UNTAGGED: c_int = 0;
/// Task attribute SIMPLE (the default).
pub const SCST_CMD_QUEUE_SIMPLE: c_int = 1;
/// Task attribute ORDERED.
pub const SCST_CMD_QUEUE_ORDERED: c_int = 2;
/// Task attribute HEAD OF QUEUE.
pub const SCST_CMD_QUEUE_HEAD_OF_QUEUE: c_int = 3;
/// Task attribute ACA (refused: the core never establishes an ACA).
pub const SCST_CMD_QUEUE_ACA: c_int = 4;

/// `exec` finished the command (status and data are set).
pub const SCST_EXEC_COMPLETED: i32 = 0;
/// `exec` will finish the command later with `scst_cmd_done`.
pub const SCST_EXEC_NOT_COMPLETED: i32 = 1;
/// `exec`, called outside a thread (`SCST_CONTEXT_SUBMIT` or atomic),
/// would have waited and did nothing: the core calls it again from a
/// thread.  Never from a thread (the command would fail).
pub const SCST_EXEC_NEED_THREAD: i32 = 2;

/// `xmit_response` / `rdy_to_xfer` took the command.
pub const SCST_TGT_RES_SUCCESS: i32 = 0;
/// `xmit_response` / `rdy_to_xfer` could not take the command: the
/// driver has made and will make no call for it (SCST's value; any non-zero one means the same,
/// SCST's QUEUE_FULL and NEED_THREAD_CTX retries are not offered).
pub const SCST_TGT_RES_FATAL_ERROR: i32 = -3;

/// `dev_done`: the command goes on as usual (SCST's value; 0, which
/// earlier revisions of this interface returned, means the same).
pub const SCST_CMD_STATE_DEFAULT: i32 = 500;

/// `scst_rx_data`: the write data arrived.
pub const SCST_RX_STATUS_SUCCESS: i32 = 0;
/// `scst_rx_data`: the write data could not be received.
pub const SCST_RX_STATUS_ERROR: i32 = 1;

/// Task management: ABORT TASK (the command with the given driver tag).
pub const SCST_ABORT_TASK: i32 = 0;
/// ABORT TASK SET: the session's commands to the LUN.
pub const SCST_ABORT_TASK_SET: i32 = 1;
/// CLEAR ACA (no ACA is ever established: succeeds).
pub const SCST_CLEAR_ACA: i32 = 2;
/// CLEAR TASK SET: every session's commands to the LUN's device.
pub const SCST_CLEAR_TASK_SET: i32 = 3;
/// LUN RESET: as CLEAR TASK SET, plus reservations released and a reset
/// unit attention for every session that sees the device.
pub const SCST_LUN_RESET: i32 = 4;
/// TARGET RESET: LUN RESET of every LUN of the session's target.
pub const SCST_TARGET_RESET: i32 = 5;
/// I_T nexus loss: the session's commands.
pub const SCST_NEXUS_LOSS_SESS: i32 = 6;

/// Task management result: done.
pub const SCST_MGMT_STATUS_SUCCESS: i32 = 0;
/// ABORT TASK: no such command (it may have finished already).
pub const SCST_MGMT_STATUS_TASK_NOT_EXIST: i32 = -1;
/// The LUN does not exist for the session.
pub const SCST_MGMT_STATUS_LUN_NOT_EXIST: i32 = -2;
/// Unknown function.
pub const SCST_MGMT_STATUS_FN_NOT_SUPPORTED: i32 = -5;
/// Refused (bad arguments).
pub const SCST_MGMT_STATUS_REJECTED: i32 = -255;

/// The trace level a module's `trace_flags` should start with: the core's
/// default (out_of_mem, minor, special, mgmt, mgmt_minor; see
/// core/trace.rs, whose tests check the two agree).
pub const SCST_TRACE_DEFAULT: u32 = (1 << 0) | (1 << 1) | (1 << 10) | (1 << 12) | (1 << 13);

/// An opaque `struct module *`, kept opaque so this file builds on the host.
pub type ModulePtr = *mut c_void;

const fn mix(h: u32, v: usize) -> u32 {
    // FNV-1a over the value's low 32 bits.
    let mut h = h;
    let mut i = 0;
    while i < 4 {
        h ^= ((v >> (8 * i)) & 0xff) as u32;
        h = h.wrapping_mul(0x0100_0193);
        i += 1;
    }
    h
}

/// A fingerprint of every shared layout.  Any field added, removed or
/// resized changes it.
pub const fn layout_fingerprint() -> u32 {
    let mut h = 0x811c_9dc5;
    h = mix(h, size_of::<ScstTgtTemplate>());
    h = mix(h, align_of::<ScstTgtTemplate>());
    h = mix(h, size_of::<ScstDevType>());
    h = mix(h, align_of::<ScstDevType>());
    h = mix(h, SCST_TGT_FLAGS_ALL as usize);
    h = mix(h, SCST_DEV_FLAGS_ALL as usize);
    h
}

/// What a module passes with each registration.
pub const SCST_INTERFACE_VERSION: u64 =
    ((SCST_INTERFACE_REVISION as u64) << 32) | layout_fingerprint() as u64;

/// Splits a version into (revision, layout fingerprint) for messages.
pub const fn version_parts(v: u64) -> (u32, u32) {
    ((v >> 32) as u32, v as u32)
}

/// Checks a version a module passed at registration.  On mismatch returns
/// the module's (revision, fingerprint) for the log message.
pub const fn check_version(v: u64) -> Result<(), (u32, u32)> {
    if v == SCST_INTERFACE_VERSION {
        Ok(())
    } else {
        Err(version_parts(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_version_is_accepted() {
        assert_eq!(check_version(SCST_INTERFACE_VERSION), Ok(()));
    }

    #[test]
    fn other_revision_or_layout_is_refused() {
        let (rev, fp) = version_parts(SCST_INTERFACE_VERSION);
        assert_eq!(rev, SCST_INTERFACE_REVISION);
        assert_eq!(
            check_version(SCST_INTERFACE_VERSION + 1),
            Err((rev, fp.wrapping_add(1)))
        );
        let other_rev = ((rev as u64 + 1) << 32) | fp as u64;
        assert_eq!(check_version(other_rev), Err((rev + 1, fp)));
        assert!(check_version(0).is_err());
    }

    #[test]
    fn fingerprint_follows_layout() {
        // Adding a field changes the size and so the fingerprint.
        let base = layout_fingerprint();
        let mut h = 0x811c_9dc5;
        h = mix(h, size_of::<ScstTgtTemplate>() + size_of::<usize>());
        assert_ne!(h, base);
        assert_eq!(base, layout_fingerprint(), "deterministic");
    }

    #[test]
    fn flag_masks_cover_every_flag() {
        for f in [
            SCST_TGT_XMIT_RESPONSE_ATOMIC,
            SCST_TGT_RDY_TO_XFER_ATOMIC,
            SCST_TGT_PREPROCESSING_DONE_ATOMIC,
            SCST_TGT_NO_PROC_ENTRY,
        ] {
            assert_eq!(f & SCST_TGT_FLAGS_ALL, f);
        }
        for f in [
            SCST_DEV_EXEC_SYNC,
            SCST_DEV_EXEC_ATOMIC,
            SCST_DEV_PARSE_ATOMIC,
            SCST_DEV_DEV_DONE_ATOMIC,
            SCST_DEV_VIRTUAL,
        ] {
            assert_eq!(f & SCST_DEV_FLAGS_ALL, f);
        }
    }
}
