// SPDX-License-Identifier: GPL-2.0

//! SCSI command processing: from a target driver's `scst_rx_cmd` to its
//! `scst_tgt_cmd_done`.  This file is the stage machine; `local.rs` the
//! commands the core answers itself, `access.rs` the accessors behind the
//! exported `scst_cmd_*` functions.
//!
//! A command moves through [`Stage`]s: `Init` (route the LUN, unit
//! attentions and reservations, core-answered commands, handler `parse`,
//! checks, buffer; writes then wait for `rdy_to_xfer` / `scst_rx_data`)
//! → `Gate` (task attributes: may it start?) → `Execute` (handler `exec`,
//! maybe finished later by `scst_cmd_done`) → `DevDone` (handler
//! `dev_done`) → `Xmit` (driver `xmit_response`) → `Free` (driver
//! `scst_tgt_cmd_done`).
//!
//! Where a stage runs: the caller of each entry point says what context
//! it is in (`SCST_CONTEXT_*`).  In process context the stages run right
//! there; in atomic context only those whose callbacks are flagged atomic
//! do, and the command is queued for the SCST threads at the first stage
//! that cannot; `SCST_CONTEXT_THREAD` queues at once.  Threads run the
//! stages in process context.
//!
//! Every callback may complete and free the command, so no Rust reference
//! to it lives across a callback: stages read what they need, drop the
//! reference, then call out, and touch the command no more.

use crate::cdb::{self, DecodeError, Direction};
use crate::checks::{self, Waiting};
use crate::lun;
use crate::nexus;
use crate::registry::{Registry, Shared};
use crate::routes::{self, Route};
use crate::scst_rs::api::abi::{
    ScstCmd, ScstSession, ScstSg, ScstTgtTemplate, SCST_CMD_QUEUE_ACA,
    SCST_CMD_QUEUE_HEAD_OF_QUEUE, SCST_CMD_QUEUE_ORDERED, SCST_CMD_STATE_DEFAULT,
    SCST_CONTEXT_DIRECT, SCST_CONTEXT_DIRECT_ATOMIC, SCST_CONTEXT_SAME, SCST_CONTEXT_SUBMIT,
    SCST_DATA_BIDI, SCST_DATA_NONE, SCST_DATA_READ, SCST_DATA_WRITE, SCST_DEV_DEV_DONE_ATOMIC,
    SCST_DEV_EXEC_ATOMIC, SCST_DEV_EXEC_SYNC, SCST_DEV_VIRTUAL, SCST_EXEC_COMPLETED,
    SCST_EXEC_NEED_THREAD, SCST_EXEC_NOT_COMPLETED, SCST_RX_STATUS_SUCCESS, SCST_TGT_RES_SUCCESS,
    SCST_TGT_XMIT_RESPONSE_ATOMIC,
};
use crate::scst_rs::scsi::sense::{Sense, SenseKey, Status};
use crate::scst_rs::scsi::{bytes, op};
use crate::scst_rs::vec::copy_prefix;
use crate::sessions::{Session, TaskRef};
use crate::sgv::{Buf, NoBuf};
use crate::taskset::Attr;
use crate::tm::CmdState;
use crate::trace;
use core::ffi::c_void;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::{alloc::Flags, ffi::c_int, prelude::*, sync::Arc};

mod access;
mod local;

pub(crate) use access::*;
use local::{is_reservation, local, reservation, sense_data};

/// Longest CDB accepted.
pub(crate) const MAX_CDB: usize = 16;
/// Sense bytes kept per command: the core's own are fixed format (18),
/// a pass-through device's are kept as they came, up to the midlayer's
/// SCSI_SENSE_BUFFERSIZE.
const SENSE_LEN: usize = 96;

/// A target driver's own scatterlist for a command's data
/// (`scst_cmd_set_tgt_sg`).
#[derive(Clone, Copy)]
struct TgtSg {
    sg: *mut ScstSg,
    nents: u32,
    len: u32,
}

/// What the core decided about a command when it was routed.
#[derive(Clone, Copy)]
enum Early {
    /// Fail it with CHECK CONDITION (a unit attention).
    Sense(Sense),
    /// Fail it with this status (RESERVATION CONFLICT).
    Status(Status),
    /// REQUEST SENSE: return this pending unit attention as the data.
    SenseData(Sense),
}

/// Processing stages, in order (see the module documentation).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stage {
    Init,
    Gate,
    Execute,
    DevDone,
    Xmit,
    Free,
}

/// What a stage leaves to do.
enum Flow {
    /// Go on with this stage.
    Go(Stage),
    /// Someone else moves the command on (the driver, the handler, the
    /// task set, a thread); the caller must not touch it any more.
    Wait,
}

