// SPDX-License-Identifier: GPL-2.0

//! CmdSN ordering: PDUs that come after a gap are held until their turn.

use super::*;

/// PDUs, and bytes of their data, held for a CmdSN gap at most: beyond,
/// the initiator is not waiting for a missing command but flooding.
pub(super) const MAX_HELD: usize = 1024;

pub(super) const MAX_HELD_BYTES: usize = 16 << 20;

/// A PDU whose CmdSN came after a gap, kept (data segment read, padding
/// included, digests checked) until the commands before it arrived: they
/// are delivered in CmdSN order (RFC 7143 3.2.2.1).  Data-Outs for a held
/// command are held with it.
pub(super) struct Held {
    pub(super) bhs: Bhs,
    pub(super) ext_cdb: bool,
    /// Its CmdSN; None for a Data-Out of a held command.
    pub(super) sn: Option<u32>,
    pub(super) itt: u32,
    pub(super) data: KVVec<u8>,
    /// ABORT TASK came for it: its CmdSN is used up, nothing runs.
    pub(super) aborted: bool,
}

/// Where replaying a held PDU's data stands.
pub(super) struct Replay {
    pub(super) data: KVVec<u8>,
    pub(super) at: usize,
}

impl Session {
    /// Where a non-immediate PDU's CmdSN stands; ExpCmdSN advances past
    /// one whose turn it is.
    pub(super) fn order(&self, sn: u32) -> CmdSnOrder {
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
    pub(super) fn is_held(&self, itt: u32) -> bool {
        self.held_len.load(Ordering::Relaxed) > 0
            && self
                .held
                .lock()
                .iter()
                .any(|h| h.sn.is_some() && h.itt == itt)
    }

    /// Reads a PDU's data segment (`len` bytes, padding, digest) and holds
    /// the PDU until its turn.  A second PDU with a held CmdSN is ignored.
    pub(super) fn hold(
        &self,
        bhs: &Bhs,
        ext_cdb: bool,
        sn: Option<u32>,
        itt: u32,
        len: usize,
    ) -> Result<(), End> {
        let padded = pdu::pad4(len);
        {
            let held = self.held.lock();
            if sn.is_some() && held.iter().any(|h| h.sn == sn) {
                drop(held);
                return self.discard(len);
            }
            let bytes = held.iter().map(|h| h.data.len()).sum::<usize>() + padded;
            if held.len() >= MAX_HELD || bytes > MAX_HELD_BYTES {
                return Err(End::Protocol("too many PDUs held for a CmdSN gap"));
            }
        }
        let mut data = KVVec::from_elem(0u8, padded, GFP_KERNEL).map_err(|_| End::OutOfMemory)?;
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
        held.push(h, GFP_KERNEL).map_err(|_| End::OutOfMemory)?;
        self.held_len.store(held.len(), Ordering::Relaxed);
        Ok(())
    }

    /// Delivers the held PDUs whose turn has come, in CmdSN order, each
    /// command followed by its Data-Outs.
    pub(super) fn release_held(self: &Arc<Self>) -> Result<Next, End> {
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
                    KVec::with_capacity(held.len(), GFP_KERNEL).map_err(|_| End::OutOfMemory)?;
                for h in core::mem::take(&mut *held) {
                    let to = if mine(&h) { &mut due } else { &mut rest };
                    to.push(h, GFP_KERNEL).map_err(|_| End::OutOfMemory)?;
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
    pub(super) fn replay(self: &Arc<Self>, h: Held) -> Result<Next, End> {
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
    pub(super) fn abort_held(&self, itt: u32) -> bool {
        let mut found = false;
        for h in self.held.lock().iter_mut().filter(|h| h.itt == itt) {
            h.aborted = true;
            found = true;
        }
        found
    }
}
