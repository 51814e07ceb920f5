// SPDX-License-Identifier: GPL-2.0

//! The C-ABI entry points scst.ko exports (EXPORT_SYMBOL_GPL in
//! scst_glue.c).  This is the only place errors become errnos.
//!
//! The interface version is checked before anything else is read: a module
//! built against another layout may have passed a structure we would
//! misread.

use crate::registry::Shared;
use crate::scst_rs::{
    api::abi::{
        check_version, version_parts, ModulePtr, ScstCmd, ScstDevType, ScstSession, ScstSg,
        ScstTgt, ScstTgtTemplate, SCST_INTERFACE_VERSION,
    },
    sys,
};
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::{ffi::c_int, prelude::*, str::CStr, sync::Arc};

/// The core's state while scst.ko is loaded.
///
/// Set at the end of init and cleared at the start of exit.  Exported
/// functions are only called by modules that link against scst.ko, and the
/// module loader refuses to unload scst.ko while any of them is loaded, so
/// no call can overlap exit.
static CORE: AtomicPtr<Shared> = AtomicPtr::new(core::ptr::null_mut());

/// Publishes `shared` to the exported functions; `Published` withdraws it.
pub(crate) struct Published {
    _shared: Arc<Shared>,
}

impl Published {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        CORE.store(&*shared as *const Shared as *mut Shared, Ordering::Release);
        Self { _shared: shared }
    }
}

impl Drop for Published {
    fn drop(&mut self) {
        CORE.store(core::ptr::null_mut(), Ordering::Release);
    }
}

pub(crate) fn shared() -> Option<&'static Shared> {
    let p = CORE.load(Ordering::Acquire);
    // SAFETY: non-null only while a `Published` holds the `Arc`, which
    // outlives every caller (see `CORE`).
    (!p.is_null()).then(|| unsafe { &*p })
}

/// Checks `version`, logging why a module is refused.
fn version_ok(version: u64, who: &CStr, what: &str) -> bool {
    match check_version(version) {
        Ok(()) => true,
        Err((rev, fp)) => {
            let (our_rev, our_fp) = version_parts(SCST_INTERFACE_VERSION);
            pr_err!(
                "scst: {}: {} refused: built for SCST interface {}:{:08x}, this SCST provides {}:{:08x}; rebuild the module against this SCST\n",
                who, what, rev, fp, our_rev, our_fp
            );
            false
        }
    }
}

fn to_errno(r: Result) -> c_int {
    match r {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Registers a target driver.
///
/// # Safety
///
/// `owner` is the calling module; if `version` is ours, `tmpl` is null or a
/// template that stays valid and unchanged until unregistered.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_register_target_template(
    tmpl: *const ScstTgtTemplate,
    owner: ModulePtr,
    version: u64,
) -> c_int {
    // SAFETY: the caller is `owner` and stays loaded during the call.
    let who = unsafe { sys::module_name(owner) };
    if !version_ok(version, who, "target driver") {
        return EINVAL.to_errno();
    }
    let (Some(core), false) = (shared(), tmpl.is_null()) else {
        pr_err!("{}: null target template\n", who);
        return EINVAL.to_errno();
    };
    // SAFETY: non-null and valid until unregistration (function contract).
    let tmpl = unsafe { &*tmpl };
    let r = core.add_template(tmpl, who);
    if r.is_ok() {
        trace!(
            core,
            crate::trace::MGMT,
            "target driver {} registered\n",
            tmpl_name(tmpl)
        );
    }
    to_errno(r)
}

fn tmpl_name(t: &ScstTgtTemplate) -> &CStr {
    // SAFETY: registration checked the name is a valid C string.
    unsafe { CStr::from_char_ptr(t.name.cast()) }
}

/// Unregisters a target driver.
///
/// # Safety
///
/// `tmpl` was registered by the caller.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_unregister_target_template(tmpl: *const ScstTgtTemplate) {
    if let Some(core) = shared() {
        core.remove_template(tmpl);
    }
}

