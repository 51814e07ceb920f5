// SPDX-License-Identifier: GPL-2.0

//! A session in full feature phase: one connection (MaxConnections is 1),
//! its receive thread and its responses.
//!
//! The receive thread reads each PDU and submits SCSI commands to SCST in
//! CmdSN order (one connection delivers them in order).  Responses are
//! sent by whoever has them (the core's `xmit_response` in an SCST
//! thread, the receive thread for NOP-In, Logout and Reject) under the
//! `tx` lock, which also hands out StatSNs.
//!
//! This part serves commands without data from the initiator (reads and
//! commands without data); a command with data to the target is answered
//! CHECK CONDITION / INVALID FIELD IN CDB after its data is read and
//! dropped, until Data-Out and R2T are implemented (docs/iscsi.md).

use crate::ctl::ConnReq;
use crate::params::Negotiated;
use crate::pdu::{self, reject, sn_lt, Bhs, DataIn, NopIn, Request, ScsiRsp, RESERVED_TAG};
use crate::scst_rs::api::{
    abi::{ScstCmd, SCST_DATA_NONE, SCST_DATA_READ},
    client::{SessionRegistration, TargetRegistration},
    cmd::{Cmd, Context},
};
use crate::scst_rs::socket::Socket;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::{fmt, new_mutex, prelude::*, str::CString, sync::{Arc, Mutex}};

/// SAM status values.
const GOOD: u8 = 0x00;
const CHECK_CONDITION: u8 = 0x02;
const BUSY: u8 = 0x08;

/// What the transmit side keeps.
struct Tx {
    stat_sn: u32,
}

/// A session and its connection.
#[pin_data]
pub(crate) struct Session {
    pub(crate) tid: u32,
    pub(crate) initiator: CString,
    pub(crate) isid: [u8; 6],
    pub(crate) tsih: u16,
    pub(crate) sock: Socket,
    params: Negotiated,
    /// The next CmdSN expected (written by the receive thread only).
    exp_cmd_sn: AtomicU32,
    /// Non-immediate commands received and not yet answered: the window
    /// (QueuedCommands) shrinks by them.
    in_flight: AtomicU32,
    #[pin]
    tx: Mutex<Tx>,
    /// The connection is over (the receive thread ended).
    pub(crate) ended: AtomicBool,
    /// The SCST session; taken by the receive thread when it ends.
    #[pin]
    reg: Mutex<Option<SessionRegistration>>,
}

/// After a PDU: go on, or end the session (why).
enum Next {
    Go,
    End(&'static str),
}

/// A command on its way through SCST (the command's `tgt_priv`).
struct IscsiCmd {
    sess: Arc<Session>,
    itt: u32,
    lun: [u8; 8],
    immediate: bool,
}

impl Session {
    /// Registers the SCST session of a connection iscsi-scstd handed over.
    pub(crate) fn new(tgt: &TargetRegistration, r: &ConnReq, initiator: &[u8], sock: Socket) -> Result<Arc<Self>> {
        let name = CString::try_from_fmt(fmt!("{}", crate::BStr(initiator)))?;
        let reg = SessionRegistration::new(tgt, &name)?;
        Arc::pin_init(
            pin_init!(Session {
                tid: r.tid,
                initiator: name,
                isid: r.isid,
                tsih: r.tsih,
                sock,
                params: r.params,
                exp_cmd_sn: AtomicU32::new(r.exp_cmd_sn),
                in_flight: AtomicU32::new(0),
                tx <- new_mutex!(Tx { stat_sn: r.stat_sn }),
                ended: AtomicBool::new(false),
                reg <- new_mutex!(Some(reg)),
            }),
            GFP_KERNEL,
        )
    }

    /// MaxCmdSN: the window is QueuedCommands minus the commands in flight.
    fn max_cmd_sn(&self) -> u32 {
        let exp = self.exp_cmd_sn.load(Ordering::Relaxed);
        let room = self.params.queued_commands.saturating_sub(self.in_flight.load(Ordering::Relaxed));
        exp.wrapping_add(room).wrapping_sub(1)
    }

