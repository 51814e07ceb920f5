// SPDX-License-Identifier: GPL-2.0

//! The transmit side of a connection: one thread per connection sends
//! every PDU, in the order they were queued.
//!
//! Whoever has something to send (the core's `xmit_response` and
//! `rdy_to_xfer` in SCST threads, task management completions, the
//! receive thread) queues it and goes on; only this thread writes to the
//! socket, so an initiator that stops reading blocks this connection's
//! transmit thread alone, never an SCST thread that other sessions need.
//! A send that makes no progress for `SEND_TIMEOUT_MS` resets the
//! connection.  Meanwhile the receive thread stops reading once the PDUs
//! it queued (NOP-In echoes, Rejects, R2Ts) pass `MAX_BACKLOG` bytes, so
//! an initiator that sends without reading meets TCP's back-pressure
//! instead of growing the queue (`Session::tx_room`).
//!
//! The queue is two vectors that trade places: the thread takes the whole
//! queue at once and leaves its emptied batch behind, so once both have
//! grown to the connection's busiest moment nothing is allocated per PDU.
//! A SCSI response is queued by reference to its command: its data goes
//! from the command's buffer, which the core keeps until `tgt_done`, here.
//! A batch goes out with MSG_MORE on every PDU but the last, so the
//! answers to many small commands share TCP segments.

use super::{End, IscsiCmd, Session};
use crate::pdu::{self, Bhs, DataIn, ScsiRsp};
use crate::scst_rs::api::cmd::{Cmd, Context, Direction};
use crate::scst_rs::scsi::Status;
use crate::scst_rs::{crc, kthread::KThread, vec};
use core::sync::atomic::Ordering;
use kernel::{
    fmt, new_condvar, new_spinlock,
    prelude::*,
    str::CString,
    sync::{Arc, CondVar, SpinLock},
};

/// How long a session that ends by Logout waits for its last PDUs (the
/// Logout Response) to go out before the socket is shut.
const FLUSH_MS: u32 = 5000;

/// Queue room reserved beyond QueuedCommands (R2Ts, NOP-Ins, TM answers).
const SPARE: usize = 16;

/// How long one socket send may make no progress (the initiator reads
/// nothing) before the connection is given up.
pub(super) const SEND_TIMEOUT_MS: u32 = 30_000;

/// Bytes of PDUs (NOP-In echoes, Rejects, R2Ts, other answers) the
/// receive thread may have queued ahead of the transmit thread before it
/// stops reading from the initiator; at least two of the initiator's
/// largest PDUs.
const MAX_BACKLOG: usize = 1 << 20;

/// Something for the transmit thread to send.
pub(super) enum TxItem {
    /// A command's Data-Ins and status, from `xmit_response`.
    Response(Arc<IscsiCmd>, Cmd),
    /// One PDU and its data segment; `status`: it takes a StatSN.
    Pdu {
        bhs: Bhs,
        data: KVVec<u8>,
        status: bool,
    },
    /// The connection ends once what was queued before is sent.
    Stop,
}

/// The queue between the senders and the transmit thread.
struct TxQueue {
    items: KVec<TxItem>,
    /// The thread sleeps for more (senders wake it only then).
    sleeping: bool,
    /// The thread has a batch in hand.
    busy: bool,
    /// The session is over: the thread sends (or fails) what is queued
    /// and ends.
    stop: bool,
    /// Bytes of queued `Pdu` items (their data and the item), and of
    /// those in the batch in hand: see `Session::tx_room`.
    queued_bytes: usize,
    in_hand_bytes: usize,
}

/// What only the transmit thread touches.
struct Tx {
    stat_sn: u32,
    /// A send failed: the connection is going, nothing more is sent (but
    /// every command is still finished).
    broken: bool,
    /// The last PDU written went with MSG_MORE: pushed after the batch
    /// (its successor may have sent nothing, an aborted command).
    corked: bool,
}

/// A connection's transmit queue, its wake-up, and where StatSN starts.
#[pin_data]
pub(super) struct Transmit {
    #[pin]
    queue: SpinLock<TxQueue>,
    #[pin]
    wake: CondVar,
    /// The StatSN of the first status sent in full feature phase.
    stat_sn0: u32,
}

