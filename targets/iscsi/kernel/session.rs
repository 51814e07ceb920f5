// SPDX-License-Identifier: GPL-2.0

//! A session in full feature phase: one connection (MaxConnections is 1),
//! its receive thread and its responses.
//!
//! The receive thread reads each PDU and submits SCSI commands to SCST in
//! CmdSN order (one connection delivers them in order).  Responses are
//! queued by whoever has them (the core's `xmit_response` in an SCST
//! thread, the receive thread for NOP-In, Logout and Reject) and sent by
//! the connection's transmit thread (`tx.rs`), which also hands out
//! StatSNs.
//!
//! Data to the target (writes): the receive thread submits a write in its
//! own context, so the core normally calls `rdy_to_xfer` right there and
//! the immediate data, still in the socket, is read straight into the
//! command's buffer.  Unsolicited Data-Out (InitialR2T=No) follows, then
//! the R2Ts `rdy_to_xfer` and each arriving burst send, at most
//! MaxOutstandingR2T at a time, of at most MaxBurstLength each.  Data that
//! arrives before the core has a buffer (rare: a command the core
//! deferred) is kept in a stash and copied once it has.  Data for a
//! command that is already answered is read and dropped.  Each command's
//! transfer state is under its own lock (`IscsiCmd::w`), taken before the
//! session's `tx` and `cmds` locks.  Bidirectional commands are refused.

use crate::ctl::ConnReq;
use crate::params::Negotiated;
use crate::pdu::{self, reject, Bhs, CmdSnOrder, NopIn, Request, ScsiRsp, RESERVED_TAG};
use crate::scst_rs::api::{
    abi::{
        SCST_ABORT_TASK, SCST_ABORT_TASK_SET, SCST_CLEAR_ACA, SCST_CLEAR_TASK_SET, SCST_LUN_RESET,
        SCST_MGMT_STATUS_FN_NOT_SUPPORTED, SCST_MGMT_STATUS_LUN_NOT_EXIST,
        SCST_MGMT_STATUS_SUCCESS, SCST_MGMT_STATUS_TASK_NOT_EXIST, SCST_TARGET_RESET,
    },
    cmd::{Cmd, Context, Direction, TaskAttr},
    mgmt::MgmtRef,
    target::{cmd_tag, CmdTag, Session as ScstSess, Target, TargetDriver},
};
use crate::scst_rs::crc;
use crate::scst_rs::kthread::{ticks, ticks_of_ms};
use crate::scst_rs::scsi::sense::{Sense, Status};
use crate::scst_rs::socket::Socket;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use kernel::{
    fmt, new_mutex,
    prelude::*,
    str::CString,
    sync::{Arc, ArcBorrow, Mutex},
};

#[path = "tx.rs"]
mod tx;
use tx::{sense_segment, Transmit, SENSE_SEGMENT};

/// The longest Text Request taken (over its pieces) and answer sent.
const MAX_TEXT: usize = 8192;

/// PDUs, and bytes of their data, held for a CmdSN gap at most: beyond,
/// the initiator is not waiting for a missing command but flooding.
const MAX_HELD: usize = 1024;
const MAX_HELD_BYTES: usize = 16 << 20;

/// A session and its connection.
#[pin_data]
pub(crate) struct Session {
    pub(crate) tid: u32,
    pub(crate) initiator: CString,
    pub(crate) isid: [u8; 6],
    pub(crate) tsih: u16,
    pub(crate) cid: u16,
    pub(crate) sock: Socket,
    pub(crate) params: Negotiated,
    /// The next CmdSN expected (written by the receive thread only).
    exp_cmd_sn: AtomicU32,
    /// Non-immediate commands received and not yet answered: the window
    /// (QueuedCommands) shrinks by them.
    in_flight: AtomicU32,
    /// Immediate commands received and not yet answered: outside the
    /// window, so bounded by QueuedCommands on their own.
    immediate_in_flight: AtomicU32,
    /// The data digest of the data segment being received: its CRC32C
    /// register while `rx_crc_on` (receive thread only).
    rx_crc: AtomicU32,
    rx_crc_on: AtomicBool,
    /// A NOP-In ping went out and nothing has come since (receive thread).
    ping_out: AtomicBool,
    /// When the last PDU came and when the ping went out (ticks; receive
    /// thread).
    last_rx: AtomicU64,
    ping_at: AtomicU64,
    /// The module's timeouts when the connection started.
    timeouts: Timeouts,
    /// The highest MaxCmdSN sent (written by the transmit thread): it
    /// never goes down, and a command beyond it is outside the window the
    /// initiator knows.
    max_sent: AtomicU32,
    /// What the transmit thread is to send (`tx.rs`).
    #[pin]
    tx: Transmit,
    /// The receive loop has ended: writes waiting for data fail.
    closing: AtomicBool,
    /// The target ends the session (deletion, reinstatement, unload).
    stopping: AtomicBool,
    /// The initiator's address, as text.
    pub(crate) peer: CString,
    /// The target's name, and the portal the connection came in on
    /// (`ip:port,tpgt`): for SendTargets in full feature phase.
    target: CString,
    portal: CString,
    /// A Text Request being received in pieces (C bit; receive thread).
    #[pin]
    text_in: Mutex<KVec<u8>>,
    /// The connection is over (the receive thread ended).
    pub(crate) ended: AtomicBool,
    /// The target asked the initiator to log out (Async Message).
    logout_asked: AtomicBool,
    /// A command outside the CmdSN window was logged.
    window_logged: AtomicBool,
    /// A command reusing a live command's ITT was logged.
    dup_itt_logged: AtomicBool,
    /// PDUs that came before their turn (receive thread; see `Held`),
    /// and how many (read without the lock on every PDU).
    #[pin]
    held: Mutex<KVec<Held>>,
    held_len: AtomicUsize,
    gap_logged: AtomicBool,
    /// A held PDU's data, read instead of the socket while `replaying`.
    #[pin]
    replay: Mutex<Replay>,
    replaying: AtomicBool,
    /// The SCST session; taken by the receive thread when it ends.
    #[pin]
    reg: Mutex<Option<ScstSess<Iscsi>>>,
    /// Commands the core has, by ITT (for Data-Out and ABORT TASK).
    #[pin]
    cmds: Mutex<KVec<(u32, Arc<IscsiCmd>)>>,
    /// The last Target Transfer Tag handed out.
    ttt: AtomicU32,
}

