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
//!
//! Files: this one is the session and its life (`run`); `receive.rs` the
//! PDU loop and the data segment reader, `order.rs` CmdSN ordering,
//! `command.rs` SCSI commands, `data_out.rs` writes (R2T, Data-Out),
//! `requests.rs` NOP-Out, Text, Logout and Reject, `tm.rs` task
//! management, `driver.rs` the SCST callbacks, `tx.rs` the transmit
//! thread.

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
    target::{cmd_tag, CmdTag, Session as ScstSess, Target, TargetDriver, Xfer},
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

mod command;
mod data_out;
mod driver;
mod end;
mod order;
mod receive;
mod requests;
mod tm;
mod tx;

pub(crate) use command::IscsiCmd;
use data_out::{rdy_to_xfer, WriteState};
use driver::close_revoked;
pub(crate) use driver::Iscsi;
use end::End;
use order::{Held, Replay};
use tm::task_mgmt_fn_done;
use tm::TmCtx;
use tx::{sense_segment, Transmit, SENSE_SEGMENT};

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
pub(super) enum Next {
    Go,
    End(End),
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

/// The module's timeouts for a connection, in milliseconds (0: none).
#[derive(Clone, Copy)]
pub(super) struct Timeouts {
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
                    break End::NotReading;
                }
                // Writes whose data does not come, looked at once a second.
                let now = ticks();
                if limits.data_out_ms > 0 && now.wrapping_sub(checked) >= ticks_of_ms(1000) {
                    checked = now;
                    if self.stalled_write(now, ticks_of_ms(limits.data_out_ms)) {
                        break End::NoDataOut;
                    }
                }
                match self.receive_one() {
                    Ok(Next::Go) => {}
                    Ok(Next::End(why)) | Err(why) => break why,
                }
            },
            Err(_) => End::NoTransmitThread,
        };
        let logged_out = why == End::Logout;
        let why = match (
            self.stopping.load(Ordering::Acquire),
            self.logout_asked.load(Ordering::Acquire),
        ) {
            (true, _) => End::ByTarget,
            (false, true) if why == End::Logout => End::LogoutAsked,
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
        if why == End::NotReading {
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
}