/// A command.  Handed to drivers and handlers as `*mut ScstCmd`.
pub(crate) struct Command {
    /// Link in the work queue (`work`), used only while queued.
    next: *mut Command,
    stage: Stage,
    sess: Arc<Session>,
    lun_raw: [u8; 8],
    /// Routed (LUN looked up, unit attentions and reservations checked):
    /// once in the task set, by `init_done` for a submitter, else in the
    /// `Init` stage.
    routed: bool,
    /// In the session's task set (from `init_done` until freed).
    entered: bool,
    /// Holds its device's execution slot (CONFIG_SCST_STRICT_SERIALIZING).
    serial_owner: bool,
    /// The context the stage running now runs in (`scst_cmd_atomic`,
    /// `scst_cmd_context`, `SCST_CONTEXT_SAME`).
    ctx: Ctx,
    /// The handler's `exec` for this command only starts its I/O (said in
    /// `parse`): it may run in a submitter's context.
    exec_nowait: bool,
    /// The handler's `exec` asked for a thread (`SCST_EXEC_NEED_THREAD`):
    /// it runs there next.
    exec_in_thread: bool,
    /// Was held once by CONFIG_SCST_DEBUG_TM.
    dbg_held: bool,
    queue_type: c_int,
    early: Option<Early>,
    tmpl: &'static ScstTgtTemplate,
    route: Option<Route>,
    cdb: [u8; MAX_CDB],
    cdb_len: usize,
    /// What the initiator expects: direction and length.
    expected: Option<(u32, u32)>,
    tgt_priv: *mut c_void,
    decoded: Option<(u32, u32, u32)>,
    shared: &'static Shared,
    /// What task management sees of the command.
    state: Arc<CmdState>,
    buf: Option<Buf>,
    /// The driver's scatterlist, offered in place of `buf`.
    tgt_sg: Option<TgtSg>,
    /// The handler takes `tgt_sg` for this command (said in `parse`).
    sg_allowed: bool,
    /// The handler writes every byte of the data-in it answers with (said
    /// in `parse`): a reused buffer need not be cleared for it.
    fills_data: bool,
    /// The data is in `tgt_sg`, and `buf` is not used: no copy between
    /// the driver and the handler.
    in_tgt_sg: bool,
    resp_len: u32,
    /// The response length the handler set, before the buffer cut it:
    /// a read longer than the initiator expects has it all for the
    /// residual, though only what is sent is in the buffer.
    resp_full: u32,
    /// Bytes the command transferred (or had to transfer, for a read cut
    /// to the expected length), for the residual.
    moved: u32,
    status: u8,
    sense: [u8; SENSE_LEN],
    sense_len: usize,
    /// Times for CONFIG_SCST_MEASURE_LATENCY, in ns: received, `exec`
    /// called, time in `exec`.
    t_rx: i64,
    t_exec: i64,
    exec_ns: i64,
    /// CONFIG_SCST_EXTRACHECKS' record of whom the command waits for.
    check: checks::Tag,
}

impl Command {
    fn opcode(&self) -> u8 {
        self.cdb[0]
    }

    fn cdb(&self) -> &[u8] {
        self.cdb.get(..self.cdb_len).unwrap_or(&[])
    }

    fn set_sense(&mut self, s: Sense) {
        self.status = Status::CHECK_CONDITION.0;
        self.sense_len = s.encode_fixed(&mut self.sense);
        self.set_resp(0);
    }

    fn set_status(&mut self, st: Status) {
        self.status = st.0;
        self.sense_len = 0;
        self.set_resp(0);
    }

    /// The command's response is `len` bytes; the buffer holds (and the
    /// driver sends) at most its own length of them.
    fn set_resp(&mut self, len: u32) {
        self.resp_full = len;
        self.resp_len = len.min(u32::try_from(self.buf_len()).unwrap_or(u32::MAX));
    }

    /// Gives the command a `len`-byte buffer (BUSY if memory is short).
    fn alloc(&mut self, len: u32) -> core::result::Result<(), Stop> {
        self.in_tgt_sg = false;
        if let Some(old) = self.buf.take() {
            self.shared.sgv.free(old);
        }
        let dir = self.decoded.map_or(SCST_DATA_NONE, |d| d.0);
        let clear = dir != SCST_DATA_WRITE && !self.fills_data;
        let b = self.shared.sgv.alloc(len as usize, clear).map_err(|e| match e {
            NoBuf::TooBig => {
                pr_err!(
                    "{}: opcode 0x{:02x} needs a {} byte buffer, more than scst_max_cmd_mem allows for all commands: refused\n",
                    &*self.sess.initiator,
                    self.opcode(),
                    len
                );
                Stop::Sense(Sense::invalid_field_in_cdb(0, None))
            }
            NoBuf::Limit | NoBuf::NoMemory => {
                trace!(self.shared, trace::OUT_OF_MEM, "{}: BUSY: no buffer of {} bytes\n", &*self.sess.initiator, len);
                Stop::Status(Status::BUSY)
            }
        })?;
        self.buf = Some(b);
        Ok(())
    }

    fn buf(&mut self) -> &mut [u8] {
        self.buf.as_mut().map_or(&mut [], |b| b.as_mut_slice())
    }

    fn buf_len(&self) -> usize {
        match self.tgt_sg.filter(|_| self.in_tgt_sg) {
            Some(t) => t.len as usize,
            None => self.buf.as_ref().map_or(0, |b| b.len()),
        }
    }

    /// Makes the driver's scatterlist the command's buffer if the handler
    /// allows and it holds exactly the `len` bytes the command moves one
    /// way, as the initiator expects; whether it did.
    fn use_tgt_sg(&mut self, dir: u32, len: u32) -> bool {
        let one_way = dir == SCST_DATA_READ || dir == SCST_DATA_WRITE;
        let fits = self.tgt_sg.is_some_and(|t| t.len == len) && self.expected == Some((dir, len));
        if !(self.sg_allowed && one_way && len > 0 && fits) {
            return false;
        }
        if let Some(old) = self.buf.take() {
            self.shared.sgv.free(old);
        }
        self.shared.sgv.count_in_place();
        self.in_tgt_sg = true;
        true
    }

    fn is(&self, k: &TaskRef) -> bool {
        Arc::ptr_eq(&k.state, &self.state)
    }
}

impl Drop for Command {
    fn drop(&mut self) {
        if let Some(b) = self.buf.take() {
            self.shared.sgv.free(b);
        }
        if self.entered {
            self.sess
                .tasks
                .lock()
                .leave(|k| self.is(k), |k| resume(self.shared, k.cmd));
        }
    }
}

fn aborted(c: &Command) -> bool {
    c.state.aborted()
}

fn as_cmd(c: *mut Command) -> *mut ScstCmd {
    c.cast()
}

/// The command behind a handle.
///
/// # Safety
///
/// `p` is a live command handle and no other reference to it is in use.
unsafe fn get<'a>(p: *mut ScstCmd) -> &'a mut Command {
    // SAFETY: function contract.
    unsafe { &mut *p.cast::<Command>() }
}

/// CONFIG_SCST_EXTRACHECKS: checks that `p` is a live command waiting for
/// the call `w` gives back; the context to go on in, or `None` if the call
/// must be ignored (see `checks`).
///
/// # Safety
///
/// `p` points to a command allocated by `rx` (live, or freed if the
/// caller is broken: then the magic check may catch it).
unsafe fn take_back(p: *mut ScstCmd, w: Waiting, ctx: c_int) -> Option<c_int> {
    // SAFETY: function contract; only the tag is referenced, and its
    // fields are written only at creation and freeing (`magic`) or are
    // atomic (`waiting`).
    let tag = unsafe { &*core::ptr::addr_of!((*p.cast::<Command>()).check) };
    tag.take_back(w, ctx)
}