/// After a PDU: go on, or end the session (why).
enum Next {
    Go,
    End(&'static str),
}

/// A PDU whose CmdSN came after a gap, kept (data segment read, padding
/// included, digests checked) until the commands before it arrived: they
/// are delivered in CmdSN order (RFC 7143 3.2.2.1).  Data-Outs for a held
/// command are held with it.
struct Held {
    bhs: Bhs,
    ext_cdb: bool,
    /// Its CmdSN; None for a Data-Out of a held command.
    sn: Option<u32>,
    itt: u32,
    data: KVVec<u8>,
    /// ABORT TASK came for it: its CmdSN is used up, nothing runs.
    aborted: bool,
}

/// Where replaying a held PDU's data stands.
struct Replay {
    data: KVVec<u8>,
    at: usize,
}

/// A command on its way through SCST (the command's `tgt_priv`, an
/// `Arc` reference taken back in `xmit_response`).
#[pin_data]
pub(crate) struct IscsiCmd {
    sess: Arc<Session>,
    itt: u32,
    lun: [u8; 8],
    immediate: bool,
    write: bool,
    /// The transfer of a write's data.
    #[pin]
    w: Mutex<WriteState>,
}

impl IscsiCmd {
    /// A Data-Out's DataSN must be the next of its sequence.  A gap or a
    /// repeat is an implied digest error (RFC 7143 7.9), which at
    /// ErrorRecoveryLevel 0 ends the task (7.8): the command fails with a
    /// data phase error, this and its later Data-Outs are dropped, and
    /// the connection goes on.
    fn check_data_sn(&self, d: &pdu::DataOut) {
        let mut w = self.w.lock();
        if w.done {
            return;
        }
        if d.data_sn == w.data_sn {
            w.data_sn = if d.final_ {
                0
            } else {
                w.data_sn.wrapping_add(1)
            };
            return;
        }
        pr_err!(
            "ITT 0x{:x}: Data-Out DataSN {} where {} was due: the command fails\n",
            self.itt,
            d.data_sn,
            w.data_sn
        );
        w.done = true;
        // Without a buffer yet, `rdy_to_xfer` fails it when it comes.
        let cmd = w.cmd.take();
        drop(w);
        if let Some(c) = cmd {
            c.rx_data(false, Context::Thread);
        }
    }

    /// A Data-Out's Target Transfer Tag must be the reserved one for
    /// unsolicited data and the tag of the R2T that asked for the burst
    /// the PDU lies in otherwise (RFC 7143 11.7.4); a PDU must not cross
    /// from one burst into the next.  Anything else is a protocol error
    /// that ends the connection, as the other Data-Out errors do.
    fn check_ttt(&self, d: &pdu::DataOut, len: usize, burst: u32) -> Result<(), &'static str> {
        let w = self.w.lock();
        let (start, end) = (u64::from(d.offset), u64::from(d.offset) + len as u64);
        let unsolicited = u64::from(w.unsolicited_end);
        if start < unsolicited || (len == 0 && start == unsolicited && d.ttt == RESERVED_TAG) {
            return match (d.ttt == RESERVED_TAG, end <= unsolicited) {
                (true, true) => Ok(()),
                (false, _) => Err("unsolicited Data-Out with a Target Transfer Tag"),
                (true, false) => Err("Data-Out beyond the burst the target asked for"),
            };
        }
        // An empty PDU at the end of a burst belongs to that burst.
        let at = if len == 0 && start > unsolicited {
            start - 1
        } else {
            start
        };
        let k = (at - unsolicited) / u64::from(burst);
        let burst_end = unsolicited + (k + 1) * u64::from(burst);
        // Unsolicited data past what may come unsolicited, or data past
        // the R2T's burst: not asked for.
        if d.ttt == RESERVED_TAG || end > burst_end {
            return Err("Data-Out beyond the burst the target asked for");
        }
        if k >= u64::from(w.r2t_sn) || d.ttt != w.ttt_base.wrapping_add(k as u32) {
            return Err("Data-Out with a Target Transfer Tag of no R2T for its offset");
        }
        Ok(())
    }

    /// ABORT TASK came for this write: an initiator sends no more data
    /// for a task it aborts, so a transfer still waiting would wait
    /// until `data_out_timeout` and hold the abort as long.  Once the
    /// core has marked the command aborted (its task-management thread
    /// does within milliseconds) the transfer fails at once; if that
    /// takes longer than `ABORT_MARK_MS`, the timeout does it.
    fn fail_once_aborted(&self) {
        crate::scst_rs::sys::wait_up_to(ABORT_MARK_MS, || {
            let w = self.w.lock();
            if w.done || w.cmd.is_none() {
                // Its data all came (or none was asked for yet): the
                // command goes on to be aborted by the core as it is.
                return true;
            }
            let marked = w.cmd.as_ref().is_some_and(|c| c.aborted());
            drop(w);
            marked && self.fail_transfer()
        });
    }

    /// Fails a write that waits for data that will not come; false if it
    /// does not wait (answered, or no buffer yet).
    fn fail_transfer(&self) -> bool {
        let mut w = self.w.lock();
        if w.done || w.cmd.is_none() {
            return false;
        }
        w.done = true;
        let cmd = w.cmd.take();
        drop(w);
        if let Some(c) = cmd {
            c.rx_data(false, Context::Thread);
        }
        true
    }
}

/// Where a write's data stands.
struct WriteState {
    /// The command, whose buffer takes the data, from `rdy_to_xfer` until
    /// it is handed back to the core.
    cmd: Option<Cmd>,
    /// Bytes the buffer takes: the expected length, capped by the
    /// buffer's once it is known.
    want: u32,
    /// The initiator's Expected Data Transfer Length: data beyond `want`
    /// up to here is read and dropped.
    expected: u32,
    /// Bytes received (in the buffer, or in `stash` before it exists).
    received: u32,
    stash: KVVec<u8>,
    /// Where solicited data starts: after the immediate and unsolicited
    /// data.
    unsolicited_end: u32,
    /// Data up to here has been asked for by R2T.
    r2t_upto: u32,
    /// R2Ts sent; R2T k asks for the burst at `unsolicited_end + k *
    /// MaxBurstLength` with Target Transfer Tag `ttt_base + k`.
    r2t_sn: u32,
    ttt_base: u32,
    /// The DataSN the next Data-Out must carry: from 0 in each sequence
    /// (the unsolicited data, each R2T's burst), which its F bit ends.
    data_sn: u32,
    /// Answered, or handed back to the core: later data is dropped.
    done: bool,
    /// When data was last asked for or came (jiffies), while the buffer
    /// waits for more: see `Session::stalled_write`.
    asked: u64,
}

impl Session {
    /// Registers the SCST session of a connection iscsi-scstd handed over.
    pub(crate) fn new(
        tgt: &Target<Iscsi>,
        target: &CStr,
        r: &ConnReq,
        initiator: &[u8],
        sock: Socket,
    ) -> Result<Arc<Self>> {
        let name = CString::try_from_fmt(fmt!("{}", crate::BStr(initiator)))?;
        let mut buf = [0u8; 64];
        let peer = CString::try_from_fmt(fmt!("{}", sock.peer(&mut buf)))?;
        let portal = CString::try_from_fmt(fmt!("{},1", sock.local(&mut buf)))?;
        let target = CString::try_from_fmt(fmt!("{}", target))?;
        let reg = tgt.add_session(&name)?;
        let transmit = Transmit::new(r.params.queued_commands, r.stat_sn)?;
        Arc::pin_init(
            pin_init!(Session {
                tid: r.tid,
                initiator: name,
                isid: r.isid,
                tsih: r.tsih,
                cid: r.cid,
                sock,
                params: r.params,
                exp_cmd_sn: AtomicU32::new(r.exp_cmd_sn),
                in_flight: AtomicU32::new(0),
                immediate_in_flight: AtomicU32::new(0),
                // iscsi-scstd's last Login Response opened the window.
                max_sent: AtomicU32::new(r.exp_cmd_sn.wrapping_add(crate::ctl::initial_window(&r.params)).wrapping_sub(1)),
                tx <- transmit,
                closing: AtomicBool::new(false),
                rx_crc: AtomicU32::new(0),
                rx_crc_on: AtomicBool::new(false),
                ping_out: AtomicBool::new(false),
                last_rx: AtomicU64::new(ticks()),
                ping_at: AtomicU64::new(0),
                timeouts: Timeouts::now(),
                stopping: AtomicBool::new(false),
                peer,
                target,
                portal,
                text_in <- new_mutex!(KVec::new()),
                ended: AtomicBool::new(false),
                logout_asked: AtomicBool::new(false),
                window_logged: AtomicBool::new(false),
                dup_itt_logged: AtomicBool::new(false),
                held <- new_mutex!(KVec::new()),
                held_len: AtomicUsize::new(0),
                gap_logged: AtomicBool::new(false),
                replay <- new_mutex!(Replay { data: KVVec::new(), at: 0 }),
                replaying: AtomicBool::new(false),
                reg <- new_mutex!(Some(reg)),
                cmds <- new_mutex!(KVec::new()),
                ttt: AtomicU32::new(0),
            }),
            GFP_KERNEL,
        )
    }

