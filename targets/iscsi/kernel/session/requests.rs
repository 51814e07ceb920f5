// SPDX-License-Identifier: GPL-2.0

//! NOP-Out, Text, Logout and Reject.

use super::*;

/// The longest Text Request taken (over its pieces) and answer sent.
pub(super) const MAX_TEXT: usize = 8192;

impl Session {
    /// A Text Request in full feature phase: gathered over its pieces (C
    /// bit, each answered by an empty response), then answered in one
    /// PDU (`text::full_feature_answer`: SendTargets for this target).
    pub(super) fn text(&self, t: &pdu::TextReq, bhs: &Bhs, len: usize) -> Result<(), End> {
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
            .map_err(|_| End::OutOfMemory)?;
        self.recv_into(text_in.get_mut(at..).ok_or(End::Bug("text"))?)?;
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
        .map_err(|_| End::OutOfMemory)?;
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

    pub(super) fn reject(&self, reason: u8, bad: &Bhs) -> Result<(), End> {
        self.send(pdu::reject(reason), &bad.0, true)
    }

    pub(super) fn nop_out(&self, n: &pdu::NopOut, len: usize) -> Result<(), End> {
        if n.itt == RESERVED_TAG {
            // A ping answering ours, or one that wants no answer.
            return self.discard(len);
        }
        // The ping data comes back, as much of it as the initiator takes
        // in one PDU (its MaxRecvDataSegmentLength; ours bounded `len`).
        let back = len.min(self.params.max_xmit_data_segment_length as usize);
        let mut data = KVVec::from_elem(0u8, back, GFP_KERNEL).map_err(|_| End::OutOfMemory)?;
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
    pub(super) fn logout(&self, l: &pdu::LogoutReq) -> Result<(), End> {
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
}
