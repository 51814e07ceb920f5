// SPDX-License-Identifier: GPL-2.0

//! scst_api_test: uses every call of the SCST registration API, so VM tests
//! can watch the core's side of each.
//!
//! It registers the target driver `scst_api_test_tgt` with one target,
//! `scst_api_test_tgt0`, the virtual-device handler `scst_api_test_dev`
//! with one device, `apitest0`, the pass-through handler `scst_api_test_pt`
//! (type 0, which takes the midlayer's disks), and one session on the
//! target for each name in the `initiators` parameter (comma-separated).
//! Both handlers log `attach` and `detach` of each device and check that
//! the private pointer set in `attach` comes back in `detach`.
//!
//! With `async_sessions=1` the sessions are registered and unregistered
//! with the asynchronous calls, and each result is logged ("session
//! registered asynchronously: result R").  With `tm_func=F` (an
//! `SCST_*` task-management function), each session then performs F on
//! LUN 0 once synchronously and once asynchronously, logging both
//! statuses ("task management F sync: status S" and "... async: ...").
//!
//! With `order_test=1`, the first session sends four commands to LUN 0
//! at once: a READ (SIMPLE), a TEST UNIT READY (ORDERED), another (SIMPLE)
//! and a third (HEAD OF QUEUE), and logs the order their responses came
//! in ("task attributes: responses in order 1 4 2 3"; tests/vm/150 says
//! why that is the right order with test_disk under LUN 0).
//!
//! With `misuse_test=1`, the first session breaks the command protocol
//! the way a buggy driver would, to exercise CONFIG_SCST_EXTRACHECKS: it
//! calls `scst_tgt_cmd_done` before `scst_cmd_init_done`, `scst_rx_data`
//! from `xmit_response`, and `scst_cmd_init_done` with
//! `SCST_CONTEXT_DIRECT` while holding an irq-disabling spinlock; then
//! logs "misuse test: N of 2 commands answered".
//!
//! With `abort_done_test=1`, the first session sends a TEST UNIT READY
//! whose response `xmit_response` holds (the core has finished the
//! command), asks for ABORT TASK of it, lets the response go once the
//! core has marked the command aborted, and logs the function's status ("task management 0 async: status S"):
//! 0 (the task was aborted) by default, -1 (TASK NOT EXIST) with
//! CONFIG_SCST_ABORT_CONSIDER_FINISHED_TASKS_AS_NOT_EXISTING.
//!
//! With `refuse_test=1`, the first session sends a TEST UNIT READY whose
//! `xmit_response` returns `SCST_TGT_RES_FATAL_ERROR` without answering,
//! and a WRITE(10) of one block whose `rdy_to_xfer` does the same; it
//! logs "refuse test: N refused responses, write answered A status S
//! sense K/ASC/ASCQ". The core must free the first command (else the
//! module's session never unregisters) and fail the second with
//! INTERNAL TARGET FAILURE (else it is never answered).
//!
//! `iface_version_delta` is added to the layout half and
//! `iface_revision_delta` to the revision half of the interface version the
//! module claims: either non-zero makes the core refuse the registration,
//! and loading fails with EINVAL.  All parameters are in api_test_glue.c.

use core::ffi::c_void;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering};
use kernel::{c_str, ffi::c_int, fmt, new_mutex, prelude::*, str::CStr, str::CString, sync::Mutex};

#[path = "../../rust/mod.rs"]
mod scst_rs;

use scst_rs::api::{
    abi::{
        ScstCmd, ScstDevType, ScstDevice, ScstMgmtCmd, ScstSession, ScstTgt, ScstTgtTemplate,
        SCST_ABORT_TASK, SCST_CMD_QUEUE_HEAD_OF_QUEUE, SCST_CMD_QUEUE_ORDERED,
        SCST_CMD_QUEUE_SIMPLE, SCST_DEV_VIRTUAL, SCST_INTERFACE_VERSION, SCST_TGT_RES_FATAL_ERROR,
    },
    client::{
        DevDriverRegistration, SessionRegistration, TargetRegistration, TargetTemplateRegistration,
        VirtualDeviceRegistration,
    },
    cmd::{task_mgmt, Cmd, Context, Direction},
    dev::DevRef,
    mgmt::{register_session_async, task_mgmt_async, unregister_session_async, MgmtRef},
};