    /// MaxCmdSN: the window is QueuedCommands minus the commands in flight.
    fn max_cmd_sn(&self) -> u32 {
        let exp = self.exp_cmd_sn.load(Ordering::Relaxed);
        let room = self
            .params
            .queued_commands
            .saturating_sub(self.in_flight.load(Ordering::Relaxed));
        exp.wrapping_add(room).wrapping_sub(1)
    }

    /// The receive loop; returns when the connection ends.
    pub(crate) fn run(self: &Arc<Self>) {
        // `close_session` gets the session by this from now on, until
        // the session is unregistered below.  Access revoked before
        // (between the registration and now): the session ends at once.
        let revoked = self
            .reg
            .lock()
            .as_ref()
            .is_some_and(|r| matches!(r.set_data(self.clone()), Ok(false)));
        if revoked {
            close_revoked(self);
        }
        let limits = self.timeouts;
        // A receive gives up after the shorter of the two, so that both
        // are looked at in time (`silence`, `stalled_write`).
        let wake_ms = match (limits.nop_ms, limits.data_out_ms) {
            (0, d) | (d, 0) => d,
            (n, d) => n.min(d),
        };
        self.sock.set_recv_timeout(wake_ms);
        self.sock.set_send_timeout(tx::SEND_TIMEOUT_MS);
        let transmit = self.start_transmit();
        let mut checked = ticks();
        let why = match transmit {
            Ok(_) => loop {
                // An initiator that sends without reading the answers
                // is not read from either (TCP pushes back on it).
                if !self.tx_room() {
                    break NOT_READING;
                }
                // Writes whose data does not come, looked at once a second.
                let now = ticks();
                if limits.data_out_ms > 0 && now.wrapping_sub(checked) >= ticks_of_ms(1000) {
                    checked = now;
                    if self.stalled_write(now, ticks_of_ms(limits.data_out_ms)) {
                        break NO_DATA_OUT;
                    }
                }
                match self.receive_one() {
                    Ok(Next::Go) => {}
                    Ok(Next::End(why)) | Err(why) => break why,
                }
            },
            Err(_) => "cannot start the transmit thread",
        };
        let logged_out = why == "logout";
        let why = match (
            self.stopping.load(Ordering::Acquire),
            self.logout_asked.load(Ordering::Acquire),
        ) {
            (true, _) => "ended by the target",
            (false, true) if why == "logout" => "logged out at the target's request",
            _ => why,
        };
        pr_info!(
            "session {} ({}) to tid {} ends: {}\n",
            &*self.initiator,
            &*self.peer,
            self.tid,
            why
        );
        if logged_out {
            // The Logout Response goes out before the socket is shut.
            self.flush();
        }
        if why == NOT_READING {
            self.sock.abort();
        }
        self.sock.shutdown();
        self.fail_waiting_writes();
        // Unregistering waits for the session's commands: the transmit
        // thread finishes them, their responses failing at once on the
        // shut socket.
        // (That also drops the reference `close_session` had.)
        let reg = self.reg.lock().take();
        drop(reg);
        self.end_transmit(transmit.ok());
        self.ended.store(true, Ordering::Release);
    }