    /// Sends one PDU: header, then data padded to 4 bytes.  `status`: it
    /// carries a status (takes a StatSN).
    fn send(&self, mut bhs: Bhs, data: &[u8], status: bool) -> Result {
        bhs.set_data_len(u32::try_from(data.len()).map_err(|_| EINVAL)?);
        let mut tx = self.tx.lock();
        bhs.set_sn(tx.stat_sn, self.exp_cmd_sn.load(Ordering::Relaxed), self.max_cmd_sn());
        if status {
            tx.stat_sn = tx.stat_sn.wrapping_add(1);
        }
        let pad = pdu::pad4(data.len()) - data.len();
        self.sock.send(&bhs.0, !data.is_empty())?;
        self.sock.send(data, pad > 0)?;
        self.sock.send(&[0u8; 3][..pad], false)
    }

    /// The receive loop; returns when the connection ends.
    pub(crate) fn run(self: &Arc<Self>) {
        let why = loop {
            match self.receive_one() {
                Ok(Next::Go) => {}
                Ok(Next::End(why)) | Err(why) => break why,
            }
        };
        let mut peer = [0u8; 64];
        pr_info!("session {} ({}) to tid {} ends: {}\n", &*self.initiator, self.sock.peer(&mut peer), self.tid, why);
        self.sock.shutdown();
        // Unregistering waits for the session's commands: their responses
        // fail at once on the shut socket.
        let reg = self.reg.lock().take();
        drop(reg);
        self.ended.store(true, Ordering::Release);
    }

    /// Reads `n` bytes of data (and padding) and drops them.
    fn discard(&self, n: usize) -> Result<bool, &'static str> {
        let mut left = pdu::pad4(n);
        let mut buf = [0u8; 256];
        while left > 0 {
            let k = left.min(buf.len());
            if !self.sock.recv_exact(&mut buf[..k]).map_err(|_| "receive error")? {
                return Err("connection closed inside a PDU");
            }
            left -= k;
        }
        Ok(true)
    }