impl Transmit {
    /// A queue with room for `queued_commands` responses and some more.
    pub(super) fn new(queued_commands: u32, stat_sn0: u32) -> Result<impl PinInit<Self>> {
        let room = queued_commands as usize + SPARE;
        let q = TxQueue {
            items: KVec::with_capacity(room, GFP_KERNEL)?,
            sleeping: false,
            busy: false,
            stop: false,
            queued_bytes: 0,
            in_hand_bytes: 0,
        };
        Ok(
            pin_init!(Self { queue <- new_spinlock!(q, "iscsi_txq"), wake <- new_condvar!("iscsi_tx"), stat_sn0 }),
        )
    }
}

impl Session {
    /// Queues `item`; without memory for it, nothing is queued and the
    /// item comes back as the error.
    fn push(&self, item: TxItem) -> core::result::Result<(), TxItem> {
        let mut q = self.tx.queue.lock();
        if q.items.reserve(1, GFP_ATOMIC).is_err() {
            return Err(item);
        }
        if let TxItem::Pdu { data, .. } = &item {
            q.queued_bytes += data.len() + core::mem::size_of::<TxItem>();
        }
        // Cannot fail: room was reserved.
        let _ = q.items.push(item, GFP_ATOMIC);
        let wake = q.sleeping;
        drop(q);
        if wake {
            self.tx.wake.notify_one();
        }
        Ok(())
    }

    /// Queues a PDU with a copy of `data`; `status`: it takes a StatSN.
    pub(super) fn send(&self, bhs: Bhs, data: &[u8], status: bool) -> Result<(), End> {
        let mut owned = KVVec::new();
        owned
            .extend_from_slice(data, GFP_KERNEL)
            .map_err(|_| End::OutOfMemory)?;
        self.push(TxItem::Pdu {
            bhs,
            data: owned,
            status,
        })
        .map_err(|_| End::OutOfMemory)
    }

    /// Whether the transmit thread keeps up, so that the receive thread
    /// may read the next PDU.  If PDUs queued by the receiving side pile
    /// up (an initiator sending without reading: NOP-Out echoes, Rejects),
    /// waits for them to go; false if they have not in
    /// `SEND_TIMEOUT_MS` (the send is stuck, or failed and the session
    /// ends).
    pub(super) fn tx_room(&self) -> bool {
        let max = MAX_BACKLOG.max(2 * self.params.max_xmit_data_segment_length as usize);
        let room = || {
            let q = self.tx.queue.lock();
            q.queued_bytes + q.in_hand_bytes <= max
        };
        room()
            || crate::scst_rs::sys::wait_up_to(SEND_TIMEOUT_MS + 1000, || {
                room() || self.stopping.load(Ordering::Acquire)
            })
    }

    /// Queues the end of the connection, after what is queued now.
    pub(super) fn stop_after_sending(&self) {
        if self.push(TxItem::Stop).is_err() {
            self.stop();
        }
    }

    /// Queues a command's response.  Without memory for it, the command
    /// is finished unanswered and the connection ends (the initiator
    /// would wait for the answer forever).
    pub(super) fn respond_later(&self, ic: Arc<IscsiCmd>, c: Cmd) {
        if let Err(TxItem::Response(ic, c)) = self.push(TxItem::Response(ic, c)) {
            pr_err!(
                "session {} ({}): no memory to queue a response: the connection ends\n",
                &*self.initiator,
                &*self.peer
            );
            self.stop();
            self.command_answered(&ic);
            c.tgt_done(Context::Direct);
        }
    }

    /// Starts the transmit thread; the connection cannot work without it.
    pub(super) fn start_transmit(self: &Arc<Self>) -> Result<KThread> {
        let name = CString::try_from_fmt(fmt!("iscsi_tx{}_{}", self.tid, self.tsih))?;
        let s = self.clone();
        KThread::run(&name, move || s.transmit())
    }

    /// Ends the transmit thread once it has sent (or failed) everything
    /// queued; the thread is joined when `thread` is dropped.  Without a
    /// thread, the queue is handled here.
    pub(super) fn end_transmit(&self, thread: Option<KThread>) {
        let mut q = self.tx.queue.lock();
        q.stop = true;
        drop(q);
        self.tx.wake.notify_one();
        match thread {
            Some(t) => drop(t),
            None => self.transmit(),
        }
    }