    /// Ends the session from the target's side: the receive thread sees
    /// the connection shut and cleans up.
    pub(crate) fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
        self.sock.shutdown();
    }

    /// Asks the initiator to log out within `secs` seconds (an Async
    /// Message, RFC 7143 11.9.1); its Logout then ends the session as one
    /// it started would.  If the message cannot be sent, the connection
    /// is dropped.
    pub(crate) fn request_logout(&self, secs: u16) {
        if self.ended.load(Ordering::Acquire) || self.logout_asked.swap(true, Ordering::AcqRel) {
            return;
        }
        let msg = pdu::async_msg(pdu::async_event::LOGOUT_REQUEST, 0, 0, secs);
        // An Async Message takes a StatSN (RFC 7143 11.9).
        if self.send(msg, &[], true).is_err() {
            self.stop();
        }
    }

    /// Waits up to `ms` milliseconds for the receive thread to end.
    pub(crate) fn wait_ended(&self, ms: u32) -> bool {
        crate::scst_rs::sys::wait_up_to(ms, || self.ended.load(Ordering::Acquire))
    }

    /// The connection is gone: writes waiting for data will get none.
    /// Those with a buffer go back to the core as failed transfers; those
    /// without one fail in `rdy_to_xfer` (it sees `closing`).
    fn fail_waiting_writes(&self) {
        self.closing.store(true, Ordering::Release);
        // By index, without holding `cmds` while taking a command's lock
        // (the order is `w`, then `cmds`).  Answered commands leave the
        // list meanwhile and may make a pass skip one: passes repeat until
        // one changes nothing.
        loop {
            let before = self.cmds.lock().len();
            let mut changed = false;
            let mut i = 0;
            while let Some(ic) = self.cmds.lock().get(i).map(|(_, c)| c.clone()) {
                i += 1;
                changed |= ic.write && ic.fail_transfer();
            }
            if !changed && self.cmds.lock().len() == before {
                break;
            }
        }
    }

    /// Reads a data segment of `n` bytes (and its padding, and its
    /// digest) and drops it.
    fn discard(&self, n: usize) -> Result<(), &'static str> {
        self.skip(n, pdu::pad4(n) - n)?;
        self.end_segment()
    }

    /// One PDU.
    fn receive_one(self: &Arc<Self>) -> Result<Next, &'static str> {
        let mut bhs = Bhs::default();
        match self.sock.recv_exact(&mut bhs.0) {
            Ok(true) => {}
            Ok(false) => return Ok(Next::End("the initiator closed the connection")),
            Err(e) if e == EAGAIN => return self.silence(),
            Err(_) => return Err("receive error"),
        }
        self.ping_out.store(false, Ordering::Relaxed);
        self.last_rx.store(ticks(), Ordering::Relaxed);
        // Additional header segments (they count for the header digest).
        let ahs = bhs.ahs_len();
        let ext_cdb = if self.params.header_digest != 0 {
            self.rx_crc
                .store(crc::update(!0, &bhs.0), Ordering::Relaxed);
            self.rx_crc_on.store(true, Ordering::Relaxed);
            let ext_cdb = self.read_ahs(ahs)?;
            // A header that fails its digest cannot be trusted, not even
            // its length: the connection ends (RFC 7143 7.8).
            self.check_digest("header")?;
            ext_cdb
        } else {
            self.read_ahs(ahs)?
        };
        let len = bhs.data_len() as usize;
        if self.params.data_digest != 0 && len > 0 {
            self.rx_crc.store(!0, Ordering::Relaxed);
            self.rx_crc_on.store(true, Ordering::Relaxed);
        }
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
        if let Request::DataOut(d) = &req {
            if self.is_held(d.itt) {
                self.hold(&bhs, false, None, d.itt, len)?;
                return Ok(Next::Go);
            }
        }
        if let Some(sn) = req.cmd_sn().filter(|_| !req.immediate()) {
            match self.order(sn) {
                CmdSnOrder::Now => {}
                CmdSnOrder::Hold => {
                    self.hold(&bhs, ext_cdb, Some(sn), bhs.itt(), len)?;
                    return Ok(Next::Go);
                }
                CmdSnOrder::Ignore => {
                    // Outside the window: silently ignored (RFC 7143 3.2.2.1).
                    self.discard(len)?;
                    return Ok(Next::Go);
                }
            }
        }
        match self.dispatch(req, &bhs, ext_cdb, len)? {
            Next::Go if self.held_len.load(Ordering::Relaxed) > 0 => self.release_held(),
            next => Ok(next),
        }
    }

    /// Acts on a PDU whose turn it is; its `len` bytes of data are next
    /// in the socket (or in the replay buffer).
    fn dispatch(
        self: &Arc<Self>,
        req: Request,
        bhs: &Bhs,
        ext_cdb: bool,
        len: usize,
    ) -> Result<Next, &'static str> {
        match req {
            Request::ScsiCmd(c) if ext_cdb => {
                // CDBs longer than 16 bytes: SCST takes 16 at most.
                self.discard(len)?;
                self.answer_now(
                    &c,
                    Status::CHECK_CONDITION,
                    Some(Sense::INVALID_FIELD_IN_CDB),
                )?;
            }
            Request::ScsiCmd(c) => self.scsi_command(&c, bhs, len)?,
            Request::NopOut(n) => self.nop_out(&n, len)?,
            Request::Logout(l) => {
                self.discard(len)?;
                self.logout(&l)?;
                return Ok(Next::End("logout"));
            }
            Request::Text(t) => self.text(&t, bhs, len)?,
            Request::TaskMgmt(t) => {
                self.discard(len)?;
                self.task_mgmt(&t)?;
            }
            Request::DataOut(d) => self.data_out(&d, len)?,
            Request::Snack(_) | Request::Login(_) => {
                self.discard(len)?;
                self.reject(reject::PROTOCOL_ERROR, bhs)?;
            }
        }
        // Every path has read the whole segment and checked its digest;
        // this only makes sure.
        self.end_segment()?;
        Ok(Next::Go)
    }

    /// Reads `n` bytes of Additional Header Segments (into the header
    /// digest); true if one carries an Extended CDB.
    fn read_ahs(&self, n: usize) -> Result<bool, &'static str> {
        if n == 0 {
            return Ok(false);
        }
        let mut buf = KVec::from_elem(0u8, n, GFP_KERNEL).map_err(|_| "out of memory")?;
        self.recv_into(&mut buf)?;
        Ok(pdu::has_extended_cdb(&buf))
    }

    /// A Target Transfer Tag for a NOP-In ping: never the reserved
    /// 0xffffffff.
    fn next_ttt(&self) -> u32 {
        self.reserve_ttts(1)
    }

    /// The first of `n` consecutive Target Transfer Tags, none of them
    /// the reserved 0xffffffff (n is at most 2^24: an expected length of
    /// up to 4 GiB in bursts of at least 512 bytes).
    fn reserve_ttts(&self, n: u32) -> u32 {
        loop {
            let first = self.ttt.fetch_add(n, Ordering::Relaxed);
            if first.checked_add(n).is_some() {
                return first;
            }
        }
    }

    /// nop_in_interval seconds without a PDU: a NOP-In ping, which the
    /// initiator must answer (RFC 7143 11.19) before as long again has
    /// passed, or the connection is taken for dead.
    fn silence(&self) -> Result<Next, &'static str> {
        let nop_ms = self.timeouts.nop_ms;
        let now = ticks();
        let interval = ticks_of_ms(nop_ms);
        if nop_ms == 0 || now.wrapping_sub(self.last_rx.load(Ordering::Relaxed)) < interval {
            return Ok(Next::Go);
        }
        if self.ping_out.load(Ordering::Relaxed) {
            if now.wrapping_sub(self.ping_at.load(Ordering::Relaxed)) < interval {
                return Ok(Next::Go);
            }
            return Ok(Next::End(
                "no answer to a NOP-In ping: the initiator is gone",
            ));
        }
        let ping = NopIn {
            lun: [0; 8],
            itt: RESERVED_TAG,
            ttt: self.next_ttt(),
            data_len: 0,
        };
        // StatSN is not advanced by a ping.
        self.send(ping.encode(), &[], false)?;
        self.ping_out.store(true, Ordering::Relaxed);
        self.ping_at.store(now, Ordering::Relaxed);
        Ok(Next::Go)
    }

    /// Whether a write has waited for Data-Out for more than `limit`
    /// ticks with none coming: the initiator will not send it (it may have
    /// aborted the task, or be hostile), and the command would hold its
    /// buffer, its task set slot and any task management or device
    /// removal waiting for it, for ever.
    fn stalled_write(&self, now: u64, limit: u64) -> bool {
        // By index, as in `fail_waiting_writes` (the order is `w`, then
        // `cmds`).
        let mut i = 0;
        while let Some(ic) = self.cmds.lock().get(i).map(|(_, c)| c.clone()) {
            i += 1;
            let w = ic.w.lock();
            if ic.write && !w.done && w.cmd.is_some() && now.wrapping_sub(w.asked) > limit {
                pr_info!(
                    "session {} ({}): no Data-Out for ITT 0x{:08x} in {} s ({} of {} bytes came)\n",
                    &*self.initiator,
                    &*self.peer,
                    ic.itt,
                    self.timeouts.data_out_ms / 1000,
                    w.received,
                    w.want
                );
                return true;
            }
        }
        false
    }

    /// The data segment (and its padding) has been read: with DataDigest,
    /// its digest follows and must match before anything acts on the data.
    fn end_segment(&self) -> Result<(), &'static str> {
        if self.rx_crc_on.load(Ordering::Relaxed) {
            self.check_digest("data")?;
        }
        Ok(())
    }

    /// Reads the 4-byte digest ending what `rx_crc` covered and compares.
    /// A mismatch ends the connection: with ErrorRecoveryLevel 0 neither
    /// a header nor a data digest error can be recovered within the
    /// connection (RFC 7143 7.8, as LIO does).
    fn check_digest(&self, what: &str) -> Result<(), &'static str> {
        self.rx_crc_on.store(false, Ordering::Relaxed);
        let mut got = [0u8; 4];
        self.recv_into(&mut got)?;
        let want = (!self.rx_crc.load(Ordering::Relaxed)).to_le_bytes();
        // SAFETY: a plain call; false unless built with
        // CONFIG_SCST_ISCSI_DEBUG_DIGEST_FAILURES.
        if got == want && unsafe { iscsi_scst_simulate_digest_failure() } {
            pr_info!(
                "session {} ({}): simulating a {} digest failure\n",
                &*self.initiator,
                &*self.peer,
                what
            );
            return Err("digest error");
        }
        if got != want {
            pr_err!(
                "session {} ({}): {} digest {:02x?} where {:02x?} was due\n",
                &*self.initiator,
                &*self.peer,
                what,
                got,
                want
            );
            return Err("digest error");
        }
        Ok(())
    }

    /// Where a non-immediate PDU's CmdSN stands; ExpCmdSN advances past
    /// one whose turn it is.
    fn order(&self, sn: u32) -> CmdSnOrder {
        let (exp, max) = (
            self.exp_cmd_sn.load(Ordering::Relaxed),
            self.max_sent.load(Ordering::Relaxed),
        );
        let order = pdu::cmd_sn_order(sn, exp, max);
        match order {
            CmdSnOrder::Now => self.exp_cmd_sn.store(sn.wrapping_add(1), Ordering::Relaxed),
            // Once per session: an initiator that does this keeps doing it.
            CmdSnOrder::Ignore if !self.window_logged.swap(true, Ordering::Relaxed) => pr_info!(
                "session {} ({}): CmdSN {} outside the window {}..{}: ignored (RFC 7143 3.2.2.1)\n",
                &*self.initiator,
                &*self.peer,
                sn,
                exp,
                max
            ),
            CmdSnOrder::Hold if !self.gap_logged.swap(true, Ordering::Relaxed) => pr_info!(
                "session {} ({}): CmdSN {} before {}: held until the gap fills\n",
                &*self.initiator,
                &*self.peer,
                sn,
                exp
            ),
            _ => {}
        }
        order
    }

    /// Whether a command with ITT `itt` is held (its Data-Outs wait too).
    fn is_held(&self, itt: u32) -> bool {
        self.held_len.load(Ordering::Relaxed) > 0
            && self
                .held
                .lock()
                .iter()
                .any(|h| h.sn.is_some() && h.itt == itt)
    }

    /// Reads a PDU's data segment (`len` bytes, padding, digest) and holds
    /// the PDU until its turn.  A second PDU with a held CmdSN is ignored.
    fn hold(
        &self,
        bhs: &Bhs,
        ext_cdb: bool,
        sn: Option<u32>,
        itt: u32,
        len: usize,
    ) -> Result<(), &'static str> {
        let padded = pdu::pad4(len);
        {
            let held = self.held.lock();
            if sn.is_some() && held.iter().any(|h| h.sn == sn) {
                drop(held);
                return self.discard(len);
            }
            let bytes = held.iter().map(|h| h.data.len()).sum::<usize>() + padded;
            if held.len() >= MAX_HELD || bytes > MAX_HELD_BYTES {
                return Err("too many PDUs held for a CmdSN gap");
            }
        }
        let mut data = KVVec::from_elem(0u8, padded, GFP_KERNEL).map_err(|_| "out of memory")?;
        self.recv_into(&mut data)?;
        self.end_segment()?;
        let h = Held {
            bhs: Bhs(bhs.0),
            ext_cdb,
            sn,
            itt,
            data,
            aborted: false,
        };
        let mut held = self.held.lock();
        held.push(h, GFP_KERNEL).map_err(|_| "out of memory")?;
        self.held_len.store(held.len(), Ordering::Relaxed);
        Ok(())
    }

    /// Delivers the held PDUs whose turn has come, in CmdSN order, each
    /// command followed by its Data-Outs.
    fn release_held(self: &Arc<Self>) -> Result<Next, &'static str> {
        loop {
            let exp = self.exp_cmd_sn.load(Ordering::Relaxed);
            let mut due = KVec::new();
            {
                let mut held = self.held.lock();
                let Some(itt) = held.iter().find(|h| h.sn == Some(exp)).map(|h| h.itt) else {
                    return Ok(Next::Go);
                };
                let mine = |h: &Held| h.sn == Some(exp) || (h.sn.is_none() && h.itt == itt);
                let mut rest =
                    KVec::with_capacity(held.len(), GFP_KERNEL).map_err(|_| "out of memory")?;
                for h in core::mem::take(&mut *held) {
                    let to = if mine(&h) { &mut due } else { &mut rest };
                    to.push(h, GFP_KERNEL).map_err(|_| "out of memory")?;
                }
                *held = rest;
                self.held_len.store(held.len(), Ordering::Relaxed);
            }
            self.exp_cmd_sn
                .store(exp.wrapping_add(1), Ordering::Relaxed);
            for h in due {
                if let Next::End(why) = self.replay(h)? {
                    return Ok(Next::End(why));
                }
            }
        }
    }

    /// Acts on a held PDU, its data read from memory.
    fn replay(self: &Arc<Self>, h: Held) -> Result<Next, &'static str> {
        // It decoded when it came.
        let req = match Request::decode(&h.bhs) {
            Ok(r) if !h.aborted => r,
            _ => return Ok(Next::Go),
        };
        let len = h.bhs.data_len() as usize;
        *self.replay.lock() = Replay {
            data: h.data,
            at: 0,
        };
        self.replaying.store(true, Ordering::Relaxed);
        let next = self.dispatch(req, &h.bhs, h.ext_cdb, len);
        self.replaying.store(false, Ordering::Relaxed);
        drop(core::mem::replace(
            &mut self.replay.lock().data,
            KVVec::new(),
        ));
        next
    }

    /// ABORT TASK for a held command: it will not run, and its CmdSN
    /// still counts when its turn comes.  False if none is held.
    fn abort_held(&self, itt: u32) -> bool {
        let mut found = false;
        for h in self.held.lock().iter_mut().filter(|h| h.itt == itt) {
            h.aborted = true;
            found = true;
        }
        found
    }

    /// A Text Request in full feature phase: gathered over its pieces (C
    /// bit, each answered by an empty response), then answered in one
    /// PDU (`text::full_feature_answer`: SendTargets for this target).
    fn text(&self, t: &pdu::TextReq, bhs: &Bhs, len: usize) -> Result<(), &'static str> {
        let mut text_in = self.text_in.lock();
        let at = text_in.len();
        if t.ttt != RESERVED_TAG || at + len > MAX_TEXT {
            // No answer of ours comes in pieces, so nothing continues;
            // a request longer than any sensible one is refused.
            drop(core::mem::take(&mut *text_in));
            drop(text_in);
            self.discard(len)?;
            return self.reject(
                if t.ttt != RESERVED_TAG {
                    reject::INVALID_FIELD
                } else {
                    reject::OUT_OF_RESOURCES
                },
                bhs,
            );
        }
        text_in
            .extend_with(len, 0, GFP_KERNEL)
            .map_err(|_| "out of memory")?;
        self.recv_into(text_in.get_mut(at..).ok_or("text")?)?;
        self.skip(0, pdu::pad4(len) - len)?;
        self.end_segment()?;
        let mut rsp = pdu::TextRsp {
            lun: t.lun,
            itt: t.itt,
            ttt: RESERVED_TAG,
            ..Default::default()
        };
        if t.continue_ {
            return self.send(rsp.encode(), &[], true);
        }
        let req = core::mem::take(&mut *text_in);
        drop(text_in);
        let mut buf = KVec::from_elem(
            0u8,
            MAX_TEXT.min(self.params.max_xmit_data_segment_length as usize),
            GFP_KERNEL,
        )
        .map_err(|_| "out of memory")?;
        let mut w = crate::text::Writer::new(&mut buf);
        if crate::text::full_feature_answer(
            &req,
            self.target.as_bytes(),
            self.portal.as_bytes(),
            &mut w,
        )
        .is_err()
        {
            return self.reject(reject::OUT_OF_RESOURCES, bhs);
        }
        rsp.final_ = true;
        self.send(rsp.encode(), w.as_bytes(), true)
    }

    fn reject(&self, reason: u8, bad: &Bhs) -> Result<(), &'static str> {
        self.send(pdu::reject(reason), &bad.0, true)
    }

    fn nop_out(&self, n: &pdu::NopOut, len: usize) -> Result<(), &'static str> {
        if n.itt == RESERVED_TAG {
            // A ping answering ours, or one that wants no answer.
            return self.discard(len);
        }
        // The ping data comes back, as much of it as the initiator takes
        // in one PDU (its MaxRecvDataSegmentLength; ours bounded `len`).
        let back = len.min(self.params.max_xmit_data_segment_length as usize);
        let mut data = KVVec::from_elem(0u8, back, GFP_KERNEL).map_err(|_| "out of memory")?;
        self.recv_into(&mut data)?;
        self.skip(len - back, pdu::pad4(len) - len)?;
        self.end_segment()?;
        let rsp = NopIn {
            lun: n.lun,
            itt: n.itt,
            ttt: RESERVED_TAG,
            data_len: 0,
        };
        self.send(rsp.encode(), &data, true)
    }

    /// Logout: waits for the session's commands, then answers.
    fn logout(&self, l: &pdu::LogoutReq) -> Result<(), &'static str> {
        crate::scst_rs::sys::wait_up_to(30_000, || self.in_flight.load(Ordering::Acquire) == 0);
        let p = &self.params;
        let rsp = pdu::logout_rsp(
            l.itt,
            0,
            p.default_time2wait as u16,
            p.default_time2retain as u16,
        );
        self.send(rsp, &[], true)
    }

    /// A Task Management Function Request: handed to SCST, answered in
    /// `task_mgmt_fn_done` (after the affected commands are gone, none of
    /// which is answered).
    fn task_mgmt(self: &Arc<Self>, t: &pdu::TaskMgmt) -> Result<(), &'static str> {
        use pdu::{tmf, tmf_rsp};
        let answer = |s: &Self, r: u8| s.send(pdu::task_mgmt_rsp(t.itt, r), &[], true);
        let (func, lun) = match t.function {
            tmf::ABORT_TASK => (SCST_ABORT_TASK, Some(&t.lun)),
            tmf::ABORT_TASK_SET => (SCST_ABORT_TASK_SET, Some(&t.lun)),
            tmf::CLEAR_ACA => (SCST_CLEAR_ACA, Some(&t.lun)),
            tmf::CLEAR_TASK_SET => (SCST_CLEAR_TASK_SET, Some(&t.lun)),
            tmf::LOGICAL_UNIT_RESET => (SCST_LUN_RESET, Some(&t.lun)),
            tmf::TARGET_WARM_RESET | tmf::TARGET_COLD_RESET => (SCST_TARGET_RESET, None),
            // ErrorRecoveryLevel 0: no task reassignment.
            tmf::TASK_REASSIGN => return answer(self, tmf_rsp::NO_REASSIGN),
            _ => return answer(self, tmf_rsp::NOT_SUPPORTED),
        };
        let mut tag: Option<CmdTag> = None;
        let mut target = None;
        if func == SCST_ABORT_TASK {
            // The core knows a command by its tag: our `IscsiCmd`, kept
            // alive in the request's context so that its address names no
            // later command while the core looks for it.
            match self.find_cmd(t.ref_itt) {
                Some(ic) => {
                    tag = Some(cmd_tag(&ic));
                    target = Some(ic);
                }
                None if self.abort_held(t.ref_itt) => return answer(self, tmf_rsp::COMPLETE),
                None => return answer(self, tmf_rsp::NO_TASK),
            }
        }
        let aborted_write = target.clone().filter(|ic| ic.write);
        let ctx = KBox::new(
            TmCtx {
                sess: self.clone(),
                itt: t.itt,
                cold: t.function == tmf::TARGET_COLD_RESET,
                _target: target,
            },
            GFP_KERNEL,
        )
        .map_err(|_| "out of memory")?;
        // `ctx` comes back in `task_mgmt_fn_done`.
        let submitted = match self.reg.lock().as_ref() {
            Some(r) => r.task_mgmt(func, lun, tag, ctx).is_ok(),
            None => return Err("session gone"),
        };
        if !submitted {
            return answer(self, tmf_rsp::REJECTED);
        }
        if let Some(ic) = aborted_write {
            ic.fail_once_aborted();
        }
        Ok(())
    }

    /// A SCSI Command PDU whose `len` bytes of immediate data follow.
    fn scsi_command(
        self: &Arc<Self>,
        c: &pdu::ScsiCmd,
        bhs: &Bhs,
        len: usize,
    ) -> Result<(), &'static str> {
        if self.find_cmd(c.itt).is_some() {
            // An ITT names one task of the session (RFC 7143: unique within it):
            // the live command keeps it, the newcomer is rejected whole
            // (its data too), as SCST does.
            if !self.dup_itt_logged.swap(true, Ordering::Relaxed) {
                pr_info!(
                    "session {} ({}): a command reuses ITT 0x{:08x} of a command in progress: rejected\n",
                    &*self.initiator,
                    &*self.peer,
                    c.itt
                );
            }
            self.discard(len)?;
            return self.reject(reject::TASK_IN_PROGRESS, bhs);
        }
        if c.read && c.write {
            self.discard(len)?;
            return self.answer_now(
                c,
                Status::CHECK_CONDITION,
                Some(Sense::INVALID_FIELD_IN_CDB),
            );
        }
        // Immediate commands are outside the CmdSN window: without a bound
        // of their own an initiator could queue answers without end.
        if c.immediate
            && self.immediate_in_flight.load(Ordering::Acquire)
                >= self.params.queued_commands.max(1)
        {
            self.discard(len)?;
            return self.reject(reject::IMMEDIATE_COMMAND, bhs);
        }
        let p = &self.params;
        if len as u64 > u64::from(c.expected_len)
            || (len > 0 && (p.immediate_data == 0 || len as u32 > p.first_burst_length))
        {
            return Err(
                "immediate data beyond the expected length, FirstBurstLength or ImmediateData=No",
            );
        }
        let unsolicited_end = if p.initial_r2t == 0 {
            c.expected_len.min(p.first_burst_length)
        } else {
            len as u32
        };
        let state = WriteState {
            cmd: None,
            want: c.expected_len,
            expected: c.expected_len,
            received: 0,
            stash: KVVec::new(),
            unsolicited_end,
            r2t_upto: unsolicited_end,
            r2t_sn: 0,
            ttt_base: RESERVED_TAG,
            data_sn: 0,
            done: false,
            asked: 0,
        };
        let ic = Arc::pin_init(
            pin_init!(IscsiCmd { sess: self.clone(), itt: c.itt, lun: c.lun, immediate: c.immediate, write: c.write, w <- new_mutex!(state) }),
            GFP_KERNEL,
        )
        .map_err(|_| "out of memory")?;
        // Data-Out and ABORT TASK find the command here from now on.
        self.cmds
            .lock()
            .push((c.itt, ic.clone()), GFP_KERNEL)
            .map_err(|_| "out of memory")?;
        // The core holds a reference until `xmit_response`.
        let rx = self
            .reg
            .lock()
            .as_ref()
            .map(|r| r.rx(&c.lun, &c.cdb, ic.clone(), false));
        let Some(rx) = rx else {
            self.forget_cmd(&ic);
            return Err("session gone");
        };
        let Ok(cmd) = rx else {
            self.forget_cmd(&ic);
            self.discard(len)?;
            return self.answer_now(c, Status::BUSY, None);
        };
        if c.immediate {
            self.immediate_in_flight.fetch_add(1, Ordering::AcqRel);
        } else {
            self.in_flight.fetch_add(1, Ordering::AcqRel);
        }
        let dir = if c.write {
            Direction::Write
        } else if c.read {
            Direction::Read
        } else {
            Direction::None
        };
        cmd.set_expected(dir, c.expected_len);
        cmd.set_task_attr(TaskAttr::from_code(c.attr));
        if !c.write {
            // As a block queue's submitter: the receive thread runs the
            // command on where the device does not wait for I/O (NULLIO,
            // BLOCKIO; the answer then goes to the transmit thread), and
            // the core's threads take it where it would wait (FILEIO,
            // pass-through), so that the receive thread goes on reading.
            // One wakeup less per command.
            cmd.init_done(Context::Submit);
            return Ok(());
        }
        // Here, so that `rdy_to_xfer` normally comes before the immediate
        // data is read: it then goes straight into the buffer.
        cmd.init_done(Context::Direct);
        self.receive_data(&ic, 0, len)
    }

    /// A command is answered (or never will be): a non-immediate one
    /// leaves the CmdSN window.
    fn command_answered(&self, ic: &IscsiCmd) {
        if ic.immediate {
            self.immediate_in_flight.fetch_sub(1, Ordering::AcqRel);
        } else {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Drops a command from the table (answered, or never taken): that
    /// one, not another that came with its ITT.
    fn forget_cmd(&self, ic: &IscsiCmd) {
        crate::scst_rs::vec::retain(&mut self.cmds.lock(), |(_, c)| !core::ptr::eq(&**c, ic));
    }

    /// The command with ITT `itt`, if the core has it.
    fn find_cmd(&self, itt: u32) -> Option<Arc<IscsiCmd>> {
        self.cmds
            .lock()
            .iter()
            .find(|(i, _)| *i == itt)
            .map(|(_, c)| c.clone())
    }

    /// A Data-Out PDU with `len` bytes.
    fn data_out(&self, d: &pdu::DataOut, len: usize) -> Result<(), &'static str> {
        match self.find_cmd(d.itt).filter(|c| c.write) {
            Some(ic) => {
                ic.check_ttt(d, len, self.params.max_burst_length.max(512))?;
                ic.check_data_sn(d);
                self.receive_data(&ic, d.offset, len)
            }
            // Answered already (or an unknown task): dropped.
            None => self.discard(len),
        }
    }

    /// Reads `len` bytes of `ic`'s data at `offset` from the socket into
    /// its buffer (or stash); hands the command back to the core when all
    /// is there, asks for more with R2T otherwise.
    fn receive_data(
        &self,
        ic: &Arc<IscsiCmd>,
        offset: u32,
        len: usize,
    ) -> Result<(), &'static str> {
        let mut w = ic.w.lock();
        if w.done {
            drop(w);
            return self.discard(len);
        }
        // DataPDUInOrder and DataSequenceInOrder are Yes: data comes in
        // order, each byte once.
        let end = u64::from(offset) + len as u64;
        if offset != w.received && !(offset >= w.want && offset == w.received.max(w.want)) {
            return Err("Data-Out out of order");
        }
        if end > u64::from(w.expected) {
            return Err("data beyond the expected transfer length");
        }
        // Unsolicited data stops at FirstBurstLength (none with
        // InitialR2T=Yes), solicited data at what the R2Ts asked for.
        if end > u64::from(w.r2t_upto) {
            return Err("Data-Out beyond the burst the target asked for");
        }
        let keep = (u64::from(w.want).saturating_sub(u64::from(offset))).min(len as u64) as usize;
        if let Some(c) = w.cmd.as_mut() {
            // The command's buffer, of at least `want` bytes, which waits
            // for its data while we hold the lock.
            let at = offset as usize;
            let dst = c.buffer().get_mut(at..at + keep).ok_or("buffer")?;
            self.recv_into(dst)?;
        } else {
            let at = w.stash.len();
            w.stash
                .extend_with(keep, 0, GFP_KERNEL)
                .map_err(|_| "out of memory")?;
            let dst = w.stash.get_mut(at..at + keep).ok_or("stash")?;
            self.recv_into(dst)?;
        }
        // The rest (beyond what the buffer takes) and the padding.
        self.skip(len - keep, pdu::pad4(len) - len)?;
        self.end_segment()?;
        w.received += keep as u32;
        w.asked = ticks();
        // The receive thread may go on with the command itself where the
        // device does not wait for I/O (see `scsi_command`).
        self.progress(ic, w, Context::Submit)
    }

    /// Receives exactly `dst` (into the digest, if one is running), from
    /// a held PDU's data while one is replayed.
    fn recv_into(&self, dst: &mut [u8]) -> Result<(), &'static str> {
        if self.replaying.load(Ordering::Relaxed) {
            let mut r = self.replay.lock();
            let at = r.at;
            dst.copy_from_slice(
                r.data
                    .get(at..at + dst.len())
                    .ok_or("held PDU shorter than its header")?,
            );
            r.at += dst.len();
            return Ok(());
        }
        if !self.sock.recv_exact(dst).map_err(|_| "receive error")? {
            return Err("connection closed inside a PDU");
        }
        if self.rx_crc_on.load(Ordering::Relaxed) {
            self.rx_crc.store(
                crc::update(self.rx_crc.load(Ordering::Relaxed), dst),
                Ordering::Relaxed,
            );
        }
        Ok(())
    }

    /// Drops `n` data bytes and `pad` padding bytes.
    fn skip(&self, n: usize, pad: usize) -> Result<(), &'static str> {
        let mut left = n + pad;
        let mut buf = [0u8; 256];
        while left > 0 {
            let k = left.min(buf.len());
            self.recv_into(&mut buf[..k])?;
            left -= k;
        }
        Ok(())
    }

    /// After data arrived or the buffer came: done (the command goes on
    /// in `ctx`), or more R2Ts.
    fn progress(
        &self,
        ic: &IscsiCmd,
        mut w: kernel::sync::lock::Guard<'_, WriteState, kernel::sync::lock::mutex::MutexBackend>,
        ctx: Context,
    ) -> Result<(), &'static str> {
        if w.cmd.is_none() {
            return Ok(());
        }
        if w.received >= w.want {
            // Data-Outs still coming are dropped (`done`); the command
            // stays in the table until it is answered, so that its ITT
            // is in use and ABORT TASK finds it.
            w.done = true;
            let cmd = w.cmd.take();
            drop(w);
            if let Some(c) = cmd {
                c.rx_data(true, ctx);
            }
            return Ok(());
        }
        // Keep MaxOutstandingR2T bursts asked for beyond what has come.
        let burst = self.params.max_burst_length.max(512);
        let window = u64::from(self.params.max_outstanding_r2t.max(1)) * u64::from(burst);
        let start = w.received.max(w.unsolicited_end);
        if w.r2t_sn == 0 && w.r2t_upto < w.want {
            w.ttt_base = self.reserve_ttts((w.want - w.r2t_upto).div_ceil(burst));
        }
        while w.r2t_upto < w.want && u64::from(w.r2t_upto - start.min(w.r2t_upto)) < window {
            let n = burst.min(w.want - w.r2t_upto);
            let ttt = w.ttt_base.wrapping_add(w.r2t_sn);
            let r2t = pdu::R2t {
                lun: ic.lun,
                itt: ic.itt,
                ttt,
                r2t_sn: w.r2t_sn,
                offset: w.r2t_upto,
                length: n,
            };
            self.send(r2t.encode(), &[], false)?;
            w.r2t_sn = w.r2t_sn.wrapping_add(1);
            w.r2t_upto += n;
        }
        Ok(())
    }

    /// Answers a command the core never saw.
    fn answer_now(
        &self,
        c: &pdu::ScsiCmd,
        status: Status,
        sense: Option<Sense>,
    ) -> Result<(), &'static str> {
        let fixed = sense.map(|s| s.to_fixed());
        let sense = fixed.as_ref().map_or(&[][..], |f| &f[..]);
        let status = status.0;
        let mut buf = [0u8; SENSE_SEGMENT];
        let (flag, residual) = if c.expected_len > 0 {
            (pdu::UNDERFLOW, c.expected_len)
        } else {
            (0, 0)
        };
        let rsp = ScsiRsp {
            itt: c.itt,
            status,
            residual_flag: flag,
            residual,
            ..Default::default()
        };
        self.send(rsp.encode(), sense_segment(sense, &mut buf), true)
    }
}