/// Registers a device handler.
///
/// # Safety
///
/// As [`scst_register_target_template`], for `dev_type`.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_register_dev_driver(
    dev_type: *const ScstDevType,
    owner: ModulePtr,
    version: u64,
) -> c_int {
    // SAFETY: the caller is `owner` and stays loaded during the call.
    let who = unsafe { sys::module_name(owner) };
    if !version_ok(version, who, "device handler") {
        return EINVAL.to_errno();
    }
    let (Some(core), false) = (shared(), dev_type.is_null()) else {
        pr_err!("{}: null device handler\n", who);
        return EINVAL.to_errno();
    };
    // SAFETY: non-null and valid until unregistration (function contract).
    let dev_type = unsafe { &*dev_type };
    let r = core.add_handler(dev_type, owner, who);
    if r.is_ok() {
        // SAFETY: registration checked the name is a valid C string.
        let name = unsafe { CStr::from_char_ptr(dev_type.name.cast()) };
        trace!(
            core,
            crate::trace::MGMT,
            "device handler {} for type {} registered\n",
            name,
            dev_type.type_
        );
    }
    to_errno(r)
}

/// Registers virtual device `name` of handler `dev_type`, which must be
/// registered with `SCST_DEV_VIRTUAL`.  Returns the device id (> 0) or a
/// negative errno.
///
/// # Safety
///
/// `name` is null or a NUL-terminated string valid for the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_register_virtual_device(
    dev_type: *const ScstDevType,
    name: *const core::ffi::c_char,
) -> c_int {
    let Some(core) = shared() else {
        return EINVAL.to_errno();
    };
    let who = kernel::c_str!("scst_register_virtual_device");
    // SAFETY: function contract.
    match unsafe { crate::devices::add_virtual(core, dev_type, name, who) } {
        // Ids are at most `i32::MAX` (devices::add_virtual).
        Ok(id) => id as c_int,
        Err(e) => e.to_errno(),
    }
}

/// Unregisters a virtual device, taking it out of every group.
#[no_mangle]
pub(crate) extern "C" fn scst_unregister_virtual_device(id: c_int) {
    if let (Some(core), Ok(id)) = (shared(), u32::try_from(id)) {
        let _ = crate::devices::remove(core, id);
    }
}

/// Unregisters a virtual device unless a group has it: then returns
/// -EBUSY (and logs which group), and the device stays.
#[no_mangle]
pub(crate) extern "C" fn scst_unregister_virtual_device_unused(id: c_int) -> c_int {
    let (Some(core), Ok(id)) = (shared(), u32::try_from(id)) else {
        return EINVAL.to_errno();
    };
    to_errno(crate::devices::remove_unused(core, id))
}

/// Gives every session that sees device `id` the unit attention
/// `asc`/`ascq` on that LUN (e.g. MEDIUM MAY HAVE CHANGED).
#[no_mangle]
pub(crate) extern "C" fn scst_dev_unit_attention(id: c_int, asc: u8, ascq: u8) {
    let (Some(core), Ok(id)) = (shared(), u32::try_from(id)) else {
        return;
    };
    let sense = crate::scst_rs::scsi::sense::Sense::new(
        crate::scst_rs::scsi::sense::SenseKey::UNIT_ATTENTION,
        asc,
        ascq,
    );
    crate::nexus::devices_reset(&mut core.registry.lock(), &[id], sense);
}

/// The /proc/scsi_tgt/<handler>/ directory (a `struct proc_dir_entry *`)
/// of a registered handler, for its own files; null if not registered.
/// Valid until the handler unregisters, which must come after its files
/// are removed.
#[no_mangle]
pub(crate) extern "C" fn scst_proc_get_dev_type_root(
    dev_type: *const ScstDevType,
) -> *mut core::ffi::c_void {
    let Some(core) = shared() else {
        return core::ptr::null_mut();
    };
    let reg = core.registry.lock();
    reg.handlers
        .iter()
        .find(|h| core::ptr::eq(h.dev_type, dev_type))
        .map_or(core::ptr::null_mut(), |h| h.dir.dir.as_raw())
}

/// The /proc/scsi_tgt/<name>/ directory of target driver `tmpl`, for the
/// driver's own files; null if it is not registered or has none
/// (SCST_TGT_NO_PROC_ENTRY).
#[no_mangle]
pub(crate) extern "C" fn scst_proc_get_tgt_root(
    tmpl: *const ScstTgtTemplate,
) -> *mut core::ffi::c_void {
    let Some(core) = shared() else {
        return core::ptr::null_mut();
    };
    let reg = core.registry.lock();
    reg.templates
        .iter()
        .find(|t| core::ptr::eq(t.tmpl, tmpl))
        .and_then(|t| t.dir.as_ref())
        .map_or(core::ptr::null_mut(), |d| d.dir.as_raw())
}