    /// Waits up to `FLUSH_MS` for everything queued to be sent.
    pub(super) fn flush(&self) {
        crate::scst_rs::sys::wait_up_to(FLUSH_MS, || {
            let q = self.tx.queue.lock();
            q.items.is_empty() && !q.busy
        });
    }

    /// The transmit thread: sends batches until the queue stops.
    fn transmit(&self) {
        let mut tx = Tx {
            stat_sn: self.tx.stat_sn0,
            broken: false,
            corked: false,
        };
        let mut batch = KVec::new();
        loop {
            let mut q = self.tx.queue.lock();
            q.busy = false;
            q.in_hand_bytes = 0;
            while q.items.is_empty() && !q.stop {
                q.sleeping = true;
                // No signals come to a kernel thread.
                let _ = self.tx.wake.wait_interruptible(&mut q);
                q.sleeping = false;
            }
            if q.items.is_empty() {
                return;
            }
            q.busy = true;
            q.in_hand_bytes = core::mem::take(&mut q.queued_bytes);
            core::mem::swap(&mut q.items, &mut batch);
            drop(q);
            // All but the batch's last PDU go with MSG_MORE, so the batch
            // leaves in as few TCP segments as fit.
            let mut left = batch.len();
            vec::drain(&mut batch, |item| {
                left -= 1;
                self.transmit_one(&mut tx, item, left > 0);
            });
            if core::mem::take(&mut tx.corked) && !tx.broken {
                self.sock.push();
            }
        }
    }

    /// Sends one item; `more`: others of the batch follow.
    fn transmit_one(&self, tx: &mut Tx, item: TxItem, more: bool) {
        match item {
            TxItem::Response(ic, mut c) => {
                // Its slot in the window is free before its status goes:
                // the MaxCmdSN in that status lets the initiator send the
                // next command at once.  (One behind, an initiator that
                // keeps QueuedCommands outstanding would find the window
                // shut after every answer and back off.)
                self.command_answered(&ic);
                if !tx.broken && !c.aborted() {
                    // Before the first byte goes: an abort the core marks
                    // from now on did not stop the task.
                    ic.responded.store(true, Ordering::Release);
                    if self.respond(tx, &ic, &mut c, more).is_err() {
                        self.broke(tx);
                    }
                }
                c.tgt_done(Context::Direct);
            }
            TxItem::Pdu { bhs, data, status } => {
                if !tx.broken
                    && self
                        .write(tx, bhs, &data, status, more, |d, m| self.sock.send(d, m))
                        .is_err()
                {
                    self.broke(tx);
                }
            }
            TxItem::Stop => self.stop(),
        }
    }

    /// A send failed or made no progress for `SEND_TIMEOUT_MS`: the
    /// connection is over (the receive thread sees it reset and ends the
    /// session).  Reset, not shut down: the initiator that stopped reading
    /// must not keep our queues full, nor stay blocked in its sends.
    fn broke(&self, tx: &mut Tx) {
        tx.broken = true;
        self.sock.abort();
    }

    /// Writes one PDU: header, then data padded to 4 bytes, with digests
    /// as negotiated; the data goes by `send_data`.  `more`: another PDU
    /// follows at once (the PDU's end is not pushed).
    fn write(
        &self,
        tx: &mut Tx,
        mut bhs: Bhs,
        data: &[u8],
        status: bool,
        more: bool,
        send_data: impl FnOnce(&[u8], bool) -> Result,
    ) -> Result {
        bhs.set_data_len(u32::try_from(data.len()).map_err(|_| EINVAL)?);
        let (max, sent) = (self.max_cmd_sn(), self.max_sent.load(Ordering::Relaxed));
        let max = if pdu::sn_lt(sent, max) { max } else { sent };
        self.max_sent.store(max, Ordering::Relaxed);
        bhs.set_sn(tx.stat_sn, self.exp_cmd_sn.load(Ordering::Relaxed), max);
        if status {
            tx.stat_sn = tx.stat_sn.wrapping_add(1);
        }
        let pad = &[0u8; 3][..pdu::pad4(data.len()) - data.len()];
        let (hd, dd) = (
            self.params.header_digest != 0,
            self.params.data_digest != 0 && !data.is_empty(),
        );
        // Each piece but the PDU's last goes with MSG_MORE; the last too
        // if `more`.  (An empty send pushes nothing, so none is made.)
        self.sock.send(&bhs.0, hd || !data.is_empty() || more)?;
        if hd {
            self.sock
                .send(&crc::iscsi_digest(&[&bhs.0]), !data.is_empty() || more)?;
        }
        if data.is_empty() {
            tx.corked = more;
            return Ok(());
        }
        send_data(data, !pad.is_empty() || dd || more)?;
        if !pad.is_empty() {
            self.sock.send(pad, dd || more)?;
        }
        if dd {
            self.sock.send(&crc::iscsi_digest(&[data, pad]), more)?;
        }
        tx.corked = more;
        Ok(())
    }

