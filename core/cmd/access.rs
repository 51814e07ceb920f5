// SPDX-License-Identifier: GPL-2.0

//! The accessors behind the exported `scst_cmd_*` functions.

use super::*;

/// # Safety
/// `p` is a live command handle.
pub(crate) unsafe fn is_aborted(p: *mut ScstCmd) -> bool {
    // SAFETY: function contract.
    aborted(unsafe { get(p) })
}

/// The command changed its device's mode parameters: the other sessions
/// that see the device get MODE PARAMETERS CHANGED.
///
/// # Safety
///
/// `p` is a live command handle.
pub(crate) unsafe fn mode_params_changed(p: *mut ScstCmd) {
    // SAFETY: function contract.
    let c = unsafe { get(p) };
    let Some(r) = c.route else { return };
    let mut reg = c.shared.registry.lock();
    nexus::devices_ua(
        &mut reg,
        &[r.dev_id],
        Sense::MODE_PARAMETERS_CHANGED,
        &*c.sess,
    );
}

/// Whether a command held by CONFIG_SCST_DEBUG_TM was aborted.
///
/// # Safety
///
/// `p` is a live command that the caller holds.
pub(crate) unsafe fn held_aborted(p: *mut Command) -> bool {
    // SAFETY: function contract.
    unsafe { (*p).state.aborted() }
}

/// # Safety
/// `p` is a live command handle.
pub(crate) unsafe fn set_expected(p: *mut ScstCmd, dir: u32, len: u32) {
    // SAFETY: function contract.
    unsafe { get(p) }.expected = Some((dir, len));
}

/// # Safety
/// `p` is a live command handle, before `init_done`.
pub(crate) unsafe fn set_queue_type(p: *mut ScstCmd, queue_type: c_int) {
    // SAFETY: function contract.
    unsafe { get(p) }.queue_type = queue_type;
}

/// The residual for the driver to report: positive, bytes of the
/// initiator's expected length not transferred (underflow); negative,
/// bytes the command had beyond it (overflow).  0 without an expected
/// length.
///
/// # Safety
/// `p` is a live command handle, after `xmit_response` was called.
pub(crate) unsafe fn resid(p: *mut ScstCmd) -> i64 {
    // SAFETY: function contract.
    let c = unsafe { get(p) };
    let Some((_, exp)) = c.expected else { return 0 };
    i64::from(exp) - i64::from(c.moved)
}

/// # Safety
/// `p` is a live command handle.
pub(crate) unsafe fn tgt_priv(p: *mut ScstCmd) -> *mut c_void {
    // SAFETY: function contract.
    unsafe { get(p) }.tgt_priv
}

/// # Safety
/// `p` is a live command handle.
pub(crate) unsafe fn cdb_ptr(p: *mut ScstCmd) -> (*const u8, u32) {
    // SAFETY: function contract.
    let c = unsafe { get(p) };
    (c.cdb.as_ptr(), c.cdb_len as u32)
}

/// # Safety
/// `p` is a live command handle.
pub(crate) unsafe fn dev_id(p: *mut ScstCmd) -> c_int {
    // SAFETY: function contract.
    unsafe { get(p) }.route.map_or(0, |r| r.dev_id as c_int)
}

/// # Safety
/// `p` is a live command handle.
pub(crate) unsafe fn dev_priv(p: *mut ScstCmd) -> *mut c_void {
    // SAFETY: function contract.
    unsafe { get(p) }
        .route
        .map_or(core::ptr::null_mut(), |r| r.dev_priv as *mut c_void)
}

/// The handler's `tgt_dev` private value for the command's session and
/// LUN; null if there is none (any more).  Takes `registry`.
///
/// # Safety
/// `p` is a live command handle.
pub(crate) unsafe fn tgt_dev_priv(p: *mut ScstCmd) -> *mut c_void {
    // SAFETY: function contract.
    let c = unsafe { get(p) };
    let Ok(lun) = lun::decode(&c.lun_raw) else {
        return core::ptr::null_mut();
    };
    let reg = c.shared.registry.lock();
    let t = reg
        .tgt_devs
        .iter()
        .find(|t| Arc::ptr_eq(&t.sess, &c.sess) && t.lun == lun);
    t.map_or(core::ptr::null_mut(), |t| t.priv_ as *mut c_void)
}

/// # Safety
/// `p` is a live command handle.
pub(crate) unsafe fn lun_read_only(p: *mut ScstCmd) -> bool {
    // SAFETY: function contract.
    unsafe { get(p) }.route.is_some_and(|r| r.read_only)
}

/// # Safety
/// `p` is a live command handle.
pub(crate) unsafe fn data_direction(p: *mut ScstCmd) -> u32 {
    // SAFETY: function contract.
    unsafe { get(p) }.decoded.map_or(SCST_DATA_NONE, |d| d.0)
}

/// # Safety
/// `p` is a live command handle.
pub(crate) unsafe fn buffer(p: *mut ScstCmd) -> (*mut u8, u32) {
    // SAFETY: function contract.
    let c = unsafe { get(p) };
    let b = c.buf();
    (b.as_mut_ptr(), b.len() as u32)
}