/// This module's trace level (/proc/scsi_tgt/<name>/trace_level).
static TRACE: core::sync::atomic::AtomicU32 =
    core::sync::atomic::AtomicU32::new(scst_rs::api::abi::SCST_TRACE_DEFAULT);

module! {
    type: ApiTest,
    name: "scst_api_test",
    author: "SCST-rs developers",
    description: "Test-only user of the SCST registration API",
    license: "GPL",
}

extern "C" {
    // This module's own parameters, in api_test_glue.c.
    fn scst_api_test_version_delta() -> c_int;
    fn scst_api_test_revision_delta() -> c_int;
    fn scst_api_test_initiators() -> *const kernel::ffi::c_char;
    fn scst_api_test_async_sessions() -> bool;
    fn scst_api_test_tm_func() -> c_int;
    fn scst_api_test_abort_done_test() -> bool;
    fn scst_api_test_order_test() -> bool;
    fn scst_api_test_misuse_test() -> bool;
    fn scst_api_test_refuse_test() -> bool;
}

/// `refuse_test`'s commands: `xmit_response` refuses the first,
/// `rdy_to_xfer` the second.
const REFUSE_XMIT_TAG: usize = 0x31;
const REFUSE_RDY_TAG: usize = 0x32;
static REFUSED: AtomicU32 = AtomicU32::new(0);
/// The refused write's answer: status << 24 | key << 16 | ASC << 8 | ASCQ,
/// with bit 32 set once it came.
static REFUSED_WRITE: AtomicU64 = AtomicU64::new(0);

/// Set during `misuse_test`: `xmit_response` first calls `scst_rx_data`.
static MISUSE: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// The tags of the commands answered, in order, one byte each.
static ANSWERED: AtomicU64 = AtomicU64::new(0);
static ANSWERS: AtomicU32 = AtomicU32::new(0);

unsafe extern "C" fn xmit_response(cmd: *mut ScstCmd) -> c_int {
    // SAFETY: the core passes a live command.
    let Some(c) = (unsafe { Cmd::from_raw(cmd) }) else {
        return 0;
    };
    if c.tgt_priv() as usize == HOLD_TAG && ARMED.swap(false, Ordering::AcqRel) {
        HELD.store(cmd, Ordering::Release);
        // `abort_done_test`: answered later.
        return 0;
    }
    match c.tgt_priv() as usize {
        REFUSE_XMIT_TAG => {
            REFUSED.fetch_add(1, Ordering::AcqRel);
            // Not taken: the core frees the command.
            core::mem::forget(c);
            return SCST_TGT_RES_FATAL_ERROR;
        }
        REFUSE_RDY_TAG => {
            let s = c.sense();
            let byte = |i: usize| u64::from(s.get(i).copied().unwrap_or(0));
            let answer = (1 << 32)
                | (u64::from(c.status().0) << 24)
                | ((byte(2) & 0xf) << 16)
                | (byte(12) << 8)
                | byte(13);
            REFUSED_WRITE.store(answer, Ordering::Release);
        }
        _ => {}
    }
    if MISUSE.load(Ordering::Acquire) {
        // A broken driver: the command waits for `scst_tgt_cmd_done`, not
        // for data.  EXTRACHECKS ignores the call.
        // SAFETY: deliberately wrong, see `misuse_test`.
        if let Some(wrong) = unsafe { Cmd::from_raw(cmd) } {
            wrong.rx_data(true, Context::Direct);
        }
    }
    let tag = c.tgt_priv() as u64 & 0xff;
    let _ = ANSWERED.fetch_update(Ordering::AcqRel, Ordering::Acquire, |v| {
        Some((v << 8) | tag)
    });
    ANSWERS.fetch_add(1, Ordering::AcqRel);
    c.tgt_done(Context::Direct);
    0
}

/// `abort_done_test`'s command: its tag, whether `xmit_response` is to
/// hold its response, and the command while it is held.
const HOLD_TAG: usize = 0x77;
static ARMED: AtomicBool = AtomicBool::new(false);
static HELD: AtomicPtr<ScstCmd> = AtomicPtr::new(core::ptr::null_mut());