    /// A command's Data-In PDUs, then its status (in the last Data-In when
    /// it is GOOD, else a SCSI Response with the sense); `more_after`: other
    /// PDUs follow it in the batch.
    fn respond(&self, tx: &mut Tx, ic: &IscsiCmd, c: &mut Cmd, more_after: bool) -> Result {
        let status = c.status().0;
        let (flag, residual) = match c.resid() {
            r if r > 0 => (pdu::UNDERFLOW, u32::try_from(r).unwrap_or(u32::MAX)),
            r if r < 0 => (pdu::OVERFLOW, u32::try_from(-r).unwrap_or(u32::MAX)),
            _ => (0, 0),
        };
        let len = if c.data_direction() == Direction::Read {
            c.resp_len() as usize
        } else {
            0
        };
        let max = (self.params.max_xmit_data_segment_length as usize).max(512);
        let status_in_data = status == Status::GOOD.0 && c.sense().is_empty() && len > 0;
        // SAFETY: a plain read of this module's parameter.
        let zero_copy = len > 0 && unsafe { super::iscsi_scst_zero_copy() };
        // Sent without a copy, the core keeps the buffer until the network
        // lets go of its pages.
        let data: &[u8] = if zero_copy {
            c.lend_buffer()
        } else {
            c.buffer()
        };
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
            let (bhs, piece, status) = (
                din.encode(),
                data.get(off..end).unwrap_or(&[]),
                last && status_in_data,
            );
            let more = !(last && status_in_data) || more_after;
            if zero_copy {
                // SAFETY: `data` is in the command's lent buffer, which is
                // not reused while the network holds its pages.
                self.write(tx, bhs, piece, status, more, |d, m| unsafe {
                    self.sock.send_pages(d, m)
                })?;
            } else {
                self.write(tx, bhs, piece, status, more, |d, m| self.sock.send(d, m))?;
            }
            data_sn = data_sn.wrapping_add(1);
            off = end;
        }
        if status_in_data {
            return Ok(());
        }
        let mut buf = [0u8; SENSE_SEGMENT];
        let rsp = ScsiRsp {
            itt: ic.itt,
            status,
            residual_flag: flag,
            residual,
            exp_data_sn: data_sn,
            ..Default::default()
        };
        self.write(
            tx,
            rsp.encode(),
            sense_segment(c.sense(), &mut buf),
            true,
            more_after,
            |d, m| self.sock.send(d, m),
        )
    }
}

/// Room for a SCSI Response's data segment: SenseLength and up to 252
/// bytes of sense.
pub(super) const SENSE_SEGMENT: usize = 2 + 252;

/// A SCSI Response's data segment for `sense` (RFC 7143 11.4.7): empty
/// without sense, else its 2-byte length and the sense, in `buf`.
pub(super) fn sense_segment<'a>(sense: &[u8], buf: &'a mut [u8; SENSE_SEGMENT]) -> &'a [u8] {
    let sense = sense
        .get(..sense.len().min(SENSE_SEGMENT - 2))
        .unwrap_or(&[]);
    if sense.is_empty() {
        return &[];
    }
    let (len, rest) = buf.split_at_mut(2);
    len.copy_from_slice(&(sense.len() as u16).to_be_bytes());
    for (d, s) in rest.iter_mut().zip(sense) {
        *d = *s;
    }
    buf.get(..2 + sense.len()).unwrap_or(&[])
}