/// Registers target `name` of target driver `tmpl`; null on failure (the
/// log says why).
///
/// # Safety
///
/// `name` is null or a NUL-terminated string valid for the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_register_target(
    tmpl: *const ScstTgtTemplate,
    name: *const core::ffi::c_char,
) -> *mut ScstTgt {
    let Some(core) = shared() else {
        return core::ptr::null_mut();
    };
    // SAFETY: function contract.
    unsafe { crate::sessions::add_target(core, tmpl, name) }.unwrap_or(core::ptr::null_mut())
}

/// Unregisters a target and its remaining sessions.
#[no_mangle]
pub(crate) extern "C" fn scst_unregister_target(tgt: *mut ScstTgt) {
    if let Some(core) = shared() {
        crate::sessions::remove_target(core, tgt);
    }
}

/// Registers a session of `initiator` on `tgt`; null on failure.
///
/// # Safety
///
/// `initiator` is null or a NUL-terminated string valid for the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_register_session(
    tgt: *mut ScstTgt,
    initiator: *const core::ffi::c_char,
) -> *mut ScstSession {
    let Some(core) = shared() else {
        return core::ptr::null_mut();
    };
    // SAFETY: function contract.
    unsafe { crate::sessions::add_session(core, tgt, initiator) }.unwrap_or(core::ptr::null_mut())
}

/// Unregisters a session.
#[no_mangle]
pub(crate) extern "C" fn scst_unregister_session(sess: *mut ScstSession) {
    if let Some(core) = shared() {
        crate::sessions::remove_session(core, sess);
    }
}

/// Sets the driver's private pointer of a session (what `close_session`
/// passes back).  Returns 0, or -ESHUTDOWN if the session's access was
/// revoked before: the driver ends the session itself then.
///
/// # Safety
///
/// `sess` is a registered session of the caller.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_sess_set_tgt_priv(
    sess: *mut ScstSession,
    priv_: *mut core::ffi::c_void,
) -> c_int {
    // SAFETY: function contract.
    let s = unsafe { crate::sessions::trusted_session(sess) };
    match crate::sessions::set_tgt_priv(&s, priv_ as usize) {
        true => 0,
        false => -crate::scst_rs::sys::ESHUTDOWN,
    }
}

/// The driver's private pointer of a session (null until set).
///
/// # Safety
///
/// `sess` is a registered session of the caller (or one the core passes
/// to `close_session`).
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_sess_get_tgt_priv(
    sess: *mut ScstSession,
) -> *mut core::ffi::c_void {
    // SAFETY: function contract.
    let s = unsafe { crate::sessions::trusted_session(sess) };
    s.tgt_priv.load(Ordering::Acquire) as *mut core::ffi::c_void
}

/// Unregisters a device handler.
///
/// # Safety
///
/// `dev_type` was registered by the caller.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_unregister_dev_driver(dev_type: *const ScstDevType) {
    if let Some(core) = shared() {
        core.remove_handler(dev_type);
    }
}

// Commands.  Command handles are trusted: they are pointers the core gave
// to the driver (`scst_rx_cmd`) or passed to a callback, and a wrong one is
// a bug of the calling module, as with any C-ABI handle.

/// Creates a command of `sess` for the 8-byte SAM LUN at `lun`; null if
/// refused (the log says why).  `atomic`: the caller cannot sleep (the
/// session handle is then trusted, not looked up).
///
/// # Safety
///
/// `lun` is valid for `lun_len` bytes and `cdb` for `cdb_len` bytes; with
/// `atomic`, `sess` is a registered session of the caller.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_rx_cmd(
    sess: *mut ScstSession,
    lun: *const u8,
    lun_len: u32,
    cdb: *const u8,
    cdb_len: u32,
    tgt_priv: *mut core::ffi::c_void,
    atomic: bool,
) -> *mut ScstCmd {
    let Some(core) = shared() else {
        return core::ptr::null_mut();
    };
    if lun.is_null() || cdb.is_null() {
        return core::ptr::null_mut();
    }
    // SAFETY: function contract.
    let (lun, cdb) = unsafe {
        (
            core::slice::from_raw_parts(lun, lun_len as usize),
            core::slice::from_raw_parts(cdb, cdb_len as usize),
        )
    };
    crate::cmd::rx(core, sess, lun, cdb, tgt_priv, atomic).unwrap_or(core::ptr::null_mut())
}

