// SPDX-License-Identifier: GPL-2.0

//! SCSI Command PDUs: a command handed to SCST, and the table of the ones it has.

use super::*;

/// A command on its way through SCST (the command's `tgt_priv`, an
/// `Arc` reference taken back in `xmit_response`).
#[pin_data]
pub(crate) struct IscsiCmd {
    pub(super) sess: Arc<Session>,
    pub(super) itt: u32,
    pub(super) lun: [u8; 8],
    pub(super) immediate: bool,
    pub(super) write: bool,
    /// Its response is going to the initiator (the transmit thread saw it
    /// not aborted): an ABORT TASK that comes too late to stop that is
    /// answered "Task does not exist" (`tm.rs`).
    pub(super) responded: AtomicBool,
    /// The transfer of a write's data.
    #[pin]
    pub(super) w: Mutex<WriteState>,
}

impl Session {
    /// A SCSI Command PDU whose `len` bytes of immediate data follow.
    pub(super) fn scsi_command(
        self: &Arc<Self>,
        c: &pdu::ScsiCmd,
        bhs: &Bhs,
        len: usize,
    ) -> Result<(), End> {
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
            return Err(End::Protocol(
                "immediate data beyond the expected length, FirstBurstLength or ImmediateData=No",
            ));
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
            pin_init!(IscsiCmd { sess: self.clone(), itt: c.itt, lun: c.lun, immediate: c.immediate, write: c.write, responded: AtomicBool::new(false), w <- new_mutex!(state) }),
            GFP_KERNEL,
        )
        .map_err(|_| End::OutOfMemory)?;
        // Data-Out and ABORT TASK find the command here from now on.
        self.cmds
            .lock()
            .push((c.itt, ic.clone()), GFP_KERNEL)
            .map_err(|_| End::OutOfMemory)?;
        // The core holds a reference until `xmit_response`.
        let rx = self
            .reg
            .lock()
            .as_ref()
            .map(|r| r.rx(&c.lun, &c.cdb, ic.clone(), false));
        let Some(rx) = rx else {
            self.forget_cmd(&ic);
            return Err(End::SessionGone);
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
    pub(super) fn command_answered(&self, ic: &IscsiCmd) {
        if ic.immediate {
            self.immediate_in_flight.fetch_sub(1, Ordering::AcqRel);
        } else {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Drops a command from the table (answered, or never taken): that
    /// one, not another that came with its ITT.
    pub(super) fn forget_cmd(&self, ic: &IscsiCmd) {
        crate::scst_rs::vec::retain(&mut self.cmds.lock(), |(_, c)| !core::ptr::eq(&**c, ic));
    }

    /// The command with ITT `itt`, if the core has it.
    pub(super) fn find_cmd(&self, itt: u32) -> Option<Arc<IscsiCmd>> {
        self.cmds
            .lock()
            .iter()
            .find(|(i, _)| *i == itt)
            .map(|(_, c)| c.clone())
    }

    /// Answers a command the core never saw.
    pub(super) fn answer_now(
        &self,
        c: &pdu::ScsiCmd,
        status: Status,
        sense: Option<Sense>,
    ) -> Result<(), End> {
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