/// ABORT TASK of a command whose response is on its way (see the module
/// documentation).
fn abort_done_test(sess: &SessionRegistration) {
    const TUR: [u8; 6] = [0; 6];
    let lun0 = [0u8; 8];
    // The power-on unit attention goes to a first command.
    ANSWERS.store(0, Ordering::Release);
    // SAFETY: the session is registered; tags are just numbers.
    if let Some(c) = unsafe { Cmd::rx(sess.as_ptr(), &lun0, &TUR, 9 as *mut c_void, false) } {
        c.init_done(Context::Thread);
        while ANSWERS.load(Ordering::Acquire) < 1 {
            scst_rs::sys::sleep_ms(10);
        }
    }
    ARMED.store(true, Ordering::Release);
    // SAFETY: as above.
    let Some(c) = (unsafe { Cmd::rx(sess.as_ptr(), &lun0, &TUR, HOLD_TAG as *mut c_void, false) })
    else {
        ARMED.store(false, Ordering::Release);
        pr_info!("abort_done_test: command refused\n");
        return;
    };
    c.init_done(Context::Thread);
    wait_for(|| !HELD.load(Ordering::Acquire).is_null());
    if !ARMED.swap(false, Ordering::AcqRel) {
        // Held (not still armed): abort it while its response waits.
        OUTSTANDING.fetch_add(1, Ordering::AcqRel);
        // SAFETY: the session is registered; the tag names the held command.
        if unsafe {
            task_mgmt_async(
                sess.as_ptr(),
                SCST_ABORT_TASK,
                Some(&lun0),
                HOLD_TAG as *mut c_void,
                core::ptr::null_mut(),
            )
        }
        .is_err()
        {
            OUTSTANDING.fetch_sub(1, Ordering::AcqRel);
            pr_info!("abort_done_test: ABORT TASK refused\n");
        }
        // SAFETY: the held command is live until `tgt_done` below.
        wait_for(|| {
            unsafe { Cmd::from_raw(HELD.load(Ordering::Acquire)) }.is_some_and(|c| c.aborted())
        });
    } else {
        pr_info!("abort_done_test: the response never came\n");
    }
    let held = HELD.swap(core::ptr::null_mut(), Ordering::AcqRel);
    // SAFETY: the command's response was held in `xmit_response`: it is
    // live until `tgt_done`.
    if let Some(c) = unsafe { Cmd::from_raw(held) } {
        ANSWERS.fetch_add(1, Ordering::AcqRel);
        c.tgt_done(Context::Direct);
    }
    wait_outstanding();
}

/// Waits up to 5 s for `done`.
fn wait_for(done: impl Fn() -> bool) {
    let mut waited = 0;
    while !done() && waited < 5000 {
        scst_rs::sys::sleep_ms(10);
        waited += 10;
    }
}

/// Sends the four commands of `order_test` and logs the answers' order.
fn order_test(sess: &SessionRegistration) {
    const READ: [u8; 10] = [0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0];
    const TUR: [u8; 6] = [0; 6];
    let cmds: [(&[u8], c_int); 4] = [
        (&READ, SCST_CMD_QUEUE_SIMPLE),
        (&TUR, SCST_CMD_QUEUE_ORDERED),
        (&TUR, SCST_CMD_QUEUE_SIMPLE),
        (&TUR, SCST_CMD_QUEUE_HEAD_OF_QUEUE),
    ];
    // A new session's first command gets the power-on unit attention:
    // spend it on a lone TEST UNIT READY first.
    ANSWERS.store(0, Ordering::Release);
    // SAFETY: the session is registered.
    if let Some(c) = unsafe { Cmd::rx(sess.as_ptr(), &[0; 8], &TUR, 9 as *mut c_void, false) } {
        c.init_done(Context::Thread);
        while ANSWERS.load(Ordering::Acquire) < 1 {
            scst_rs::sys::sleep_ms(10);
        }
    }
    ANSWERED.store(0, Ordering::Release);
    ANSWERS.store(0, Ordering::Release);
    let start = kernel::time::Ktime::ktime_get();
    let mut sent = 0;
    for (i, (cdb, attr)) in cmds.iter().enumerate() {
        // SAFETY: the session is registered; the tag is just a number.
        let Some(c) =
            (unsafe { Cmd::rx(sess.as_ptr(), &[0; 8], cdb, (i + 1) as *mut c_void, false) })
        else {
            pr_info!("task attributes: command {} refused\n", i + 1);
            continue;
        };
        c.set_queue_type(*attr);
        c.init_done(Context::Thread);
        sent += 1;
    }
    while ANSWERS.load(Ordering::Acquire) < sent {
        scst_rs::sys::sleep_ms(10);
    }
    let ms = (kernel::time::Ktime::ktime_get() - start).to_ms();
    let v = ANSWERED.load(Ordering::Acquire);
    let tag = |i: u32| (v >> (8 * (sent - 1 - i))) & 0xff;
    match sent {
        4 => pr_info!(
            "task attributes: responses in order {} {} {} {} after {} ms\n",
            tag(0),
            tag(1),
            tag(2),
            tag(3),
            ms
        ),
        _ => pr_info!("task attributes: only {} commands sent\n", sent),
    }
}

