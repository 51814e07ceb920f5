//! An initiator's PDU as the connection reads it: the 48-byte BHS, its
//! AHS and data segment lengths, the AHS walk for an extended CDB, and
//! `Request::decode`; plus the target's response encoders, fed the same
//! header's fields.
#![no_main]
use iscsi_proto::pdu::{self, op, reject, Bhs, Request, BHS_LEN};
use iscsi_proto::text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((head, rest)) = data.split_first_chunk::<BHS_LEN>() else {
        return;
    };
    let b = Bhs(*head);

    // Lengths: AHS in words, data up to 2^24 - 1, padded to 4.
    let (ahs_len, dl) = (b.ahs_len(), b.data_len());
    assert!(ahs_len % 4 == 0 && ahs_len <= 1020 && dl <= pdu::MAX_DATA_LEN);
    let padded = b.padded_data_len();
    assert!(padded % 4 == 0 && padded >= dl as usize && padded < dl as usize + 4);

    // The AHS walk never reads past its slice, and more bytes never
    // make an extended CDB disappear.
    let ahs = rest.get(..ahs_len).unwrap_or(rest);
    if pdu::has_extended_cdb(ahs) {
        assert!(pdu::has_extended_cdb(rest));
    }
    let seg = rest.get(ahs_len..).unwrap_or(&[]);
    let seg = seg.get(..dl as usize).unwrap_or(seg);

    match Request::decode(&b) {
        Ok(req) => {
            assert!(
                b.opcode() <= op::SNACK,
                "decoded target opcode {:#x}",
                b.opcode()
            );
            assert_eq!(Request::decode(&b), Ok(req));
            assert_eq!(
                req.cmd_sn().is_none(),
                matches!(req, Request::DataOut(_) | Request::Snack(_))
            );
            match req {
                Request::ScsiCmd(c) => {
                    assert_eq!((&c.cdb[..], c.lun, c.itt), (&b.0[32..48], b.lun(), b.itt()));
                    assert!(c.itt != pdu::RESERVED_TAG && (dl == 0 || c.write));
                    assert!(c.expected_len == 0 || c.read || c.write);
                }
                Request::Login(l) => {
                    assert!(l.csg < 4 && l.nsg < 4 && l.isid == b.0[8..14] && l.tsih == b.be16(14));
                    let _ = text::check(seg);
                }
                Request::Text(t) => {
                    assert!(!(t.final_ && t.continue_) && t.itt != pdu::RESERVED_TAG);
                    let _ = text::check(seg);
                }
                Request::NopOut(n) => assert_eq!((n.itt, n.ttt), (b.itt(), b.be32(20))),
                Request::DataOut(d) => assert_eq!((d.offset, d.data_sn), (b.be32(40), b.be32(36))),
                _ => {}
            }
            // Writing back the fields decode read leaves the header as it
            // was.
            let mut c = b;
            c.set_itt(b.itt());
            c.set_lun(&b.lun());
            c.set_data_len(b.data_len());
            c.set_flags(b.flags());
            assert_eq!(c, b);
        }
        Err(pdu::Refused(r)) => assert!(r == reject::NOT_SUPPORTED || r == reject::PROTOCOL_ERROR),
    }

    // Responses built from this header's fields carry them.
    let f = b.flags();
    let mut isid = [0; 6];
    isid.copy_from_slice(&b.0[8..14]);
    let rsp = pdu::LoginRsp {
        transit: f & pdu::TRANSIT != 0,
        continue_: f & pdu::CONTINUE != 0,
        csg: (f >> 2) & 3,
        nsg: f & 3,
        version_active: b.0[3],
        isid,
        tsih: b.be16(14),
        itt: b.itt(),
        status: b.be16(36),
        data_len: b.be32(20),
    };
    let e = rsp.encode();
    assert_eq!(
        (e.opcode(), e.itt(), e.be16(36), e.be16(14)),
        (op::LOGIN_RSP, rsp.itt, rsp.status, rsp.tsih)
    );
    assert_eq!(
        (e.data_len(), &e.0[8..14]),
        (rsp.data_len.min(pdu::MAX_DATA_LEN), &isid[..])
    );
    assert_eq!(e.flags() & 3, if rsp.transit { rsp.nsg } else { 0 });
    let t = pdu::TextRsp {
        final_: f & 1 != 0,
        continue_: f & 2 != 0,
        lun: b.lun(),
        itt: b.itt(),
        ttt: b.be32(20),
        data_len: dl,
    };
    let e = t.encode();
    assert_eq!(
        (e.opcode(), e.lun(), e.itt(), e.be32(20), e.data_len()),
        (op::TEXT_RSP, t.lun, t.itt, t.ttt, dl)
    );

    // Serial number arithmetic (RFC 1982): never both ways.
    let (sn, exp, max) = (b.be32(24), b.be32(28), b.be32(32));
    assert!(!(pdu::sn_lt(sn, exp) && pdu::sn_lt(exp, sn)));
    if sn != exp && sn.wrapping_sub(exp) != 1 << 31 {
        assert!(pdu::sn_lt(sn, exp) ^ pdu::sn_lt(exp, sn));
    }
    let order = pdu::cmd_sn_order(sn, exp, max);
    assert_eq!(
        order == pdu::CmdSnOrder::Now,
        sn == exp && !pdu::sn_lt(max, sn)
    );
});