/// Sets the work-queue link of a queued command.
///
/// # Safety
///
/// `p` is a live command owned by the work queue.
pub(crate) unsafe fn set_next(p: *mut Command, next: *mut Command) {
    // SAFETY: function contract.
    unsafe { (*p).next = next };
}

/// The work-queue link of a queued command.
///
/// # Safety
///
/// `p` is a live command owned by the work queue.
pub(crate) unsafe fn next(p: *mut Command) -> *mut Command {
    // SAFETY: function contract.
    unsafe { (*p).next }
}

/// The session behind a handle, for a command: trusted like a command
/// handle, for the registry's mutex would serialize every CPU's submitter
/// (and cannot be taken in atomic context).  With CONFIG_SCST_DEBUG it is
/// checked against the registry when the caller may sleep.
fn session_of(shared: &Shared, sess: *mut ScstSession, atomic: bool) -> Result<Arc<Session>> {
    let s = if cfg!(CONFIG_SCST_DEBUG) && !atomic {
        let Some(s) = shared
            .registry
            .read(|reg| crate::sessions::find_session(reg, sess))
        else {
            pr_err!("command refused: session not registered\n");
            return Err(EINVAL);
        };
        s
    } else {
        // SAFETY: a driver passes the handle of one of its sessions, live
        // until it unregisters it, which it does not do while it still
        // submits commands (interface contract, docs/api.md).
        unsafe { crate::sessions::trusted_session(sess) }
    };
    if s.is_closing() {
        pr_err!(
            "command refused: session {} is being unregistered\n",
            &*s.initiator
        );
        return Err(EINVAL);
    }
    Ok(s)
}

/// Creates a command of session `sess` for the 8-byte SAM LUN `lun_raw`.
/// `atomic`: the caller may not sleep.
pub(crate) fn rx(
    shared: &'static Shared,
    sess: *mut ScstSession,
    lun_raw: &[u8],
    cdb: &[u8],
    tgt_priv: *mut c_void,
    atomic: bool,
) -> Result<*mut ScstCmd> {
    if cdb.is_empty() || cdb.len() > MAX_CDB {
        pr_err!(
            "command refused: CDB of {} bytes (1..={})\n",
            cdb.len(),
            MAX_CDB
        );
        return Err(EINVAL);
    }
    let sess = session_of(shared, sess, atomic)?;
    let gfp: Flags = if atomic { GFP_ATOMIC } else { GFP_KERNEL };
    let state = Arc::new(
        CmdState {
            dev_id: AtomicU32::new(0),
            lun: lun::decode(lun_raw).unwrap_or(u64::MAX),
            tag: tgt_priv as usize,
            aborted: AtomicBool::new(false),
        },
        gfp,
    )?;
    let mut c = [0u8; MAX_CDB];
    copy_prefix(&mut c, cdb);
    let mut l = [0u8; 8];
    copy_prefix(&mut l, lun_raw);
    let tmpl = sess.target.tmpl;
    let cmd = KBox::new(
        Command {
            next: core::ptr::null_mut(),
            stage: Stage::Init,
            sess,
            lun_raw: l,
            routed: false,
            entered: false,
            serial_owner: false,
            ctx: Ctx::Process,
            exec_nowait: false,
            exec_in_thread: false,
            dbg_held: false,
            queue_type: crate::scst_rs::api::abi::SCST_CMD_QUEUE_SIMPLE,
            early: None,
            tmpl,
            route: None,
            cdb: c,
            cdb_len: cdb.len(),
            expected: None,
            tgt_priv,
            decoded: None,
            shared,
            state,
            buf: None,
            tgt_sg: None,
            sg_allowed: false,
            fills_data: false,
            in_tgt_sg: false,
            resp_len: 0,
            resp_full: 0,
            moved: 0,
            status: Status::GOOD.0,
            sense: [0; SENSE_LEN],
            sense_len: 0,
            t_rx: now_ns(),
            t_exec: 0,
            exec_ns: 0,
            check: checks::Tag::new(),
        },
        gfp,
    )?;
    Ok(as_cmd(KBox::into_raw(cmd)))
}

/// The time for latency measurements; 0 when they are off.
fn now_ns() -> i64 {
    if cfg!(CONFIG_SCST_MEASURE_LATENCY) {
        kernel::time::Ktime::ktime_get().to_ns()
    } else {
        0
    }
}

/// Adds the command's latencies to its session's (when measured).
fn account_latency(c: &Command) {
    if cfg!(CONFIG_SCST_MEASURE_LATENCY) {
        let total = now_ns().saturating_sub(c.t_rx);
        c.sess.latency.add(
            u64::try_from(total).unwrap_or(0),
            u64::try_from(c.exec_ns).unwrap_or(0),
        );
    }
}

/// Looks the command's LUN up and checks unit attentions and reservations
/// (process context, after the command entered its task set, so that a
/// device leaving waits for it: see `routes`).
fn route(c: &mut Command) {
    c.routed = true;
    let lun = lun::decode(&c.lun_raw).ok();
    if !lun.is_some_and(|l| route_cached(c, l)) {
        route_locked(c, lun);
    }
    if c.shared.traced(trace::SCSI) {
        let dev_type = c
            .route
            .map_or(0x1f, |r| u8::try_from(r.handler.type_).unwrap_or(0x1f));
        let name = cdb::decode(c.cdb(), dev_type, 512).map_or("?", |d| d.name);
        trace!(
            c.shared,
            trace::SCSI,
            "{}: LUN {} {} {:02x?}\n",
            &*c.sess.initiator,
            c.state.lun,
            name,
            c.cdb()
        );
    }
}