/// Breaks the command protocol (see the module documentation) and waits
/// for the two commands to be answered.
fn misuse_test(sess: &SessionRegistration) {
    const TUR: [u8; 6] = [0; 6];
    ANSWERS.store(0, Ordering::Release);
    // 1: `scst_tgt_cmd_done` on a command that waits for
    // `scst_cmd_init_done`, then the right call.
    // SAFETY: the session is registered.
    if let Some(c) = unsafe { Cmd::rx(sess.as_ptr(), &[0; 8], &TUR, 21 as *mut c_void, false) } {
        // SAFETY: deliberately wrong: EXTRACHECKS ignores the call.
        if let Some(wrong) = unsafe { Cmd::from_raw(c.as_raw()) } {
            wrong.tgt_done(Context::Direct);
        }
        c.init_done(Context::Thread);
    }
    // 2: its `xmit_response` calls `scst_rx_data` first (see there); and
    // `scst_cmd_init_done` asks for direct processing in atomic context.
    MISUSE.store(true, Ordering::Release);
    // SAFETY: the session is registered.
    if let Some(c) = unsafe { Cmd::rx(sess.as_ptr(), &[0; 8], &TUR, 22 as *mut c_void, true) } {
        kernel::stack_pin_init!(let lock = scst_rs::irqlock::new_irq_spinlock!(()));
        let guard = lock.lock();
        c.init_done(Context::Direct);
        drop(guard);
    }
    let mut waited = 0;
    while ANSWERS.load(Ordering::Acquire) < 2 && waited < 5000 {
        scst_rs::sys::sleep_ms(10);
        waited += 10;
    }
    MISUSE.store(false, Ordering::Release);
    pr_info!(
        "misuse test: {} of 2 commands answered\n",
        ANSWERS.load(Ordering::Acquire)
    );
}

/// A write's data, for every write but `refuse_test`'s: none comes (the
/// buffer is sent as it is).
unsafe extern "C" fn rdy_to_xfer(cmd: *mut ScstCmd) -> c_int {
    // SAFETY: the core passes a live command.
    let Some(c) = (unsafe { Cmd::from_raw(cmd) }) else {
        return 0;
    };
    if c.tgt_priv() as usize == REFUSE_RDY_TAG {
        core::mem::forget(c);
        return SCST_TGT_RES_FATAL_ERROR;
    }
    c.rx_data(true, Context::Direct);
    0
}