/// A task management request on its way through SCST.
pub(crate) struct TmCtx {
    sess: Arc<Session>,
    itt: u32,
    /// TARGET COLD RESET: the connection ends after the answer.
    cold: bool,
    /// ABORT TASK's command, whose address is the tag the core matches.
    _target: Option<Arc<IscsiCmd>>,
}

/// The driver: a command's data is its `IscsiCmd`, a task management
/// request's its `TmCtx`, a session's the `Session`.
pub(crate) struct Iscsi;

#[vtable]
impl TargetDriver for Iscsi {
    type CmdData = Arc<IscsiCmd>;
    type MgmtData = KBox<TmCtx>;
    type SessData = Arc<Session>;

    fn xmit_response(c: Cmd, ic: Arc<IscsiCmd>) {
        xmit_response(c, ic)
    }

    fn rdy_to_xfer(c: Cmd, ic: ArcBorrow<'_, IscsiCmd>) {
        rdy_to_xfer(c, ic.into())
    }

    fn task_mgmt_fn_done(m: &MgmtRef, ctx: KBox<TmCtx>) {
        task_mgmt_fn_done(m, ctx)
    }

    /// The core revoked the session's access (its initiator left the
    /// group): the connection is shut, and the receive thread ends the
    /// session as for any other end (the initiator logs in again and is
    /// bound anew).
    fn close_session(s: ArcBorrow<'_, Session>) {
        close_revoked(&s);
    }
}

