// SPDX-License-Identifier: GPL-2.0

//! SCSI command processing: from a target driver's `scst_rx_cmd` to its
//! `scst_tgt_cmd_done`.
//!
//! Stages: route (LUN → device, at rx) → core-local commands (REPORT LUNS,
//! anything for a LUN the session does not have) → handler `parse` (which
//! decodes the CDB through [`decode`]) → READ_ONLY check → buffer → write
//! data (`rdy_to_xfer` / `scst_rx_data`) → handler `exec` (maybe async,
//! `scst_cmd_done`) → `dev_done` → driver `xmit_response` → driver
//! `scst_tgt_cmd_done`, which frees the command.
//!
//! This version runs the stages in the context of whoever moves the
//! command on (driver or handler), which must be process context; moving
//! them to the SCST threads for drivers that receive in atomic context is
//! part of the core issue's remaining work.
//!
//! Every callback may complete and free the command, so no Rust reference
//! to it lives across a callback: stages read what they need, drop the
//! reference, then call out, and touch the command no more.

use crate::cdb::{self, DecodeError, Direction};
use crate::lun;
use crate::nexus;
use crate::trace;
use crate::registry::{Registry, Shared};
use crate::scst_rs::api::abi::{
    ScstCmd, ScstDevType, ScstSession, ScstTgtTemplate, SCST_DATA_BIDI, SCST_DATA_NONE, SCST_DATA_READ,
    SCST_DATA_WRITE, SCST_EXEC_COMPLETED, SCST_RX_STATUS_SUCCESS,
};
use crate::sense::{Sense, SenseKey, Status};
use crate::sgv::Buf;
use crate::tm::{self, CmdState};
use core::sync::atomic::{AtomicBool, Ordering};
use crate::scst_rs::vec::copy_prefix;
use crate::sessions::Session;
use core::ffi::c_void;
use kernel::{ffi::c_int, prelude::*, sync::Arc};

/// Longest CDB accepted.
pub(crate) const MAX_CDB: usize = 16;
/// Sense bytes kept per command (fixed format).
const SENSE_LEN: usize = crate::sense::FIXED_LEN;

/// Where a command goes.
#[derive(Clone, Copy)]
struct Route {
    dev_id: u32,
    handler: &'static ScstDevType,
    read_only: bool,
}

/// What the core decided about a command when it arrived.
#[derive(Clone, Copy)]
enum Early {
    /// Fail it with CHECK CONDITION (a unit attention).
    Sense(Sense),
    /// Fail it with this status (RESERVATION CONFLICT).
    Status(Status),
    /// REQUEST SENSE: return this pending unit attention as the data.
    SenseData(Sense),
}

/// A command.  Handed to drivers and handlers as `*mut ScstCmd`.
pub(crate) struct Command {
    sess: Arc<Session>,
    early: Option<Early>,
    tmpl: &'static ScstTgtTemplate,
    route: Option<Route>,
    cdb: [u8; MAX_CDB],
    cdb_len: usize,
    exp_len: Option<u32>,
    tgt_priv: *mut c_void,
    decoded: Option<(u32, u32, u32)>,
    shared: &'static Shared,
    /// What task management sees of the command.
    state: Arc<CmdState>,
    buf: Option<Buf>,
    resp_len: u32,
    status: u8,
    sense: [u8; SENSE_LEN],
    sense_len: usize,
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
        self.resp_len = 0;
    }

    fn set_status(&mut self, st: Status) {
        self.status = st.0;
        self.sense_len = 0;
        self.resp_len = 0;
    }

    /// Gives the command a `len`-byte buffer (BUSY if memory is short).
    fn alloc(&mut self, len: u32) -> core::result::Result<(), Stop> {
        if let Some(old) = self.buf.take() {
            self.shared.sgv.free(old);
        }
        let b = self.shared.sgv.alloc(len as usize).map_err(|_| {
            trace!(self.shared, trace::OUT_OF_MEM, "{}: BUSY: no buffer of {} bytes\n", &*self.sess.initiator, len);
            Stop::Status(Status::BUSY)
        })?;
        self.buf = Some(b);
        Ok(())
    }

    fn buf(&mut self) -> &mut [u8] {
        self.buf.as_mut().map_or(&mut [], |b| b.as_mut_slice())
    }

    fn buf_len(&self) -> usize {
        self.buf.as_ref().map_or(0, |b| b.len())
    }
}

