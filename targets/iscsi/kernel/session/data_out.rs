// SPDX-License-Identifier: GPL-2.0

//! Writes: R2Ts, Data-Out, and the data of a write on its way into the buffer.

use super::*;

/// How long ABORT TASK of a write waiting for data waits for the core to
/// mark it, in ms (`IscsiCmd::fail_once_aborted`).
pub(super) const ABORT_MARK_MS: u32 = 200;

/// Where a write's data stands.
pub(super) struct WriteState {
    /// The command, whose buffer takes the data, from `rdy_to_xfer` until
    /// it is handed back to the core.
    pub(super) cmd: Option<Cmd>,
    /// Bytes the buffer takes: the expected length, capped by the
    /// buffer's once it is known.
    pub(super) want: u32,
    /// The initiator's Expected Data Transfer Length: data beyond `want`
    /// up to here is read and dropped.
    pub(super) expected: u32,
    /// Bytes received (in the buffer, or in `stash` before it exists).
    pub(super) received: u32,
    pub(super) stash: KVVec<u8>,
    /// Where solicited data starts: after the immediate and unsolicited
    /// data.
    pub(super) unsolicited_end: u32,
    /// Data up to here has been asked for by R2T.
    pub(super) r2t_upto: u32,
    /// R2Ts sent; R2T k asks for the burst at `unsolicited_end + k *
    /// MaxBurstLength` with Target Transfer Tag `ttt_base + k`.
    pub(super) r2t_sn: u32,
    pub(super) ttt_base: u32,
    /// The DataSN the next Data-Out must carry: from 0 in each sequence
    /// (the unsolicited data, each R2T's burst), which its F bit ends.
    pub(super) data_sn: u32,
    /// Answered, or handed back to the core: later data is dropped.
    pub(super) done: bool,
    /// When data was last asked for or came (jiffies), while the buffer
    /// waits for more: see `Session::stalled_write`.
    pub(super) asked: u64,
}

/// The core has a buffer for a write's data: take what came already, and
/// ask for the rest.
pub(super) fn rdy_to_xfer(mut c: Cmd, ours: Arc<IscsiCmd>) {
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

impl IscsiCmd {
    /// A Data-Out's DataSN must be the next of its sequence.  A gap or a
    /// repeat is an implied digest error (RFC 7143 7.9), which at
    /// ErrorRecoveryLevel 0 ends the task (7.8): the command fails with a
    /// data phase error, this and its later Data-Outs are dropped, and
    /// the connection goes on.
    pub(super) fn check_data_sn(&self, d: &pdu::DataOut) {
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
    pub(super) fn check_ttt(&self, d: &pdu::DataOut, len: usize, burst: u32) -> Result<(), End> {
        let w = self.w.lock();
        let (start, end) = (u64::from(d.offset), u64::from(d.offset) + len as u64);
        let unsolicited = u64::from(w.unsolicited_end);
        if start < unsolicited || (len == 0 && start == unsolicited && d.ttt == RESERVED_TAG) {
            return match (d.ttt == RESERVED_TAG, end <= unsolicited) {
                (true, true) => Ok(()),
                (false, _) => Err(End::Protocol(
                    "unsolicited Data-Out with a Target Transfer Tag",
                )),
                (true, false) => Err(End::Protocol(
                    "Data-Out beyond the burst the target asked for",
                )),
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
            return Err(End::Protocol(
                "Data-Out beyond the burst the target asked for",
            ));
        }
        if k >= u64::from(w.r2t_sn) || d.ttt != w.ttt_base.wrapping_add(k as u32) {
            return Err(End::Protocol(
                "Data-Out with a Target Transfer Tag of no R2T for its offset",
            ));
        }
        Ok(())
    }

    /// ABORT TASK came for this write: an initiator sends no more data
    /// for a task it aborts, so a transfer still waiting would wait
    /// until `data_out_timeout` and hold the abort as long.  Once the
    /// core has marked the command aborted (its task-management thread
    /// does within milliseconds) the transfer fails at once; if that
    /// takes longer than `ABORT_MARK_MS`, the timeout does it.
    pub(super) fn fail_once_aborted(&self) {
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
    pub(super) fn fail_transfer(&self) -> bool {
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

impl Session {
    /// A Target Transfer Tag for a NOP-In ping: never the reserved
    /// 0xffffffff.
    pub(super) fn next_ttt(&self) -> u32 {
        self.reserve_ttts(1)
    }

    /// The first of `n` consecutive Target Transfer Tags, none of them
    /// the reserved 0xffffffff (n is at most 2^24: an expected length of
    /// up to 4 GiB in bursts of at least 512 bytes).
    pub(super) fn reserve_ttts(&self, n: u32) -> u32 {
        loop {
            let first = self.ttt.fetch_add(n, Ordering::Relaxed);
            if first.checked_add(n).is_some() {
                return first;
            }
        }
    }

    /// Whether a write has waited for Data-Out for more than `limit`
    /// ticks with none coming: the initiator will not send it (it may have
    /// aborted the task, or be hostile), and the command would hold its
    /// buffer, its task set slot and any task management or device
    /// removal waiting for it, for ever.
    pub(super) fn stalled_write(&self, now: u64, limit: u64) -> bool {
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

    /// A Data-Out PDU with `len` bytes.
    pub(super) fn data_out(&self, d: &pdu::DataOut, len: usize) -> Result<(), End> {
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
    pub(super) fn receive_data(
        &self,
        ic: &Arc<IscsiCmd>,
        offset: u32,
        len: usize,
    ) -> Result<(), End> {
        let mut w = ic.w.lock();
        if w.done {
            drop(w);
            return self.discard(len);
        }
        // DataPDUInOrder and DataSequenceInOrder are Yes: data comes in
        // order, each byte once.
        let end = u64::from(offset) + len as u64;
        if offset != w.received && !(offset >= w.want && offset == w.received.max(w.want)) {
            return Err(End::Protocol("Data-Out out of order"));
        }
        if end > u64::from(w.expected) {
            return Err(End::Protocol("data beyond the expected transfer length"));
        }
        // Unsolicited data stops at FirstBurstLength (none with
        // InitialR2T=Yes), solicited data at what the R2Ts asked for.
        if end > u64::from(w.r2t_upto) {
            return Err(End::Protocol(
                "Data-Out beyond the burst the target asked for",
            ));
        }
        let keep = (u64::from(w.want).saturating_sub(u64::from(offset))).min(len as u64) as usize;
        if let Some(c) = w.cmd.as_mut() {
            // The command's buffer, of at least `want` bytes, which waits
            // for its data while we hold the lock.
            let at = offset as usize;
            let dst = c
                .buffer()
                .get_mut(at..at + keep)
                .ok_or(End::Bug("buffer"))?;
            self.recv_into(dst)?;
        } else {
            let at = w.stash.len();
            w.stash
                .extend_with(keep, 0, GFP_KERNEL)
                .map_err(|_| End::OutOfMemory)?;
            let dst = w.stash.get_mut(at..at + keep).ok_or(End::Bug("stash"))?;
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

    /// After data arrived or the buffer came: done (the command goes on
    /// in `ctx`), or more R2Ts.
    pub(super) fn progress(
        &self,
        ic: &IscsiCmd,
        mut w: kernel::sync::lock::Guard<'_, WriteState, kernel::sync::lock::mutex::MutexBackend>,
        ctx: Context,
    ) -> Result<(), End> {
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
}