/// # Safety
/// `p` is a live command handle.
pub(crate) unsafe fn lend_buffer(p: *mut ScstCmd) {
    // SAFETY: function contract.
    if let Some(b) = unsafe { get(p) }.buf.as_mut() {
        b.lend();
    }
}

/// Whether the callback the core is in for this command was called in
/// atomic context.
///
/// # Safety
/// `p` is a live command handle.
pub(crate) unsafe fn in_atomic(p: *mut ScstCmd) -> bool {
    // SAFETY: function contract.
    unsafe { get(p) }.ctx == Ctx::Atomic
}

/// The context the callback the core is in for this command was called
/// in: `SCST_CONTEXT_DIRECT`, `_SUBMIT` or `_DIRECT_ATOMIC`.
///
/// # Safety
/// `p` is a live command handle.
pub(crate) unsafe fn context(p: *mut ScstCmd) -> c_int {
    // SAFETY: function contract.
    match unsafe { get(p) }.ctx {
        Ctx::Process => SCST_CONTEXT_DIRECT,
        Ctx::Submit => SCST_CONTEXT_SUBMIT,
        Ctx::Atomic => SCST_CONTEXT_DIRECT_ATOMIC,
    }
}

/// The handler in `parse`: this command's `exec` only starts its I/O and
/// returns (a bio submitted, nothing waited for).
///
/// # Safety
/// `p` is a live command handle.
pub(crate) unsafe fn set_exec_nowait(p: *mut ScstCmd) {
    // SAFETY: function contract.
    unsafe { get(p) }.exec_nowait = true;
}

/// Offers the driver's scatterlist as the command's buffer.
///
/// # Safety
/// `p` is a live command handle not yet passed to `init_done`; `sg` as
/// `scst_cmd_set_tgt_sg` says.
pub(crate) unsafe fn set_tgt_sg(p: *mut ScstCmd, sg: *mut ScstSg, nents: u32, len: u32) {
    // SAFETY: function contract.
    let c = unsafe { get(p) };
    c.tgt_sg = (!sg.is_null() && nents > 0).then_some(TgtSg { sg, nents, len });
}

/// The handler in `parse` takes the driver's scatterlist for this command.
///
/// # Safety
/// `p` is a live command handle.
pub(crate) unsafe fn allow_tgt_sg(p: *mut ScstCmd) {
    // SAFETY: function contract.
    unsafe { get(p) }.sg_allowed = true;
}

/// The handler in `parse` promises to write every data-in byte it
/// answers with.
///
/// # Safety
/// `p` is a live command handle.
pub(crate) unsafe fn set_fills_data(p: *mut ScstCmd) {
    // SAFETY: function contract.
    unsafe { get(p) }.fills_data = true;
}

/// The driver's scatterlist if it is the command's buffer: (list, entries,
/// bytes), or null.
///
/// # Safety
/// `p` is a live command handle.
pub(crate) unsafe fn tgt_sg(p: *mut ScstCmd) -> (*mut ScstSg, u32, u32) {
    // SAFETY: function contract.
    let c = unsafe { get(p) };
    match c.tgt_sg.filter(|_| c.in_tgt_sg) {
        Some(t) => (t.sg, t.nents, t.len),
        None => (core::ptr::null_mut(), 0, 0),
    }
}

/// # Safety
/// `p` is a live command handle.
pub(crate) unsafe fn set_resp_len(p: *mut ScstCmd, len: u32) {
    // SAFETY: function contract.
    unsafe { get(p) }.set_resp(len);
}

/// # Safety
/// `p` is a live command handle.
pub(crate) unsafe fn resp_len(p: *mut ScstCmd) -> u32 {
    // SAFETY: function contract.
    unsafe { get(p) }.resp_len
}

/// # Safety
/// `p` is a live command handle.
pub(crate) unsafe fn status(p: *mut ScstCmd) -> u8 {
    // SAFETY: function contract.
    unsafe { get(p) }.status
}

/// # Safety
/// `p` is a live command handle.
pub(crate) unsafe fn sense(p: *mut ScstCmd) -> (*const u8, u32) {
    // SAFETY: function contract.
    let c = unsafe { get(p) };
    (c.sense.as_ptr(), c.sense_len as u32)
}

/// Sets the status a real device returned and, with CHECK CONDITION, its
/// sense bytes unchanged (cut to `SENSE_LEN`).  The response length stays
/// what the handler set: a device may return data with a CHECK CONDITION
/// (a short tape read).
///
/// # Safety
/// `p` is a live command handle.
pub(crate) unsafe fn set_status_raw(p: *mut ScstCmd, status: u8, sense: &[u8]) {
    // SAFETY: function contract.
    let c = unsafe { get(p) };
    let n = sense.len().min(SENSE_LEN);
    c.status = status;
    c.sense_len = 0;
    if status == Status::CHECK_CONDITION.0 {
        if let (Some(dst), Some(src)) = (c.sense.get_mut(..n), sense.get(..n)) {
            dst.copy_from_slice(src);
            c.sense_len = n;
        }
    }
}

/// # Safety
/// `p` is a live command handle.
pub(crate) unsafe fn set_error(p: *mut ScstCmd, key: u8, asc: u8, ascq: u8) {
    // SAFETY: function contract.
    unsafe { get(p) }.set_sense(Sense::new(SenseKey::new(key), asc, ascq));
}