impl Drop for Command {
    fn drop(&mut self) {
        if let Some(b) = self.buf.take() {
            self.shared.sgv.free(b);
        }
        tm::untrack(self.shared, &self.state);
    }
}

fn aborted(c: &Command) -> bool {
    c.state.aborted.load(Ordering::Acquire)
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

/// Creates a command of session `sess` for the 8-byte SAM LUN `lun_raw`.
pub(crate) fn rx(shared: &'static Shared, sess: *mut ScstSession, lun_raw: &[u8], cdb: &[u8], tgt_priv: *mut c_void) -> Result<*mut ScstCmd> {
    if cdb.is_empty() || cdb.len() > MAX_CDB {
        pr_err!("command refused: CDB of {} bytes (1..={})\n", cdb.len(), MAX_CDB);
        return Err(EINVAL);
    }
    let (sess, route, early, lun) = {
        let mut reg = shared.registry.lock();
        let Some(s) = crate::sessions::find_session(&reg, sess) else {
            pr_err!("command refused: session not registered\n");
            return Err(EINVAL);
        };
        let lun = lun::decode(lun_raw).ok();
        let route = lun.and_then(|l| {
            let g = reg.group(s.group.as_bytes())?;
            let e = g.luns.iter().find(|e| e.lun == l)?;
            let d = reg.device(e.dev_id)?;
            Some(Route { dev_id: d.id, handler: d.handler?.dev_type, read_only: e.read_only })
        });
        let early = match (route, lun) {
            (Some(r), Some(l)) => early_check(&mut reg, &s, l, r, cdb),
            _ => None,
        };
        (s, route, early, lun)
    };
    let state = Arc::new(
        CmdState {
            sess: sess.clone(),
            dev_id: route.map_or(0, |r| r.dev_id),
            lun: lun.unwrap_or(u64::MAX),
            tag: tgt_priv as usize,
            aborted: AtomicBool::new(false),
            finished: AtomicBool::new(false),
        },
        GFP_KERNEL,
    )?;
    let mut c = [0u8; MAX_CDB];
    copy_prefix(&mut c, cdb);
    let tmpl = sess.target.tmpl;
    let cmd = KBox::new(
        Command {
            sess,
            early,
            tmpl,
            route,
            cdb: c,
            cdb_len: cdb.len(),
            exp_len: None,
            tgt_priv,
            decoded: None,
            shared,
            state: state.clone(),
            buf: None,
            resp_len: 0,
            status: Status::GOOD.0,
            sense: [0; SENSE_LEN],
            sense_len: 0,
        },
        GFP_KERNEL,
    )?;
    if shared.traced(trace::SCSI) {
        let dev_type = route.map_or(0x1f, |r| u8::try_from(r.handler.type_).unwrap_or(0x1f));
        let name = cdb::decode(cdb, dev_type, 512).map_or("?", |d| d.name);
        trace!(shared, trace::SCSI, "{}: LUN {} {} {:02x?}\n", &*state.sess.initiator, state.lun, name, cdb);
    }
    // Tracked once it exists; untracked when it drops.  Without memory for
    // the list slot, the command is refused.
    tm::track(shared, &state)?;
    Ok(as_cmd(KBox::into_raw(cmd)))
}

/// Unit attentions and reservations, checked when a command arrives.
fn early_check(reg: &mut Registry, s: &Arc<Session>, lun: u64, r: Route, cdb: &[u8]) -> Option<Early> {
    let op = cdb.first().copied().unwrap_or(0);
    let sp: *const Session = &**s;
    match op {
        cdb_op::INQUIRY | cdb_op::REPORT_LUNS => {}
        cdb_op::REQUEST_SENSE => {
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
    let allowed = cdb::decode(cdb, dev_type, 512).is_ok_and(|d| d.flags & cdb::RESERVE_ALLOWED != 0);
    (!allowed).then_some(Early::Status(Status::RESERVATION_CONFLICT))
}

/// Starts processing a received command.
///
/// # Safety
///
/// `p` is a live command handle; the caller gives up its use of it.
pub(crate) unsafe fn init_done(shared: &Shared, p: *mut ScstCmd) {
    let (route, opcode) = {
        // SAFETY: function contract; the reference ends before any callback.
        let c = unsafe { get(p) };
        if aborted(c) {
            return xmit(p);
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
            return xmit(p);
        }
        if let Some(r) = c.route.filter(|_| is_reservation(c.opcode())) {
            reservation(shared, c, r);
            return xmit(p);
        }
        (c.route, c.opcode())
    };
    let Some(route) = route.filter(|_| opcode != cdb_op::REPORT_LUNS) else {
        // SAFETY: as above.
        unsafe { local(shared, get(p)) };
        return xmit(p);
    };
    let Some(parse) = route.handler.parse else { return xmit(p) };
    // SAFETY: `parse` is the registered handler's, called with a live
    // command; it may call back into the core (decode, set_error).
    let r = unsafe { parse(p) };
    // SAFETY: `parse` does not complete the command, so it is still live.
    let c = unsafe { get(p) };
    if c.status == Status::GOOD.0 {
        if r != 0 || c.decoded.is_none() {
            pr_err!("handler parse() failed ({}) for opcode 0x{:02x}\n", r, c.opcode());
            c.set_sense(Sense::INTERNAL_TARGET_FAILURE);
        } else if let Err(s) = check_and_alloc(c, route) {
            c.set_status_or_sense(s);
        }
    }
    if c.status != Status::GOOD.0 {
        return xmit(p);
    }
    let dir = c.decoded.map_or(SCST_DATA_NONE, |d| d.0);
    if dir == SCST_DATA_WRITE || dir == SCST_DATA_BIDI {
        let Some(rdy) = c.tmpl.rdy_to_xfer else {
            c.set_sense(Sense::INTERNAL_TARGET_FAILURE);
            return xmit(p);
        };
        // SAFETY: live command; the driver answers with `rx_data`.
        unsafe { rdy(p) };
        return;
    }
    exec(p, route);
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
    if route.read_only && flags & cdb::WRITE_MEDIUM != 0 {
        return Err(Stop::Sense(Sense::WRITE_PROTECTED));
    }
    // Write data beyond what the initiator sends cannot be made up.
    if dir == SCST_DATA_WRITE && c.exp_len.is_some_and(|e| e < len) {
        pr_err!("opcode 0x{:02x}: initiator sends {:?} bytes, CDB says {}\n", c.opcode(), c.exp_len, len);
        return Err(Stop::Sense(Sense::invalid_field_in_cdb(0, None)));
    }
    // A failed allocation is a busy target, not a failed command.
    c.alloc(len)
}

fn exec(p: *mut ScstCmd, route: Route) {
    // SAFETY: live command; the reference ends here.
    if aborted(unsafe { get(p) }) {
        return xmit(p);
    }
    let Some(exec) = route.handler.exec else { return xmit(p) };
    // SAFETY: live command; if this returns NOT_COMPLETED the handler owns
    // the command until `scst_cmd_done`, so it is not touched here.
    if unsafe { exec(p) } == SCST_EXEC_COMPLETED {
        finish(p, route);
    }
}

fn finish(p: *mut ScstCmd, route: Route) {
    if let Some(dev_done) = route.handler.dev_done {
        // SAFETY: live, executed command.
        unsafe { dev_done(p) };
    }
    xmit(p);
}

fn xmit(p: *mut ScstCmd) {
    let xmit = {
        // SAFETY: live command; the reference ends before the callback.
        let c = unsafe { get(p) };
        if c.shared.traced(trace::SCSI) {
            let s = crate::sense::parse(c.sense.get(..c.sense_len).unwrap_or(&[]));
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
        c.tmpl.xmit_response
    };
    if let Some(xmit) = xmit {
        // SAFETY: live command; the driver ends it with `tgt_done`.
        unsafe { xmit(p) };
    }
}

/// The driver delivered (or failed to deliver) a write's data.
///
/// # Safety
///
/// `p` is a live command that was passed to `rdy_to_xfer`.
pub(crate) unsafe fn rx_data(p: *mut ScstCmd, status: c_int) {
    let route = {
        // SAFETY: function contract; the reference ends before any callback.
        let c = unsafe { get(p) };
        if status != SCST_RX_STATUS_SUCCESS {
            c.set_sense(Sense::DATA_PHASE_ERROR);
            None
        } else {
            c.route
        }
    };
    match route {
        Some(r) => exec(p, r),
        None => xmit(p),
    }
}

/// A handler finished an `exec` that returned NOT_COMPLETED.
///
/// # Safety
///
/// `p` is a live command being executed.
pub(crate) unsafe fn done(p: *mut ScstCmd) {
    // SAFETY: function contract.
    let route = unsafe { get(p) }.route;
    match route {
        Some(r) => finish(p, r),
        None => xmit(p),
    }
}

/// The driver is done with the command: free it.
///
/// # Safety
///
/// `p` is a live command; nothing uses it afterwards.
pub(crate) unsafe fn tgt_done(p: *mut ScstCmd) {
    // SAFETY: function contract; the reference ends before the callback.
    let on_free = unsafe { get(p) }.tmpl.on_free_cmd;
    if let Some(f) = on_free {
        // SAFETY: still live.
        unsafe { f(p) };
    }
    // SAFETY: `p` came from `KBox::into_raw` in `rx` and is freed once.
    drop(unsafe { KBox::from_raw(p.cast::<Command>()) });
}

/// Decodes the CDB for the command's device with `block_size` (a
/// handler's parse helper).  On error, sets CHECK CONDITION.
///
/// # Safety
///
/// `p` is a live command in `parse`.
pub(crate) unsafe fn decode(p: *mut ScstCmd, block_size: u32) -> Result {
    // SAFETY: function contract.
    let c = unsafe { get(p) };
    let Some(route) = c.route else { return Err(EINVAL) };
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
            let len = if d.flags & cdb::UNKNOWN_LENGTH != 0 { c.exp_len.unwrap_or(0) } else { len };
            c.decoded = Some((dir, len, d.flags));
            Ok(())
        }
        Err(e) => {
            let s = match e {
                DecodeError::Empty | DecodeError::UnknownOpcode(_) | DecodeError::WrongDeviceType { .. } => {
                    // SAFETY: the handler's name was checked at registration.
                    let name = unsafe { kernel::str::CStr::from_char_ptr(route.handler.name.cast()) };
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

fn is_reservation(op: u8) -> bool {
    matches!(op, cdb_op::RESERVE_6 | cdb_op::RESERVE_10 | cdb_op::RELEASE_6 | cdb_op::RELEASE_10)
}

/// SPC-2 RESERVE and RELEASE of the whole logical unit.  Third-party
/// reservations are not supported.
fn reservation(shared: &Shared, c: &mut Command, r: Route) {
    let op = c.opcode();
    let b1 = c.cdb[1];
    // 3RDPTY (both sizes) and LONGID (10-byte): third-party reservations.
    let third = b1 & 0x10 != 0 || (matches!(op, cdb_op::RESERVE_10 | cdb_op::RELEASE_10) && b1 & 0x02 != 0);
    if third {
        return c.set_sense(Sense::invalid_field_in_cdb(1, Some(4)));
    }
    let mut reg = shared.registry.lock();
    let Some(d) = reg.devices.iter_mut().find(|d| d.id == r.dev_id) else {
        return c.set_sense(Sense::LUN_NOT_SUPPORTED);
    };
    let mine = d.reserved_by.as_ref().map(|h| Arc::ptr_eq(h, &c.sess));
    match (op, mine) {
        // Reserved by someone else: RESERVE was stopped at arrival.
        (cdb_op::RESERVE_6 | cdb_op::RESERVE_10, Some(false)) => c.set_status(Status::RESERVATION_CONFLICT),
        (cdb_op::RESERVE_6 | cdb_op::RESERVE_10, _) => d.reserved_by = Some(c.sess.clone()),
        // RELEASE by a non-holder succeeds and changes nothing.
        (_, Some(true)) => d.reserved_by = None,
        _ => {}
    }
}

/// REQUEST SENSE answered with sense `s` as its data.
fn sense_data(c: &mut Command, s: Sense) -> core::result::Result<(), Stop> {
    let alloc = u32::from(c.cdb.get(4).copied().unwrap_or(0));
    let mut data = [0u8; SENSE_LEN];
    let n = s.encode_fixed(&mut data);
    send(c, data.get(..n).unwrap_or(&[]), alloc)
}

mod cdb_op {
    pub(super) const RESERVE_6: u8 = 0x16;
    pub(super) const RELEASE_6: u8 = 0x17;
    pub(super) const RESERVE_10: u8 = 0x56;
    pub(super) const RELEASE_10: u8 = 0x57;
    pub(super) const INQUIRY: u8 = 0x12;
    pub(super) const REQUEST_SENSE: u8 = 0x03;
    pub(super) const REPORT_LUNS: u8 = 0xa0;
}

/// Commands the core answers itself: REPORT LUNS, and everything for a
/// LUN the session's group does not have.
fn local(shared: &Shared, c: &mut Command) {
    let r = match c.opcode() {
        cdb_op::REPORT_LUNS => report_luns(shared, c),
        cdb_op::INQUIRY if c.route.is_none() => inquiry_no_lun(c),
        // REQUEST SENSE for a LUN the session does not have.
        cdb_op::REQUEST_SENSE if c.route.is_none() => sense_data(c, Sense::LUN_NOT_SUPPORTED),
        _ => {
            c.set_sense(Sense::LUN_NOT_SUPPORTED);
            return;
        }
    };
    if let Err(s) = r {
        c.set_status_or_sense(s);
    }
}

fn be32(b: &[u8], at: usize) -> u32 {
    let mut v = 0u32;
    for i in 0..4 {
        v = (v << 8) | u32::from(b.get(at + i).copied().unwrap_or(0));
    }
    v
}

fn report_luns(shared: &Shared, c: &mut Command) -> core::result::Result<(), Stop> {
    if c.cdb_len < 12 {
        return Err(Stop::Sense(Sense::invalid_field_in_cdb(0, None)));
    }
    // SELECT REPORT 0, 1 and 2 all mean our (flat) list here.
    if c.cdb[2] > 2 {
        return Err(Stop::Sense(Sense::invalid_field_in_cdb(2, None)));
    }
    let alloc = be32(&c.cdb, 6);
    if alloc < 16 {
        return Err(Stop::Sense(Sense::invalid_field_in_cdb(6, None)));
    }
    let mut luns = KVec::new();
    {
        let reg = shared.registry.lock();
        if let Some(g) = reg.group(c.sess.group.as_bytes()) {
            luns.reserve(g.luns.len(), GFP_KERNEL).map_err(|_| Stop::Status(Status::BUSY))?;
            for l in g.luns.iter() {
                luns.push(l.lun, GFP_KERNEL).map_err(|_| Stop::Status(Status::BUSY))?;
            }
        }
    }
    let full = lun::report_luns_len(luns.len());
    let n = alloc.min(u32::try_from(full).unwrap_or(u32::MAX));
    c.alloc(n)?;
    lun::report_luns(luns.iter().copied(), c.buf());
    c.resp_len = n;
    c.decoded = Some((SCST_DATA_READ, n, 0));
    Ok(())
}

/// INQUIRY for a LUN the session does not have: peripheral qualifier 3
/// ("not capable of supporting a device here"), type 0x1f.
fn inquiry_no_lun(c: &mut Command) -> core::result::Result<(), Stop> {
    if c.cdb_len < 6 {
        return Err(Stop::Sense(Sense::invalid_field_in_cdb(0, None)));
    }
    let alloc = u32::from(u16::from_be_bytes([c.cdb[3], c.cdb[4]]));
    let mut data = [0u8; 36];
    data[0] = 0x7f;
    if c.cdb[1] & 1 != 0 {
        // A VPD page header with no page data.
        data[1] = c.cdb[2];
        return send(c, &data[..4], alloc);
    }
    data[2] = 0x05; // SPC-3
    data[3] = 0x02; // response data format
    data[4] = 31; // additional length
    copy_prefix(&mut data[8..], b"SCST_RS ");
    send(c, &data, alloc)
}

/// Returns `data`, cut to the allocation length.
fn send(c: &mut Command, data: &[u8], alloc: u32) -> core::result::Result<(), Stop> {
    let n = (data.len() as u32).min(alloc);
    c.alloc(n)?;
    copy_prefix(c.buf(), data);
    c.resp_len = n;
    c.decoded = Some((SCST_DATA_READ, n, 0));
    Ok(())
}

// Accessors behind the exported functions.  Each takes a live handle.

/// # Safety
/// `p` is a live command handle.
pub(crate) unsafe fn is_aborted(p: *mut ScstCmd) -> bool {
    // SAFETY: function contract.
    aborted(unsafe { get(p) })
}

/// # Safety
/// `p` is a live command handle.
pub(crate) unsafe fn set_expected(p: *mut ScstCmd, dir: u32, len: u32) {
    // SAFETY: function contract.
    let c = unsafe { get(p) };
    // The expected direction is not checked yet (docs/core.md); the
    // length is, for writes.
    let _ = dir;
    c.exp_len = Some(len);
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
pub(crate) unsafe fn set_resp_len(p: *mut ScstCmd, len: u32) {
    // SAFETY: function contract.
    let c = unsafe { get(p) };
    c.resp_len = len.min(c.buf_len() as u32);
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

/// # Safety
/// `p` is a live command handle.
pub(crate) unsafe fn set_error(p: *mut ScstCmd, key: u8, asc: u8, ascq: u8) {
    // SAFETY: function contract.
    unsafe { get(p) }.set_sense(Sense::new(SenseKey::new(key), asc, ascq));
}