/// Sends `refuse_test`'s two commands and logs what came of them.
fn refuse_test(sess: &SessionRegistration) {
    const TUR: [u8; 6] = [0; 6];
    const WRITE: [u8; 10] = [0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0];
    // The power-on unit attention goes to a first command.
    ANSWERS.store(0, Ordering::Release);
    // SAFETY: the session is registered; tags are just numbers.
    if let Some(c) = unsafe { Cmd::rx(sess.as_ptr(), &[0; 8], &TUR, 9 as *mut c_void, false) } {
        c.init_done(Context::Thread);
        wait_for(|| ANSWERS.load(Ordering::Acquire) >= 1);
    }
    // SAFETY: as above.
    if let Some(c) = unsafe {
        Cmd::rx(
            sess.as_ptr(),
            &[0; 8],
            &TUR,
            REFUSE_XMIT_TAG as *mut c_void,
            false,
        )
    } {
        c.init_done(Context::Thread);
        wait_for(|| REFUSED.load(Ordering::Acquire) >= 1);
    }
    // SAFETY: as above.
    if let Some(c) = unsafe {
        Cmd::rx(
            sess.as_ptr(),
            &[0; 8],
            &WRITE,
            REFUSE_RDY_TAG as *mut c_void,
            false,
        )
    } {
        c.set_expected(Direction::Write, 512);
        c.init_done(Context::Thread);
        wait_for(|| REFUSED_WRITE.load(Ordering::Acquire) != 0);
    }
    let w = REFUSED_WRITE.load(Ordering::Acquire);
    pr_info!(
        "refuse test: {} refused responses, write answered {} status 0x{:02x} sense {:x}/{:02x}/{:02x}\n",
        REFUSED.load(Ordering::Acquire),
        w >> 32 != 0,
        (w >> 24) & 0xff,
        (w >> 16) & 0xff,
        (w >> 8) & 0xff,
        w & 0xff
    );
}

/// Asynchronous requests not answered yet; init and exit wait for them.
static OUTSTANDING: AtomicU32 = AtomicU32::new(0);

fn wait_outstanding() {
    while OUTSTANDING.load(Ordering::Acquire) > 0 {
        scst_rs::sys::sleep_ms(10);
    }
}

/// Sessions registered asynchronously, as handles.
#[pin_data]
struct AsyncSessions {
    #[pin]
    list: Mutex<KVec<usize>>,
}

unsafe extern "C" fn session_result(sess: *mut ScstSession, data: *mut c_void, result: c_int) {
    pr_info!("session registered asynchronously: result {}\n", result);
    // SAFETY: `data` is the `AsyncSessions` that `sessions_async` keeps
    // alive until every result came.
    let state = unsafe { &*data.cast::<AsyncSessions>() };
    if !sess.is_null() && state.list.lock().push(sess as usize, GFP_KERNEL).is_err() {
        pr_err!("out of memory: a session stays registered\n");
    }
    OUTSTANDING.fetch_sub(1, Ordering::AcqRel);
}

unsafe extern "C" fn session_gone(_data: *mut c_void) {
    pr_info!("session unregistered asynchronously\n");
    OUTSTANDING.fetch_sub(1, Ordering::AcqRel);
}

/// Registers a session per name asynchronously and waits for the results.
fn sessions_async(target: &TargetRegistration, names: &str) -> Result<KVec<SessionRegistration>> {
    let state = KBox::pin_init(
        pin_init!(AsyncSessions { list <- new_mutex!(KVec::new()) }),
        GFP_KERNEL,
    )?;
    let data = (&*state as *const AsyncSessions)
        .cast_mut()
        .cast::<c_void>();
    for name in names.split(',').filter(|n| !n.is_empty()) {
        let name = CString::try_from_fmt(fmt!("{}", name))?;
        OUTSTANDING.fetch_add(1, Ordering::AcqRel);
        // SAFETY: the target is registered; `state` outlives the wait below.
        if unsafe { register_session_async(target.as_ptr(), &name, data, session_result) }.is_err()
        {
            OUTSTANDING.fetch_sub(1, Ordering::AcqRel);
            pr_info!("session {} refused at once\n", &*name);
        }
    }
    wait_outstanding();
    let mut v = KVec::new();
    for &p in state.list.lock().iter() {
        // SAFETY: registered by the core for us; only we unregister it.
        v.push(
            unsafe { SessionRegistration::from_raw(p as *mut ScstSession) },
            GFP_KERNEL,
        )?;
    }
    Ok(v)
}

unsafe extern "C" fn tm_done(m: *mut ScstMgmtCmd) {
    // SAFETY: the core passes the handle of this call.
    let m = unsafe { MgmtRef::from_raw(m) };
    pr_info!(
        "task management {} async: status {}\n",
        m.func(),
        m.status()
    );
    OUTSTANDING.fetch_sub(1, Ordering::AcqRel);
}