/// Exported command functions that only forward to `crate::cmd`: the
/// command handle comes first, then the listed arguments.
///
/// Each function's `# Safety` is that of the `crate::cmd` function it
/// forwards to, which the generated body relies on.
macro_rules! cmd_exports {
    ($(
        $(#[$doc:meta])*
        fn $name:ident($($arg:ident: $ty:ty),*) $(-> $ret:ty)? => $target:ident;
    )*) => {$(
        $(#[$doc])*
        #[no_mangle]
        pub(crate) unsafe extern "C" fn $name(cmd: *mut ScstCmd $(, $arg: $ty)*) $(-> $ret)? {
            // SAFETY: the caller keeps this function's contract (its
            // `# Safety`), which is the forwardee's.
            unsafe { crate::cmd::$target(cmd $(, $arg)*) }
        }
    )*};
}

// Commands: accessors and stage transitions.
cmd_exports! {
    /// Sets the direction and length the initiator expects.
    ///
    /// # Safety
    ///
    /// `cmd` is a live command handle.
    fn scst_cmd_set_expected(dir: u32, len: u32) => set_expected;

    /// Sets the command's task attribute (`SCST_CMD_QUEUE_*`; SIMPLE if
    /// never called).
    ///
    /// # Safety
    ///
    /// `cmd` is a live command handle not yet passed to `scst_cmd_init_done`.
    fn scst_cmd_set_queue_type(queue_type: c_int) => set_queue_type;

    /// Starts processing a received command; `pref_context` is the caller's
    /// context (`SCST_CONTEXT_*`).
    ///
    /// # Safety
    ///
    /// `cmd` is a live command handle from `scst_rx_cmd`.
    fn scst_cmd_init_done(pref_context: c_int) => init_done;

    /// The residual to report: positive for underflow, negative for overflow
    /// of the initiator's expected transfer length.
    ///
    /// # Safety
    ///
    /// `cmd` is a live command handle passed to `xmit_response`.
    fn scst_cmd_get_resid() -> i64 => resid;

    /// # Safety
    ///
    /// `cmd` is a live command handle.
    fn scst_cmd_get_tgt_priv() -> *mut core::ffi::c_void => tgt_priv;

    /// # Safety
    ///
    /// `cmd` is a live command handle.
    fn scst_cmd_get_dev_id() -> c_int => dev_id;

    /// # Safety
    ///
    /// `cmd` is a live command handle.
    fn scst_cmd_get_data_direction() -> u32 => data_direction;

    /// # Safety
    ///
    /// `cmd` is a live command handle.
    fn scst_cmd_lend_buffer() => lend_buffer;

    /// # Safety
    ///
    /// `cmd` is a live command handle.
    fn scst_cmd_atomic() -> bool => in_atomic;

    /// # Safety
    ///
    /// `cmd` is a live command handle.
    fn scst_cmd_context() -> c_int => context;

    /// # Safety
    ///
    /// `cmd` is a live command handle not yet passed to `scst_cmd_init_done`;
    /// `sg` is null or a scatterlist of `nents` entries holding at least `len`
    /// bytes, valid until the driver calls `scst_tgt_cmd_done`.
    fn scst_cmd_set_tgt_sg(sg: *mut ScstSg, nents: u32, len: u32) => set_tgt_sg;

    /// # Safety
    ///
    /// `cmd` is a live command handle in `parse`.
    fn scst_cmd_allow_tgt_sg() => allow_tgt_sg;

    /// The handler writes every byte of the data-in it answers with: the core
    /// need not clear a reused buffer for it.
    ///
    /// # Safety
    ///
    /// `cmd` is a live command handle in `parse`.
    fn scst_cmd_set_fills_data() => set_fills_data;

    /// # Safety
    ///
    /// `cmd` is a live command handle in `parse`.
    fn scst_cmd_set_exec_nowait() => set_exec_nowait;

    /// # Safety
    ///
    /// `cmd` is a live command handle.
    fn scst_cmd_set_resp_data_len(len: u32) => set_resp_len;

    /// # Safety
    ///
    /// `cmd` is a live command handle.
    fn scst_cmd_get_resp_data_len() -> u32 => resp_len;

    /// # Safety
    ///
    /// `cmd` is a live command handle.
    fn scst_cmd_get_status() -> u8 => status;

    /// Finishes the command with CHECK CONDITION and this sense.
    ///
    /// # Safety
    ///
    /// `cmd` is a live command handle.
    fn scst_set_cmd_error(key: u8, asc: u8, ascq: u8) => set_error;

    /// The driver delivered a write's data (or failed to).
    ///
    /// # Safety
    ///
    /// `cmd` is a live command passed to `rdy_to_xfer`.
    fn scst_rx_data(status: c_int, pref_context: c_int) => rx_data;

    /// A handler finished an `exec` that returned NOT_COMPLETED.
    ///
    /// # Safety
    ///
    /// `cmd` is a live command being executed.
    fn scst_cmd_done(pref_context: c_int) => done;

    /// The driver sent the response; the command is freed.
    ///
    /// # Safety
    ///
    /// `cmd` is a live command; it is not used afterwards.
    fn scst_tgt_cmd_done(pref_context: c_int) => tgt_done;

    /// The handler's private pointer for the command's device (set with
    /// `scst_dev_set_priv` in `attach`); null if none.
    ///
    /// # Safety
    ///
    /// `cmd` is a live command handle.
    fn scst_cmd_get_dev_priv() -> *mut core::ffi::c_void => dev_priv;

    /// Whether the command's LUN was added READ_ONLY (handlers report it,
    /// e.g. as MODE SENSE's WP bit; the core already refuses writes).
    ///
    /// # Safety
    ///
    /// `cmd` is a live command handle.
    fn scst_cmd_lun_read_only() -> bool => lun_read_only;

    /// The value the handler set with `scst_tgt_dev_set_priv` for the
    /// command's session and LUN; null if none.  Process context only.  The
    /// entry may be detached as soon as this returns: a handler that stores a
    /// pointer here must keep the object alive by its own means (vdisk stores
    /// a plain token).
    ///
    /// # Safety
    ///
    /// `cmd` is a live command handle.
    fn scst_cmd_get_tgt_dev_priv() -> *mut core::ffi::c_void => tgt_dev_priv;

    /// The handler changed the mode parameters of the command's device (MODE
    /// SELECT): every other session that sees the device gets a MODE
    /// PARAMETERS CHANGED unit attention.  Process context only (in `exec`).
    ///
    /// # Safety
    ///
    /// `cmd` is a live command handle.
    fn scst_cmd_mode_params_changed() => mode_params_changed;

    /// Whether task management aborted the command: the driver must then not
    /// answer it.
    ///
    /// # Safety
    ///
    /// `cmd` is a live command handle.
    fn scst_cmd_aborted() -> bool => is_aborted;
}

/// # Safety
///
/// `cmd` is a live command handle; `len` is writable.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_cmd_get_cdb(cmd: *mut ScstCmd, len: *mut u32) -> *const u8 {
    // SAFETY: function contract.
    let (p, n) = unsafe { crate::cmd::cdb_ptr(cmd) };
    // SAFETY: function contract.
    unsafe { len.write(n) };
    p
}

/// Decodes the CDB with the device's block size (for a handler's parse).
///
/// # Safety
///
/// `cmd` is a live command handle in `parse`.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_cmd_decode(cmd: *mut ScstCmd, block_size: u32) -> c_int {
    // SAFETY: function contract.
    to_errno(unsafe { crate::cmd::decode(cmd, block_size) })
}

