// SPDX-License-Identifier: GPL-2.0

//! Receiving: the PDU loop, digests, the data segment reader.

use super::*;

impl Session {
    /// Reads a data segment of `n` bytes (and its padding, and its
    /// digest) and drops it.
    pub(super) fn discard(&self, n: usize) -> Result<(), End> {
        self.skip(n, pdu::pad4(n) - n)?;
        self.end_segment()
    }

    /// One PDU.
    pub(super) fn receive_one(self: &Arc<Self>) -> Result<Next, End> {
        let mut bhs = Bhs::default();
        match self.sock.recv_exact(&mut bhs.0) {
            Ok(true) => {}
            Ok(false) => return Ok(Next::End(End::Closed)),
            Err(e) if e == EAGAIN => return self.silence(),
            Err(_) => return Err(End::ReceiveError),
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
            return Err(End::Protocol(
                "data segment longer than MaxRecvDataSegmentLength",
            ));
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
    pub(super) fn dispatch(
        self: &Arc<Self>,
        req: Request,
        bhs: &Bhs,
        ext_cdb: bool,
        len: usize,
    ) -> Result<Next, End> {
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
                return Ok(Next::End(End::Logout));
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
    pub(super) fn read_ahs(&self, n: usize) -> Result<bool, End> {
        if n == 0 {
            return Ok(false);
        }
        let mut buf = KVec::from_elem(0u8, n, GFP_KERNEL).map_err(|_| End::OutOfMemory)?;
        self.recv_into(&mut buf)?;
        Ok(pdu::has_extended_cdb(&buf))
    }

    /// nop_in_interval seconds without a PDU: a NOP-In ping, which the
    /// initiator must answer (RFC 7143 11.19) before as long again has
    /// passed, or the connection is taken for dead.
    pub(super) fn silence(&self) -> Result<Next, End> {
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
            return Ok(Next::End(End::NoPingAnswer));
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

    /// The data segment (and its padding) has been read: with DataDigest,
    /// its digest follows and must match before anything acts on the data.
    pub(super) fn end_segment(&self) -> Result<(), End> {
        if self.rx_crc_on.load(Ordering::Relaxed) {
            self.check_digest("data")?;
        }
        Ok(())
    }

    /// Reads the 4-byte digest ending what `rx_crc` covered and compares.
    /// A mismatch ends the connection: with ErrorRecoveryLevel 0 neither
    /// a header nor a data digest error can be recovered within the
    /// connection (RFC 7143 7.8, as LIO does).
    pub(super) fn check_digest(&self, what: &str) -> Result<(), End> {
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
            return Err(End::Digest);
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
            return Err(End::Digest);
        }
        Ok(())
    }

    /// Receives exactly `dst` (into the digest, if one is running), from
    /// a held PDU's data while one is replayed.
    pub(super) fn recv_into(&self, dst: &mut [u8]) -> Result<(), End> {
        if self.replaying.load(Ordering::Relaxed) {
            let mut r = self.replay.lock();
            let at = r.at;
            dst.copy_from_slice(
                r.data
                    .get(at..at + dst.len())
                    .ok_or(End::Bug("held PDU shorter than its header"))?,
            );
            r.at += dst.len();
            return Ok(());
        }
        if !self.sock.recv_exact(dst).map_err(|_| End::ReceiveError)? {
            return Err(End::ClosedInPdu);
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
    pub(super) fn skip(&self, n: usize, pad: usize) -> Result<(), End> {
        let mut left = n + pad;
        let mut buf = [0u8; 256];
        while left > 0 {
            let k = left.min(buf.len());
            self.recv_into(&mut buf[..k])?;
            left -= k;
        }
        Ok(())
    }
}