/// Routes through the session's table (see `routes`); false if the table
/// is stale or the LUN not quiet, and the registry must be asked.
fn route_cached(c: &mut Command, lun: u64) -> bool {
    let gen = c.shared.registry.gen();
    let Some(r) = c.sess.routes.quiet(gen, lun) else {
        return false;
    };
    c.state.dev_id.store(r.dev_id, Ordering::SeqCst);
    if c.shared.registry.gen() != gen {
        // The registry was taken meanwhile: the device may be leaving.
        c.state.dev_id.store(0, Ordering::Release);
        return false;
    }
    c.route = Some(r);
    true
}

/// Routes under the registry's mutex, and refreshes the session's table.
fn route_locked(c: &mut Command, lun: Option<u64>) {
    let mut reg = c.shared.registry.lock();
    c.route = lun.and_then(|l| routes::lun_route(&reg, c.sess.bound_group(), l));
    if let (Some(r), Some(l)) = (c.route, lun) {
        c.state.dev_id.store(r.dev_id, Ordering::Release);
        c.early = early_check(&mut reg, &c.sess, l, r, c.cdb());
    }
    c.sess
        .routes
        .refresh(&reg, c.shared.registry.gen(), &c.sess);
}

/// Unit attentions and reservations, checked when a command is routed.
fn early_check(
    reg: &mut Registry,
    s: &Arc<Session>,
    lun: u64,
    r: Route,
    cdb: &[u8],
) -> Option<Early> {
    let op = cdb.first().copied().unwrap_or(0);
    let sp: *const Session = &**s;
    match op {
        op::INQUIRY | op::REPORT_LUNS => {}
        op::REQUEST_SENSE => {
            if let Some(ua) = nexus::take_ua(reg, sp, lun) {
                return Some(Early::SenseData(ua));
            }
        }
        _ => {
            if let Some(ua) = nexus::take_ua(reg, sp, lun) {
                return Some(Early::Sense(ua));
            }
        }
    }
    let holder = reg.device(r.dev_id)?.reserved_by.as_ref()?;
    if core::ptr::eq(&**holder, sp) {
        return None;
    }
    // Only on this rare path is the CDB decoded here (block size does not
    // matter for the flag).
    let dev_type = u8::try_from(r.handler.type_).unwrap_or(0x1f);
    let allowed =
        cdb::decode(cdb, dev_type, 512).is_ok_and(|d| d.flags & cdb::RESERVE_ALLOWED != 0);
    (!allowed).then_some(Early::Status(Status::RESERVATION_CONFLICT))
}

/// Where the stages of a command run now.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ctx {
    /// Process context: anything may run (`SCST_CONTEXT_DIRECT`, the SCST
    /// threads).
    Process,
    /// A submitter's process context (`SCST_CONTEXT_SUBMIT`): the
    /// commands of a device whose handler does not wait for I/O, up to an
    /// `exec` that does.
    Submit,
    /// Atomic context (`SCST_CONTEXT_DIRECT_ATOMIC`): only callbacks
    /// flagged atomic.
    Atomic,
}

/// Whether `stage` may run in context `ctx` for this command; if not, a
/// thread runs it.
fn may_run(c: &Command, stage: Stage, ctx: Ctx) -> bool {
    match ctx {
        Ctx::Process => true,
        // A submitter (a block layer queue) waits for no I/O: the commands
        // of a device whose handler may wait go to a thread at once, and an
        // `exec` that would wait goes to a thread at its turn.
        Ctx::Submit => match stage {
            Stage::Init => c.route.is_some_and(|r| r.nowait.covers(c.opcode())),
            Stage::Execute => !c.exec_in_thread && (c.exec_nowait || atomic_ok(c, stage)),
            _ => true,
        },
        Ctx::Atomic => !(stage == Stage::Execute && c.exec_in_thread) && atomic_ok(c, stage),
    }
}

/// Whether `stage` may run in atomic context for this command.
fn atomic_ok(c: &Command, stage: Stage) -> bool {
    let dev_flags = c.route.map_or(0, |r| r.handler.flags);
    match stage {
        Stage::Gate => true,
        Stage::Execute => dev_flags & SCST_DEV_EXEC_ATOMIC != 0,
        Stage::DevDone => {
            c.route.is_none_or(|r| r.handler.dev_done.is_none())
                || dev_flags & SCST_DEV_DEV_DONE_ATOMIC != 0
        }
        Stage::Xmit => c.tmpl.flags & SCST_TGT_XMIT_RESPONSE_ATOMIC != 0,
        // Freeing returns a buffer to the pool under a mutex; without one
        // (none needed, or the driver's scatterlist) nothing in it sleeps,
        // unless the driver's `on_free_cmd` does.
        Stage::Free => c.buf.is_none() && c.tmpl.on_free_cmd.is_none(),
        // Routing takes a mutex, parse and buffers may sleep.
        Stage::Init => false,
    }
}

/// Runs the command's stages from `stage` on, in the context `ctx` the
/// caller is in.
fn proceed(p: *mut ScstCmd, stage: Stage, ctx: c_int) {
    // SAFETY: the caller hands the live command over; the reference ends
    // before `advance` runs.
    let c = unsafe { get(p) };
    c.stage = stage;
    // SAME: the context of the callback the caller is in (or was last).
    let same = c.ctx;
    match ctx {
        SCST_CONTEXT_DIRECT => advance(p, Ctx::Process),
        SCST_CONTEXT_SUBMIT => advance(p, Ctx::Submit),
        SCST_CONTEXT_DIRECT_ATOMIC => advance(p, Ctx::Atomic),
        SCST_CONTEXT_SAME => advance(p, same),
        // SCST_CONTEXT_THREAD, and anything unknown: the safe choice.
        _ => queue(p),
    }
}

/// Hands the command to the SCST threads.
fn queue(p: *mut ScstCmd) {
    // SAFETY: live command; the reference ends before it is queued.
    let shared = unsafe { get(p) }.shared;
    // SAFETY: the caller gives the command up.
    unsafe { shared.work.push(p.cast()) };
}

/// Starts a parked command again (task set or task management): from a
/// thread, since the caller holds the session's task set lock.
pub(crate) fn resume(shared: &Shared, p: *mut Command) {
    // SAFETY: a parked command is owned by its task set, which gives it up
    // here; its stage is `Execute`.
    unsafe { shared.work.push(p) };
}