/// # Safety
///
/// `cmd` is a live command handle; `len` is writable.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_cmd_get_buffer(cmd: *mut ScstCmd, len: *mut u32) -> *mut u8 {
    // SAFETY: function contract.
    let (p, n) = unsafe { crate::cmd::buffer(cmd) };
    // SAFETY: function contract.
    unsafe { len.write(n) };
    p
}

/// # Safety
///
/// `cmd` is a live command handle; `nents` and `len` are writable.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_cmd_get_tgt_sg(
    cmd: *mut ScstCmd,
    nents: *mut u32,
    len: *mut u32,
) -> *mut ScstSg {
    // SAFETY: function contract.
    let (sg, n, l) = unsafe { crate::cmd::tgt_sg(cmd) };
    // SAFETY: function contract.
    unsafe {
        nents.write(n);
        len.write(l);
    }
    sg
}

/// # Safety
///
/// `cmd` is a live command handle; `len` is writable.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_cmd_get_sense(cmd: *mut ScstCmd, len: *mut u32) -> *const u8 {
    // SAFETY: function contract.
    let (p, n) = unsafe { crate::cmd::sense(cmd) };
    // SAFETY: function contract.
    unsafe { len.write(n) };
    p
}

/// A pass-through handler's result: the device's status byte and, with
/// CHECK CONDITION, its sense data as it is (`len` bytes at `sense`,
/// at most 96 kept).  Callable from any context.
///
/// # Safety
///
/// `cmd` is a live command handle; `sense` is null or readable for `len`
/// bytes.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_cmd_set_status(
    cmd: *mut ScstCmd,
    status: u8,
    sense: *const u8,
    len: u32,
) {
    let s: &[u8] = if sense.is_null() {
        &[]
    } else {
        // SAFETY: function contract.
        unsafe { core::slice::from_raw_parts(sense, len as usize) }
    };
    // SAFETY: function contract.
    unsafe { crate::cmd::set_status_raw(cmd, status, s) }
}