/// Performs `func` on LUN 0 of every session, synchronously and then
/// asynchronously.
fn task_management(sessions: &[SessionRegistration], func: i32) {
    let lun0 = [0u8; 8];
    for s in sessions {
        // SAFETY: the session is registered.
        let st = unsafe { task_mgmt(s.as_ptr(), func, Some(&lun0), core::ptr::null_mut()) };
        pr_info!("task management {} sync: status {}\n", func, st);
        OUTSTANDING.fetch_add(1, Ordering::AcqRel);
        // SAFETY: as above.
        if unsafe {
            task_mgmt_async(
                s.as_ptr(),
                func,
                Some(&lun0),
                core::ptr::null_mut(),
                core::ptr::null_mut(),
            )
        }
        .is_err()
        {
            OUTSTANDING.fetch_sub(1, Ordering::AcqRel);
            pr_info!("task management {} async: refused\n", func);
        }
    }
    wait_outstanding();
}

unsafe extern "C" fn detect(_t: *const ScstTgtTemplate) -> c_int {
    0
}

unsafe extern "C" fn release(_t: *mut ScstTgt) -> c_int {
    0
}

/// What `attach` stores as the device's private pointer.
static MARK: u8 = 0;

fn mark() -> *mut core::ffi::c_void {
    core::ptr::addr_of!(MARK).cast_mut().cast()
}

unsafe extern "C" fn attach(dev: *mut ScstDevice) -> c_int {
    // SAFETY: the core passes the handle of the running `attach`.
    let d = unsafe { DevRef::from_raw(dev) };
    let kind = if d.scsi_device().is_null() {
        "virtual"
    } else {
        "real"
    };
    pr_info!("attach {}: id {}, {}\n", d.name(), d.id(), kind);
    d.set_priv(mark());
    0
}

unsafe extern "C" fn detach(dev: *mut ScstDevice) {
    // SAFETY: the core passes the handle of the running `detach`.
    let d = unsafe { DevRef::from_raw(dev) };
    let kept = if d.priv_() == mark() { "kept" } else { "lost" };
    pr_info!(
        "detach {}: id {}, private data {}\n",
        d.name(),
        d.id(),
        kept
    );
}

unsafe extern "C" fn cmd_noop(_c: *mut ScstCmd) -> c_int {
    0
}

static TEMPLATE: ScstTgtTemplate = ScstTgtTemplate {
    name: c"scst_api_test_tgt".as_ptr(),
    sg_tablesize: 128,
    // Two threads of its own, added to the core's pool while registered.
    threads_num: 2,
    flags: 0,
    detect: Some(detect),
    release: Some(release),
    xmit_response: Some(xmit_response),
    rdy_to_xfer: Some(rdy_to_xfer),
    on_free_cmd: None,
    task_mgmt_fn_done: Some(tm_done),
    preprocessing_done: None,
    trace_flags: &TRACE,
    close_session: None,
};

static DEV_TYPE: ScstDevType = ScstDevType {
    name: c"scst_api_test_dev".as_ptr(),
    type_: 0,
    threads_num: 0,
    flags: SCST_DEV_VIRTUAL,
    parse: Some(cmd_noop),
    alloc_data_buf: None,
    exec: Some(cmd_noop),
    dev_done: None,
    attach: Some(attach),
    detach: Some(detach),
    attach_tgt: None,
    detach_tgt: None,
    task_mgmt_fn: None,
    trace_flags: &TRACE,
};

static PT_TYPE: ScstDevType = ScstDevType {
    name: c"scst_api_test_pt".as_ptr(),
    type_: 0,
    threads_num: 0,
    flags: 0,
    parse: Some(cmd_noop),
    alloc_data_buf: None,
    exec: Some(cmd_noop),
    dev_done: None,
    attach: Some(attach),
    detach: Some(detach),
    attach_tgt: None,
    detach_tgt: None,
    task_mgmt_fn: None,
    trace_flags: &TRACE,
};