/// A thread runs a queued command.
///
/// # Safety
///
/// `p` is a live command that the work queue handed over.
pub(crate) unsafe fn run_queued(p: *mut Command) {
    advance(as_cmd(p), Ctx::Process);
}

/// Runs stages until one leaves the command to someone else.
fn advance(p: *mut ScstCmd, ctx: Ctx) {
    loop {
        // SAFETY: the command is ours until a stage returns `Wait`.
        let c = unsafe { get(p) };
        let stage = c.stage;
        c.ctx = ctx;
        trace_dbg!(
            c.shared,
            "command {:p} (LUN {}, opcode 0x{:02x}): stage {:?} ({:?})\n",
            p,
            c.state.lun,
            c.opcode(),
            stage,
            ctx
        );
        if !may_run(c, stage, ctx) {
            return queue(p);
        }
        let flow = match stage {
            Stage::Init => init(p),
            Stage::Gate => gate(p),
            Stage::Execute => execute(p),
            Stage::DevDone => dev_done(p),
            Stage::Xmit => xmit(p),
            Stage::Free => return free(p),
        };
        match flow {
            // SAFETY: `Go` means the command is still ours.
            Flow::Go(next) => unsafe { get(p) }.stage = next,
            Flow::Wait => return,
        }
    }
}

/// The driver received the command and set its attributes: it enters the
/// session's task set and processing starts.
///
/// # Safety
///
/// `p` is a live command handle from `rx`; the caller gives up its use.
pub(crate) unsafe fn init_done(p: *mut ScstCmd, ctx: c_int) {
    // SAFETY: function contract.
    let Some(ctx) = (unsafe { take_back(p, Waiting::InitDone, ctx) }) else {
        return;
    };
    // SAFETY: function contract; the reference ends before `proceed`.
    let c = unsafe { get(p) };
    let attr = match c.queue_type {
        SCST_CMD_QUEUE_ORDERED => Attr::Ordered,
        SCST_CMD_QUEUE_HEAD_OF_QUEUE => Attr::HeadOfQueue,
        SCST_CMD_QUEUE_ACA => {
            // SAM: an ACA command without an ACA condition is refused; the
            // core never establishes one.
            c.set_sense(Sense::INVALID_MESSAGE);
            return proceed(p, Stage::Xmit, ctx);
        }
        _ => Attr::Simple,
    };
    let key = TaskRef {
        state: c.state.clone(),
        cmd: p.cast(),
    };
    if c.sess.tasks.lock().enter(key, c.state.lun, attr).is_err() {
        // One line for the 1st, 2nd, 4th, 8th, ... time: bounded noise.
        let n = c
            .sess
            .task_set_full
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_add(1);
        if n.is_power_of_two() {
            trace!(
                c.shared,
                trace::MINOR,
                "{}: TASK SET FULL for LUN {} ({} times)\n",
                &*c.sess.initiator,
                c.state.lun,
                n
            );
        }
        c.set_status(Status::TASK_SET_FULL);
        return proceed(p, Stage::Xmit, ctx);
    }
    c.entered = true;
    // A submitter runs only the commands of some devices (`may_run`).
    if ctx == SCST_CONTEXT_SUBMIT {
        route(c);
    }
    proceed(p, Stage::Init, ctx)
}

/// Stage `Init`: everything before the data and the execution.
fn init(p: *mut ScstCmd) -> Flow {
    let route = {
        // SAFETY: the command is ours; the reference ends before any callback.
        let c = unsafe { get(p) };
        if !c.routed {
            route(c);
        }
        if aborted(c) {
            return Flow::Go(Stage::Xmit);
        }
        if let Some(e) = c.early {
            match e {
                Early::Sense(s) => c.set_sense(s),
                Early::Status(s) => c.set_status(s),
                Early::SenseData(s) => {
                    if let Err(stop) = sense_data(c, s) {
                        c.set_status_or_sense(stop);
                    }
                }
            }
            return Flow::Go(Stage::Xmit);
        }
        if let Some(r) = c.route.filter(|_| is_reservation(c.opcode())) {
            reservation(c.shared, c, r);
            return Flow::Go(Stage::Xmit);
        }
        match c.route.filter(|_| c.opcode() != op::REPORT_LUNS) {
            Some(r) => r,
            None => {
                local(c.shared, c);
                return Flow::Go(Stage::Xmit);
            }
        }
    };
    let Some(parse) = route.handler.parse else {
        return Flow::Go(Stage::Xmit);
    };
    // SAFETY: `parse` is the registered handler's, called with a live
    // command; it may call back into the core (decode, set_error).
    let r = unsafe { parse(p) };
    // SAFETY: `parse` does not complete the command, so it is still ours.
    let c = unsafe { get(p) };
    if c.status == Status::GOOD.0 {
        if r != 0 || c.decoded.is_none() {
            pr_err!(
                "handler parse() failed ({}) for opcode 0x{:02x}\n",
                r,
                c.opcode()
            );
            c.set_sense(Sense::INTERNAL_TARGET_FAILURE);
        } else if let Err(s) = check_and_alloc(c, route) {
            c.set_status_or_sense(s);
        }
    }
    if c.status != Status::GOOD.0 {
        return Flow::Go(Stage::Xmit);
    }
    let dir = c.decoded.map_or(SCST_DATA_NONE, |d| d.0);
    if !has_data_out(dir) {
        return Flow::Go(Stage::Gate);
    }
    let Some(rdy) = c.tmpl.rdy_to_xfer else {
        c.set_sense(Sense::INTERNAL_TARGET_FAILURE);
        return Flow::Go(Stage::Xmit);
    };
    c.check.hand_out(Waiting::Data);
    // SAFETY: live command; the driver answers with `rx_data`, maybe
    // before `rdy` returns.
    let r = unsafe { rdy(p) };
    if r == SCST_TGT_RES_SUCCESS {
        return Flow::Wait;
    }
    // SAFETY: not taken (`ScstTgtTemplate::rdy_to_xfer`): the command is
    // still ours.
    let c = unsafe { not_taken(p, "rdy_to_xfer", r, "the write fails") };
    c.set_sense(Sense::INTERNAL_TARGET_FAILURE);
    Flow::Go(Stage::Xmit)
}