/// Ends a session whose access the core revoked.
fn close_revoked(s: &Session) {
    pr_info!(
        "session {} ({}): access revoked by the target's configuration: connection closed\n",
        &*s.initiator,
        &*s.peer
    );
    s.stop();
}

/// SCST finished a task management request: the TM Response.
fn task_mgmt_fn_done(m: &MgmtRef, ctx: KBox<TmCtx>) {
    use pdu::tmf_rsp;
    let r = match m.status() {
        SCST_MGMT_STATUS_SUCCESS => tmf_rsp::COMPLETE,
        SCST_MGMT_STATUS_TASK_NOT_EXIST => tmf_rsp::NO_TASK,
        SCST_MGMT_STATUS_LUN_NOT_EXIST => tmf_rsp::NO_LUN,
        SCST_MGMT_STATUS_FN_NOT_SUPPORTED => tmf_rsp::NOT_SUPPORTED,
        _ => tmf_rsp::REJECTED,
    };
    if ctx
        .sess
        .send(pdu::task_mgmt_rsp(ctx.itt, r), &[], true)
        .is_err()
        || ctx.cold
    {
        ctx.sess.stop_after_sending();
    }
}

extern "C" {
    // In iscsi_glue.c: the nop_in_interval module parameter, in seconds.
    fn iscsi_scst_nop_in_interval() -> kernel::ffi::c_uint;
    // In iscsi_glue.c: the data_out_timeout module parameter, in seconds.
    fn iscsi_scst_data_out_timeout() -> kernel::ffi::c_uint;
    // In iscsi_glue.c: the zero_copy module parameter.
    fn iscsi_scst_zero_copy() -> bool;
    // In iscsi_glue.c: CONFIG_SCST_ISCSI_DEBUG_DIGEST_FAILURES's dice.
    fn iscsi_scst_simulate_digest_failure() -> bool;
}