    /// One PDU.
    fn receive_one(self: &Arc<Self>) -> Result<Next, &'static str> {
        let mut bhs = Bhs::default();
        if !self.sock.recv_exact(&mut bhs.0).map_err(|_| "receive error")? {
            return Ok(Next::End("the initiator closed the connection"));
        }
        if self.params.header_digest != 0 || self.params.data_digest != 0 {
            return Err("digests are not implemented yet");
        }
        // Additional header segments: an extended CDB is not supported yet;
        // the bytes are skipped.
        let ahs = bhs.ahs_len();
        self.discard(ahs)?;
        let len = bhs.data_len() as usize;
        if len > self.params.max_recv_data_segment_length as usize {
            // The stream can still be parsed, but the initiator broke the
            // negotiated limit: the connection ends (RFC 7143 7.8).
            return Err("data segment longer than MaxRecvDataSegmentLength");
        }
        let req = match Request::decode(&bhs) {
            Ok(r) => r,
            Err(pdu::Refused(reason)) => {
                self.discard(len)?;
                self.reject(reason, &bhs)?;
                return Ok(Next::Go);
            }
        };
        if let Some(sn) = req.cmd_sn() {
            if !self.accept_cmd_sn(sn, req.immediate()) {
                // Outside the window: silently ignored (RFC 7143 3.2.2.1).
                self.discard(len)?;
                return Ok(Next::Go);
            }
        }
        match req {
            Request::ScsiCmd(c) => self.scsi_command(&c, len)?,
            Request::NopOut(n) => self.nop_out(&n, len)?,
            Request::Logout(l) => {
                self.discard(len)?;
                self.logout(&l)?;
                return Ok(Next::End("logout"));
            }
            Request::Text(t) => {
                // Full-feature Text (e.g. SendTargets in a normal session):
                // an empty final answer for now.
                self.discard(len)?;
                let rsp = pdu::TextRsp { final_: true, lun: t.lun, itt: t.itt, ttt: RESERVED_TAG, ..Default::default() };
                self.send(rsp.encode(), &[], true).map_err(|_| "send error")?;
            }
            Request::TaskMgmt(t) => {
                self.discard(len)?;
                self.send(pdu::task_mgmt_rsp(t.itt, pdu::tmf_rsp::NOT_SUPPORTED), &[], true).map_err(|_| "send error")?;
            }
            Request::DataOut(_) | Request::Snack(_) | Request::Login(_) => {
                self.discard(len)?;
                self.reject(reject::PROTOCOL_ERROR, &bhs)?;
            }
        }
        Ok(Next::Go)
    }

    /// Checks a CmdSN against the window; advances ExpCmdSN for a
    /// non-immediate PDU.
    fn accept_cmd_sn(&self, sn: u32, immediate: bool) -> bool {
        let exp = self.exp_cmd_sn.load(Ordering::Relaxed);
        if immediate {
            return true;
        }
        if sn_lt(sn, exp) || sn_lt(self.max_cmd_sn(), sn) {
            return false;
        }
        self.exp_cmd_sn.store(sn.wrapping_add(1), Ordering::Relaxed);
        true
    }

    fn reject(&self, reason: u8, bad: &Bhs) -> Result<(), &'static str> {
        self.send(pdu::reject(reason), &bad.0, true).map_err(|_| "send error")
    }

    fn nop_out(&self, n: &pdu::NopOut, len: usize) -> Result<(), &'static str> {
        if n.itt == RESERVED_TAG {
            // A ping answering ours, or one that wants no answer.
            return self.discard(len).map(|_| ());
        }
        // The ping data comes back (bounded by MaxRecvDataSegmentLength).
        let mut data = KVec::from_elem(0u8, pdu::pad4(len), GFP_KERNEL).map_err(|_| "out of memory")?;
        if !self.sock.recv_exact(&mut data).map_err(|_| "receive error")? {
            return Err("connection closed inside a PDU");
        }
        let rsp = NopIn { lun: n.lun, itt: n.itt, ttt: RESERVED_TAG, data_len: 0 };
        self.send(rsp.encode(), data.get(..len).unwrap_or(&[]), true).map_err(|_| "send error")
    }

    /// Logout: waits for the session's commands, then answers.
    fn logout(&self, l: &pdu::LogoutReq) -> Result<(), &'static str> {
        let mut waited = 0;
        while self.in_flight.load(Ordering::Acquire) > 0 && waited < 30_000 {
            crate::scst_rs::sys::sleep_ms(10);
            waited += 10;
        }
        let p = &self.params;
        let rsp = pdu::logout_rsp(l.itt, 0, p.default_time2wait as u16, p.default_time2retain as u16);
        self.send(rsp, &[], true).map_err(|_| "send error")
    }

    /// A SCSI Command PDU whose `len` bytes of immediate data follow.
    fn scsi_command(self: &Arc<Self>, c: &pdu::ScsiCmd, len: usize) -> Result<(), &'static str> {
        if c.write || len > 0 {
            // Data to the target: not yet (see the module comment).
            self.discard(len)?;
            return self.answer_now(c, CHECK_CONDITION, &INVALID_FIELD_IN_CDB);
        }
        let ic = KBox::new(
            IscsiCmd { sess: self.clone(), itt: c.itt, lun: c.lun, immediate: c.immediate },
            GFP_KERNEL,
        )
        .map_err(|_| "out of memory")?;
        let reg = self.reg.lock();
        let Some(sess) = reg.as_ref().map(|r| r.as_ptr()) else { return Err("session gone") };
        drop(reg);
        let p = KBox::into_raw(ic);
        // SAFETY: the session is registered until this thread (the only
        // submitter) unregisters it.
        let Some(cmd) = (unsafe { Cmd::rx(sess, &c.lun, &c.cdb, p.cast(), false) }) else {
            // SAFETY: the core did not take `p`.
            drop(unsafe { KBox::from_raw(p) });
            return self.answer_now(c, BUSY, &[]);
        };
        if !c.immediate {
            self.in_flight.fetch_add(1, Ordering::AcqRel);
        }
        let dir = if c.read { SCST_DATA_READ } else { SCST_DATA_NONE };
        cmd.set_expected(dir, c.expected_len);
        cmd.set_queue_type(c_int_of(c.attr));
        // The core's threads take it from here: the receive thread goes on
        // reading.
        cmd.init_done(Context::Thread);
        Ok(())
    }

    /// Answers a command the core never saw.
    fn answer_now(&self, c: &pdu::ScsiCmd, status: u8, sense: &[u8]) -> Result<(), &'static str> {
        let mut data = [0u8; 2 + 18];
        let n = if sense.is_empty() { 0 } else { 2 + sense.len().min(18) };
        if n > 0 {
            data[1] = (n - 2) as u8;
            data[2..n].copy_from_slice(&sense[..n - 2]);
        }
        let (flag, residual) = if c.expected_len > 0 { (pdu::UNDERFLOW, c.expected_len) } else { (0, 0) };
        let rsp = ScsiRsp { itt: c.itt, status, residual_flag: flag, residual, ..Default::default() };
        self.send(rsp.encode(), &data[..n], true).map_err(|_| "send error")
    }
}