/// A target driver's callback returned `r`, not `SCST_TGT_RES_SUCCESS`:
/// the command is the core's again, and the log says so and `outcome`.
///
/// # Safety
///
/// `p` is a live command the callback did not take (so no call of the
/// driver's can free it or use it).
unsafe fn not_taken<'a>(
    p: *mut ScstCmd,
    callback: &str,
    r: c_int,
    outcome: &str,
) -> &'a mut Command {
    // SAFETY: function contract.
    let c = unsafe { get(p) };
    c.check.hand_out(Waiting::Core);
    // SAFETY: registration checked the name is a valid C string, and the
    // template outlives its commands.
    let driver = unsafe { CStr::from_char_ptr(c.tmpl.name.cast()) };
    pr_err!(
        "target driver {}: {} returned {}: {}\n",
        driver,
        callback,
        r,
        outcome
    );
    c
}

/// Why a command cannot go on: a sense, or a plain status.
enum Stop {
    Sense(Sense),
    Status(Status),
}

impl Command {
    fn set_status_or_sense(&mut self, s: Stop) {
        match s {
            Stop::Sense(s) => self.set_sense(s),
            Stop::Status(s) => self.set_status(s),
        }
    }
}

/// Checks a decoded command against its LUN and the initiator's
/// expectations, and gives it its buffer.
fn check_and_alloc(c: &mut Command, route: Route) -> core::result::Result<(), Stop> {
    let (dir, len, flags) = c.decoded.unwrap_or((SCST_DATA_NONE, 0, 0));
    if route.read_only && cdb::refused_read_only(flags) {
        trace!(
            c.shared,
            trace::SCSI,
            "{}: opcode 0x{:02x} refused: read-only LUN\n",
            &*c.sess.initiator,
            c.opcode()
        );
        return Err(Stop::Sense(Sense::WRITE_PROTECTED));
    }
    if let Some((exp_dir, exp_len)) = c.expected {
        if cfg!(CONFIG_SCST_USE_EXPECTED_VALUES) {
            // Trust the initiator over the CDB table (configured so).
            c.decoded = Some((exp_dir, exp_len, flags));
            return c.alloc(exp_len);
        }
        // Checked first: a length of 0 in such a CDB means no data, not a
        // direction the initiator got wrong.
        if flags & cdb::EXACT_LENGTH != 0 && exp_len != len {
            pr_err!(
                "opcode 0x{:02x}: initiator sends {} bytes, the command takes exactly {}\n",
                c.opcode(),
                exp_len,
                len
            );
            return Err(Stop::Sense(Sense::invalid_field_in_cdb(0, None)));
        }
        // The CDB decides the direction.  The initiator's matters only if
        // it will not send data-out the CDB needs; data-out it sends to a
        // command that takes none is dropped by the driver, and data-in
        // it does not expect is cut (overflow).
        if has_data_out(dir) && len > 0 && !has_data_out(exp_dir) {
            pr_err!(
                "opcode 0x{:02x}: initiator expects direction {}, the CDB means {}\n",
                c.opcode(),
                exp_dir,
                dir
            );
            return Err(Stop::Sense(Sense::INVALID_MESSAGE));
        }
        if dir == SCST_DATA_READ && exp_len < len {
            // Data-in the initiator does not take is never sent: the
            // buffer holds what is (READ CAPACITY(16) with an allocation
            // length of 4 GiB sends 32 bytes), rounded up so that a cut
            // read still ends on a block.  The handler's response length
            // keeps the rest for the residual (`resp_full`).
            return c.alloc(len.min(data_in_room(exp_len)));
        }
        if has_data_out(dir) && exp_len < len {
            // Fewer bytes than the CDB's: a virtual device's handler
            // writes the whole blocks that came and the residual reports
            // the overflow; a real device would wait for the rest.
            if route.handler.flags & SCST_DEV_VIRTUAL == 0 || dir == SCST_DATA_BIDI {
                pr_err!(
                    "opcode 0x{:02x}: initiator sends {} bytes, CDB says {}\n",
                    c.opcode(),
                    exp_len,
                    len
                );
                return Err(Stop::Sense(Sense::invalid_field_in_cdb(0, None)));
            }
            return c.alloc(exp_len);
        }
    }
    if c.use_tgt_sg(dir, len) {
        return Ok(());
    }
    // A failed allocation is a busy target, not a failed command.
    c.alloc(len)
}

/// Room for a data-in command the initiator expects `exp_len` bytes of:
/// a multiple of 64 KiB, the largest block size, so that a cut read is
/// still whole blocks of any device.
fn data_in_room(exp_len: u32) -> u32 {
    const ROUND: u32 = 64 * 1024;
    exp_len.checked_next_multiple_of(ROUND).unwrap_or(u32::MAX)
}

/// Whether data direction `dir` (`SCST_DATA_*`) moves data to the target.
fn has_data_out(dir: u32) -> bool {
    dir == SCST_DATA_WRITE || dir == SCST_DATA_BIDI
}

/// Stage `Gate`: the command may start if its task attribute allows;
/// otherwise the task set parks it and `resume`s it later.
fn gate(p: *mut ScstCmd) -> Flow {
    // SAFETY: the command is ours.
    let c = unsafe { get(p) };
    if !c.entered {
        return Flow::Go(Stage::Execute);
    }
    // Set before parking: whoever resumes it runs `Execute`.
    c.stage = Stage::Execute;
    // Once parked, another thread may own (and free) the command: `c` is
    // not used after this point; the session is held for the lock, the
    // state's address only compared.
    let sess = c.sess.clone();
    let st: *const CmdState = &*c.state;
    if sess.tasks.lock().start(|k| core::ptr::eq(&*k.state, st)) {
        Flow::Go(Stage::Execute)
    } else {
        Flow::Wait
    }
}