/// Why a session ends whose initiator sends without reading the answers.
const NOT_READING: &str = "the initiator does not read its answers";
/// How long ABORT TASK of a write waiting for data waits for the core to
/// mark it, in ms (`IscsiCmd::fail_once_aborted`).
const ABORT_MARK_MS: u32 = 200;

/// Why a session ends that left a write waiting for its data too long.
const NO_DATA_OUT: &str = "a write's data did not come (data_out_timeout)";

/// The module's timeouts for a connection, in milliseconds (0: none).
#[derive(Clone, Copy)]
struct Timeouts {
    nop_ms: u32,
    data_out_ms: u32,
}

impl Timeouts {
    /// The module parameters as they are now (read when a connection
    /// starts).
    fn now() -> Self {
        // SAFETY: plain reads of this module's parameters.
        let (nop, data_out) =
            unsafe { (iscsi_scst_nop_in_interval(), iscsi_scst_data_out_timeout()) };
        Timeouts {
            nop_ms: nop.min(MAX_NOP_IN_INTERVAL) * 1000,
            data_out_ms: data_out.min(MAX_NOP_IN_INTERVAL) * 1000,
        }
    }
}

/// Longest NOP-In interval taken, in seconds (an hour).
const MAX_NOP_IN_INTERVAL: u32 = 3600;