// Devices, in a handler's `attach` and `detach`.

/// The device's id (as returned by `scst_register_virtual_device`).
///
/// # Safety
///
/// `dev` is the handle passed to the running `attach` or `detach`.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_dev_get_id(
    dev: *mut crate::scst_rs::api::abi::ScstDevice,
) -> c_int {
    // SAFETY: function contract.
    unsafe { crate::attach::view(dev) }.id as c_int
}

/// The device's name (virtual) or "H:C:I:L" (real), NUL-terminated.
///
/// # Safety
///
/// `dev` is the handle passed to the running `attach` or `detach`.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_dev_get_name(
    dev: *mut crate::scst_rs::api::abi::ScstDevice,
) -> *const core::ffi::c_char {
    // SAFETY: function contract.
    unsafe { crate::attach::view(dev) }.name.cast()
}

/// A real device's `struct scsi_device` (null for a virtual one); valid
/// until the handler's `detach` returns.
///
/// # Safety
///
/// `dev` is the handle passed to the running `attach` or `detach`.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_dev_get_scsi_device(
    dev: *mut crate::scst_rs::api::abi::ScstDevice,
) -> *mut core::ffi::c_void {
    // SAFETY: function contract.
    unsafe { crate::attach::view(dev) }.sdev
}

/// Sets the handler's private pointer for the device (in `attach`).
///
/// # Safety
///
/// `dev` is the handle passed to the running `attach`.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_dev_set_priv(
    dev: *mut crate::scst_rs::api::abi::ScstDevice,
    p: *mut core::ffi::c_void,
) {
    // SAFETY: function contract.
    unsafe { crate::attach::view(dev) }.priv_ = p;
}

/// The handler (in `attach`) does this device's I/O without waiting for
/// it: a submitter may process the device's commands.
///
/// # Safety
///
/// `dev` is the handle passed to the running `attach`.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_dev_set_nowait(
    dev: *mut crate::scst_rs::api::abi::ScstDevice,
) {
    // SAFETY: function contract.
    unsafe { crate::attach::view(dev) }.nowait.all = true;
}

/// The handler (in `attach`) tries this device's READs without waiting
/// for I/O, returning `SCST_EXEC_NEED_THREAD` from `exec` when it would
/// wait: a submitter may process the device's READs.
///
/// # Safety
///
/// `dev` is the handle passed to the running `attach`.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_dev_set_nowait_reads(
    dev: *mut crate::scst_rs::api::abi::ScstDevice,
) {
    // SAFETY: function contract.
    unsafe { crate::attach::view(dev) }.nowait.reads = true;
}

/// As `scst_dev_set_nowait_reads`, for WRITE(6/10/12/16).
///
/// # Safety
///
/// `dev` is the handle passed to the running `attach`.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_dev_set_nowait_writes(
    dev: *mut crate::scst_rs::api::abi::ScstDevice,
) {
    // SAFETY: function contract.
    unsafe { crate::attach::view(dev) }.nowait.writes = true;
}

/// The table of the handler the device is being attached to or detached
/// from.
///
/// # Safety
///
/// `dev` is the handle passed to the running `attach` or `detach`.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_dev_get_dev_type(
    dev: *mut crate::scst_rs::api::abi::ScstDevice,
) -> *const crate::scst_rs::api::abi::ScstDevType {
    // SAFETY: function contract.
    unsafe { crate::attach::view(dev) }.dev_type
}

/// The handler's private pointer for the device.
///
/// # Safety
///
/// `dev` is the handle passed to the running `attach` or `detach`.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_dev_get_priv(
    dev: *mut crate::scst_rs::api::abi::ScstDevice,
) -> *mut core::ffi::c_void {
    // SAFETY: function contract.
    unsafe { crate::attach::view(dev) }.priv_
}