/// Stage `Execute`: the handler's `exec` (skipped if aborted), once the
/// debug and serialization options let the command through.
fn execute(p: *mut ScstCmd) -> Flow {
    // SAFETY: the command is ours; the reference ends before the callback.
    let c = unsafe { get(p) };
    if !may_execute(c, p) {
        // Queued: someone else owns the command now.
        return Flow::Wait;
    }
    if aborted(c) {
        // Never executed: no `dev_done` either.
        exec_over(c);
        return Flow::Go(Stage::Xmit);
    }
    let Some(exec) = c.route.and_then(|r| r.handler.exec) else {
        return Flow::Go(Stage::DevDone);
    };
    c.t_exec = now_ns();
    let sync = c
        .route
        .is_some_and(|r| r.handler.flags & SCST_DEV_EXEC_SYNC != 0);
    c.check.hand_out(Waiting::Exec);
    // Inside the exec section: a device leaving waits for it even if the
    // command is answered and freed before `exec` returns.
    let section = crate::tm::ExecSection::enter();
    // SAFETY: live command; if this returns NOT_COMPLETED the handler owns
    // the command until `scst_cmd_done`, so it is not touched here.
    let r = unsafe { exec(p) };
    drop(section);
    match r {
        SCST_EXEC_COMPLETED => {
            // SAFETY: COMPLETED: the command is still ours.
            unsafe { get(p) }.check.hand_out(Waiting::Core);
            return Flow::Go(Stage::DevDone);
        }
        // SAFETY: NEED_THREAD: the command is still ours.
        SCST_EXEC_NEED_THREAD => return need_thread(unsafe { get(p) }),
        SCST_EXEC_NOT_COMPLETED => {}
        // Whether the handler kept the command is unknown: it is left to
        // the handler, as NOT_COMPLETED (touching it could be a use after
        // free).
        other => pr_err!(
            "a device handler's exec returned {}, not an SCST_EXEC_* value: taken as NOT_COMPLETED\n",
            other
        ),
    }
    if sync {
        // The handler owns the command now: only its promise is checked.
        pr_err!("a handler declaring SCST_DEV_EXEC_SYNC did not complete a command in exec\n");
    }
    Flow::Wait
}

/// The handler's `exec` would have waited: it is called again from a
/// thread (`may_run`).  From a thread it is the handler's bug, and the
/// command fails rather than loop.
fn need_thread(c: &mut Command) -> Flow {
    c.check.hand_out(Waiting::Core);
    if c.ctx == Ctx::Process {
        pr_err!(
            "a handler asked for a thread (SCST_EXEC_NEED_THREAD) from a thread, opcode 0x{:02x}\n",
            c.opcode()
        );
        c.set_sense(Sense::INTERNAL_TARGET_FAILURE);
        return Flow::Go(Stage::DevDone);
    }
    c.exec_in_thread = true;
    Flow::Go(Stage::Execute)
}

/// Whether `c` may go on to `exec` now.  If not, it was queued (held by
/// CONFIG_SCST_DEBUG_TM, or waiting for its device under
/// CONFIG_SCST_STRICT_SERIALIZING) and will be resumed.
fn may_execute(c: &mut Command, p: *mut ScstCmd) -> bool {
    let Some(r) = c.route else { return true };
    if cfg!(CONFIG_SCST_STRICT_SERIALIZING) && !c.serial_owner {
        // Set first: once queued, the command is the line's.
        c.serial_owner = true;
        if !c.shared.serial.lock().enter(r.dev_id, p.cast()) {
            return false;
        }
    }
    if cfg!(CONFIG_SCST_DEBUG_TM) && !c.dbg_held {
        c.dbg_held = true;
        if crate::tm_dbg::hold(c.shared, p.cast(), c.state.lun, c.sess.group.as_bytes()) {
            return false;
        }
    }
    true
}

/// The command's execution is over: under CONFIG_SCST_STRICT_SERIALIZING
/// the next command waiting for its device goes.
fn exec_over(c: &mut Command) {
    if !core::mem::take(&mut c.serial_owner) {
        return;
    }
    let Some(r) = c.route else { return };
    let next = c.shared.serial.lock().leave(r.dev_id);
    if let Some(n) = next {
        resume(c.shared, n);
    }
}

/// Stage `DevDone`: the handler's `dev_done`.
fn dev_done(p: *mut ScstCmd) -> Flow {
    // SAFETY: the command is ours; the reference ends before the callback.
    let c = unsafe { get(p) };
    exec_over(c);
    if c.t_exec != 0 {
        c.exec_ns = now_ns().saturating_sub(c.t_exec);
    }
    let dev_done = c.route.and_then(|r| r.handler.dev_done);
    if let Some(f) = dev_done {
        // SAFETY: live, executed command.
        let r = unsafe { f(p) };
        // Once per load: a handler that returns another value does so
        // for every command.
        static WARNED: AtomicBool = AtomicBool::new(false);
        if r != SCST_CMD_STATE_DEFAULT && r != 0 && !WARNED.swap(true, Ordering::Relaxed) {
            pr_warn!(
                "a device handler's dev_done returned {}: ignored (only SCST_CMD_STATE_DEFAULT is defined; logged once)\n",
                r
            );
        }
    }
    Flow::Go(Stage::Xmit)
}

/// Stage `Xmit`: the command is complete for its task set (waiting ones
/// may start) and goes to the driver.
fn xmit(p: *mut ScstCmd) -> Flow {
    let xmit = {
        // SAFETY: the command is ours; the reference ends before the callback.
        let c = unsafe { get(p) };
        if c.decoded.is_some_and(|d| d.0 != SCST_DATA_WRITE) {
            c.moved = c.resp_full;
        }
        // Data the initiator did not ask for is not sent.
        if let Some((_, exp)) = c.expected {
            c.resp_len = c.resp_len.min(exp);
        }
        if c.entered {
            let shared = c.shared;
            c.sess
                .tasks
                .lock()
                .complete(|k| c.is(k), |k| resume(shared, k.cmd));
        }
        trace_result(c);
        account_latency(c);
        c.check.hand_out(Waiting::Response);
        c.tmpl.xmit_response
    };
    let Some(xmit) = xmit else {
        return Flow::Wait;
    };
    // SAFETY: live command; the driver ends it with `tgt_done`.
    let r = unsafe { xmit(p) };
    if r == SCST_TGT_RES_SUCCESS {
        return Flow::Wait;
    }
    // SAFETY: not taken (`ScstTgtTemplate::xmit_response`): the command is
    // still ours.
    unsafe { not_taken(p, "xmit_response", r, "the command is freed unanswered") };
    Flow::Go(Stage::Free)
}