struct ApiTest {
    // Dropped (unregistered) in this order: the reverse of registration.
    sessions: KVec<SessionRegistration>,
    async_sessions: bool,
    _target: TargetRegistration,
    _vdev: VirtualDeviceRegistration,
    _pt: DevDriverRegistration,
    _dev: DevDriverRegistration,
    _tgt: TargetTemplateRegistration,
}

/// One session per comma-separated name in `list`.
fn sessions(target: &TargetRegistration, list: &CStr) -> Result<KVec<SessionRegistration>> {
    let mut v = KVec::new();
    let text = list.to_str().map_err(|_| EINVAL)?;
    for name in text.split(',').filter(|n| !n.is_empty()) {
        let name = CString::try_from_fmt(fmt!("{}", name))?;
        v.push(SessionRegistration::new(target, &name)?, GFP_KERNEL)?;
    }
    Ok(v)
}

impl kernel::Module for ApiTest {
    fn init(module: &'static ThisModule) -> Result<Self> {
        // SAFETY: reads this module's parameters, set before init; the
        // string parameter lives as long as the module.
        let (delta, rev_delta, initiators) = unsafe {
            (
                scst_api_test_version_delta(),
                scst_api_test_revision_delta(),
                CStr::from_char_ptr(scst_api_test_initiators()),
            )
        };
        let version = SCST_INTERFACE_VERSION
            .wrapping_add(delta as u64)
            .wrapping_add((rev_delta as u64) << 32);
        let tgt = TargetTemplateRegistration::with_version(&TEMPLATE, module, version)?;
        let dev = DevDriverRegistration::with_version(&DEV_TYPE, module, version)?;
        let pt = DevDriverRegistration::with_version(&PT_TYPE, module, version)?;
        let vdev = VirtualDeviceRegistration::new(&DEV_TYPE, c_str!("apitest0"))?;
        let target = TargetRegistration::new(&TEMPLATE, c_str!("scst_api_test_tgt0"))?;
        // SAFETY: reads this module's parameters, set before init.
        let (async_sessions, tm_func) =
            unsafe { (scst_api_test_async_sessions(), scst_api_test_tm_func()) };
        let sessions = if async_sessions {
            sessions_async(&target, initiators.to_str().map_err(|_| EINVAL)?)?
        } else {
            sessions(&target, initiators)?
        };
        pr_info!(
            "registered device id {} and {} sessions\n",
            vdev.id(),
            sessions.len()
        );
        if tm_func >= 0 {
            task_management(&sessions, tm_func);
        }
        // SAFETY: reads this module's parameter, set before init.
        if unsafe { scst_api_test_order_test() } {
            if let Some(s) = sessions.first() {
                order_test(s);
            }
        }
        // SAFETY: reads this module's parameter, set before init.
        if unsafe { scst_api_test_abort_done_test() } {
            if let Some(s) = sessions.first() {
                abort_done_test(s);
            }
        }
        // SAFETY: reads this module's parameter, set before init.
        if unsafe { scst_api_test_misuse_test() } {
            if let Some(s) = sessions.first() {
                misuse_test(s);
            }
        }
        // SAFETY: reads this module's parameter, set before init.
        if unsafe { scst_api_test_refuse_test() } {
            if let Some(s) = sessions.first() {
                refuse_test(s);
            }
        }
        Ok(ApiTest {
            sessions,
            async_sessions,
            _target: target,
            _vdev: vdev,
            _pt: pt,
            _dev: dev,
            _tgt: tgt,
        })
    }
}

impl Drop for ApiTest {
    fn drop(&mut self) {
        if !self.async_sessions {
            return;
        }
        for s in core::mem::take(&mut self.sessions) {
            let p = s.into_raw();
            OUTSTANDING.fetch_add(1, Ordering::AcqRel);
            // SAFETY: `p` is registered and given up by its wrapper.
            if unsafe { unregister_session_async(p, core::ptr::null_mut(), session_gone) }.is_err()
            {
                OUTSTANDING.fetch_sub(1, Ordering::AcqRel);
                // SAFETY: still registered: unregister it the usual way.
                drop(unsafe { SessionRegistration::from_raw(p) });
            }
        }
        wait_outstanding();
    }
}