/// The core has the command's data and status: its response is queued
/// for the transmit thread (`tx.rs`), which finishes the command once it
/// is sent; an aborted command is finished here, unanswered.
fn xmit_response(c: Cmd, ic: Arc<IscsiCmd>) {
    // Data still coming for it is dropped from now on.
    ic.w.lock().done = true;
    ic.sess.forget_cmd(&ic);
    if c.aborted() {
        ic.sess.command_answered(&ic);
        c.tgt_done(Context::Direct);
        return;
    }
    let sess = ic.sess.clone();
    sess.respond_later(ic, c);
}

/// The core has a buffer for a write's data: take what came already, and
/// ask for the rest.
fn rdy_to_xfer(mut c: Cmd, ours: Arc<IscsiCmd>) {
    let blen = c.buffer().len();
    let mut w = ours.w.lock();
    // Its data failed before the buffer came (a DataSN error), or no more
    // data will come (see `fail_waiting_writes`, which looks at `closing`
    // after setting it, under this lock).
    let closing = ours.sess.closing.load(Ordering::Acquire);
    if w.done || closing {
        w.done = true;
        drop(w);
        c.rx_data(false, Context::Direct);
        return;
    }
    w.asked = ticks();
    w.want = w.want.min(u32::try_from(blen).unwrap_or(u32::MAX));
    let n = w.stash.len().min(w.want as usize);
    if n > 0 {
        // The buffer has `blen >= want >= n` bytes.
        if let Some(src) = w.stash.get(..n) {
            crate::scst_rs::vec::copy_prefix(c.buffer(), src);
        }
        w.received = n as u32;
        w.stash = KVVec::new();
    }
    w.cmd = Some(c);
    // Inside the callback: the command goes on in a thread.
    if ours.sess.progress(&ours, w, Context::Thread).is_err() {
        // The connection is going; its end cleans up.
        ours.sess.sock.shutdown();
    }
}