/// CHECK CONDITION / ILLEGAL REQUEST / INVALID FIELD IN CDB, fixed format.
const INVALID_FIELD_IN_CDB: [u8; 18] = [0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x24, 0, 0, 0, 0, 0];

fn c_int_of(attr: u8) -> kernel::ffi::c_int {
    kernel::ffi::c_int::from(attr.min(4))
}

/// The core has the command's data and status: Data-In PDUs, then the
/// status (in the last Data-In when it is GOOD, else a SCSI Response with
/// the sense).
pub(crate) unsafe extern "C" fn xmit_response(cmd: *mut ScstCmd) -> kernel::ffi::c_int {
    // SAFETY: the core passes a live command of ours.
    let Some(mut c) = (unsafe { Cmd::from_raw(cmd) }) else { return 0 };
    let p = c.tgt_priv().cast::<IscsiCmd>();
    if p.is_null() {
        c.tgt_done(Context::Direct);
        return 0;
    }
    // SAFETY: `tgt_priv` is the `IscsiCmd` leaked in `scsi_command`,
    // taken back exactly once, here.
    let ic = unsafe { KBox::from_raw(p) };
    if !c.aborted() {
        // A failed send means the connection is going: the session's end
        // cleans up.
        let _ = respond(&ic, &mut c);
    }
    if !ic.immediate {
        ic.sess.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
    c.tgt_done(Context::Direct);
    0
}

fn respond(ic: &IscsiCmd, c: &mut Cmd) -> Result {
    let s = &ic.sess;
    let status = c.status();
    let resid = c.resid();
    let (flag, residual) = match resid {
        r if r > 0 => (pdu::UNDERFLOW, u32::try_from(r).unwrap_or(u32::MAX)),
        r if r < 0 => (pdu::OVERFLOW, u32::try_from(-r).unwrap_or(u32::MAX)),
        _ => (0, 0),
    };
    let dir = c.data_direction();
    let len = if dir == SCST_DATA_READ { c.resp_len() as usize } else { 0 };
    let max = (s.params.max_xmit_data_segment_length as usize).max(512);
    let sense_len = c.sense().len();
    let status_in_data = status == GOOD && sense_len == 0 && len > 0;
    let data = c.buffer();
    let data = data.get(..len.min(data.len())).unwrap_or(&[]);
    let mut off = 0;
    let mut data_sn = 0u32;
    while off < data.len() {
        let end = (off + max).min(data.len());
        let last = end == data.len();
        let din = DataIn {
            final_: last,
            status: (last && status_in_data).then_some(status),
            residual_flag: flag,
            residual,
            lun: ic.lun,
            itt: ic.itt,
            data_sn,
            offset: off as u32,
            data_len: 0,
        };
        s.send(din.encode(), data.get(off..end).unwrap_or(&[]), last && status_in_data)?;
        data_sn = data_sn.wrapping_add(1);
        off = end;
    }
    if status_in_data {
        return Ok(());
    }
    let mut sense = [0u8; 2 + 252];
    let sl = sense_len.min(252);
    if sl > 0 {
        sense[0] = (sl >> 8) as u8;
        sense[1] = sl as u8;
        sense[2..2 + sl].copy_from_slice(&c.sense()[..sl]);
    }
    let n = if sl > 0 { 2 + sl } else { 0 };
    let rsp = ScsiRsp { itt: ic.itt, status, residual_flag: flag, residual, exp_data_sn: data_sn, ..Default::default() };
    s.send(rsp.encode(), &sense[..n], true)
}