fn trace_result(c: &Command) {
    if !c.shared.traced(trace::SCSI) {
        return;
    }
    let s = crate::scst_rs::scsi::sense::parse(c.sense.get(..c.sense_len).unwrap_or(&[]));
    let (key, asc, ascq) = s.map_or((0, 0, 0), |s| (s.key.code(), s.asc, s.ascq));
    trace!(
        c.shared,
        trace::SCSI,
        "{}: LUN {} opcode 0x{:02x}: status 0x{:02x} sense {:x}/{:02x}/{:02x}, {} bytes{}\n",
        &*c.sess.initiator,
        c.state.lun,
        c.opcode(),
        c.status,
        key,
        asc,
        ascq,
        c.resp_len,
        if aborted(c) { ", aborted" } else { "" }
    );
}

/// Stage `Free`: the driver is done with the command.
fn free(p: *mut ScstCmd) {
    // SAFETY: the command is ours; the reference ends before the callback.
    let on_free = unsafe { get(p) }.tmpl.on_free_cmd;
    if let Some(f) = on_free {
        // SAFETY: still live.
        unsafe { f(p) };
    }
    // SAFETY: `p` came from `KBox::into_raw` in `rx` and is freed once.
    let mut c = unsafe { KBox::from_raw(p.cast::<Command>()) };
    c.check.kill();
    drop(c);
}

/// The driver delivered (or failed to deliver) a write's data.
///
/// # Safety
///
/// `p` is a live command that was passed to `rdy_to_xfer`.
pub(crate) unsafe fn rx_data(p: *mut ScstCmd, status: c_int, ctx: c_int) {
    // SAFETY: function contract.
    let Some(ctx) = (unsafe { take_back(p, Waiting::Data, ctx) }) else {
        return;
    };
    // SAFETY: function contract; the reference ends before `proceed`.
    let c = unsafe { get(p) };
    if status == SCST_RX_STATUS_SUCCESS {
        c.moved = c.decoded.map_or(0, |d| d.1);
        proceed(p, Stage::Gate, ctx)
    } else {
        c.set_sense(Sense::DATA_PHASE_ERROR);
        proceed(p, Stage::Xmit, ctx)
    }
}

/// A handler finished an `exec` that returned NOT_COMPLETED.
///
/// # Safety
///
/// `p` is a live command being executed.
pub(crate) unsafe fn done(p: *mut ScstCmd, ctx: c_int) {
    // SAFETY: function contract.
    let Some(ctx) = (unsafe { take_back(p, Waiting::Exec, ctx) }) else {
        return;
    };
    proceed(p, Stage::DevDone, ctx)
}

/// The driver is done with the command: free it.
///
/// # Safety
///
/// `p` is a live command; nothing uses it afterwards.
pub(crate) unsafe fn tgt_done(p: *mut ScstCmd, ctx: c_int) {
    // SAFETY: function contract.
    let Some(ctx) = (unsafe { take_back(p, Waiting::Response, ctx) }) else {
        return;
    };
    proceed(p, Stage::Free, ctx)
}

/// Decodes the CDB for the command's device with `block_size` (a
/// handler's parse helper).  On error, sets CHECK CONDITION.  A
/// vendor-specific opcode for a pass-through device takes the initiator's
/// expected direction and length; what it does is unknown, so a
/// read-only LUN refuses it whatever its direction.
///
/// # Safety
///
/// `p` is a live command in `parse`.
pub(crate) unsafe fn decode(p: *mut ScstCmd, block_size: u32) -> Result {
    // SAFETY: function contract.
    let c = unsafe { get(p) };
    let Some(route) = c.route else {
        return Err(EINVAL);
    };
    let dev_type = u8::try_from(route.handler.type_).unwrap_or(0x1f);
    match cdb::decode(c.cdb(), dev_type, block_size) {
        Ok(d) => {
            let dir = match d.direction {
                Direction::None => SCST_DATA_NONE,
                Direction::Read => SCST_DATA_READ,
                Direction::Write => SCST_DATA_WRITE,
                Direction::Bidi => SCST_DATA_BIDI,
            };
            let Ok(len) = u32::try_from(d.transfer_len) else {
                c.set_sense(Sense::invalid_field_in_cdb(0, None));
                return Err(EINVAL);
            };
            // Length not in the CDB: trust the initiator's expectation.
            let len = if d.flags & cdb::UNKNOWN_LENGTH != 0 {
                c.expected.map_or(0, |e| e.1)
            } else {
                len
            };
            c.decoded = Some((dir, len, d.flags));
            Ok(())
        }
        // A vendor-specific opcode for a real device: no table knows it,
        // the device does; go by what the initiator expects.
        Err(DecodeError::UnknownOpcode(code))
            if code >= op::FIRST_VENDOR_SPECIFIC
                && route.handler.flags & SCST_DEV_VIRTUAL == 0
                && c.expected.is_some() =>
        {
            let (dir, len) = c.expected.unwrap_or((SCST_DATA_NONE, 0));
            c.decoded = Some((dir, len, cdb::CHANGES_STATE));
            Ok(())
        }
        Err(e) => {
            let s = match e {
                DecodeError::Empty
                | DecodeError::UnknownOpcode(_)
                | DecodeError::WrongDeviceType { .. } => {
                    // SAFETY: the handler's name was checked at registration.
                    let name =
                        unsafe { kernel::str::CStr::from_char_ptr(route.handler.name.cast()) };
                    pr_err!("Unknown opcode 0x{:02x} for {}\n", c.opcode(), name);
                    Sense::INVALID_OPCODE
                }
                DecodeError::TooShort { .. } => Sense::invalid_field_in_cdb(0, None),
                DecodeError::InvalidField { byte, bit } => {
                    Sense::invalid_field_in_cdb(u16::try_from(byte).unwrap_or(0), bit)
                }
            };
            c.set_sense(s);
            Err(EINVAL)
        }
    }
}
