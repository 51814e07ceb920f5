//! iSNS (RFC 4171) responses as iscsi-scstd reads them from the server:
//! the header's length, `isns::response` and its attribute walk.  Also
//! the messages we build, from names the input gives, read back as a
//! server's response would be.
#![no_main]
use iscsi_proto::isns::{self, func, tag, Node, Portal};
use libfuzzer_sys::fuzz_target;

fn word(m: &[u8], i: usize) -> u16 {
    u16::from_be_bytes([
        m.get(i).copied().unwrap_or(0),
        m.get(i + 1).copied().unwrap_or(0),
    ])
}

/// A request `m` as its response: the response bit and a zero status.
fn as_response(m: &[u8]) -> Vec<u8> {
    let mut r = m[..12].to_vec();
    r[2] |= 0x80;
    r.extend_from_slice(&[0; 4]);
    r.extend_from_slice(&m[12..]);
    r
}

fuzz_target!(|data: &[u8]| {
    // What the daemon reads: the header, then the payload it announces.
    if let Some(h) = data.first_chunk::<12>() {
        assert_eq!(isns::payload_len(h), usize::from(word(data, 4)));
    }
    // The function and transaction are taken from the message itself, so
    // that every input is a candidate answer.
    let (function, xid) = (word(data, 2) & !func::RESPONSE, word(data, 8));
    if let Ok(r) = isns::response(data, function, xid) {
        let attrs: Vec<_> = r
            .iter()
            .map(|a| a.expect("response() checked every attribute"))
            .collect();
        let bytes: usize = attrs.iter().map(|(_, v)| 8 + v.len()).sum();
        assert_eq!(bytes, data.len() - 16);
        if let Some(p) = r.registration_period() {
            assert!(attrs
                .iter()
                .any(|(t, v)| *t == tag::REGISTRATION_PERIOD && v == &p.to_be_bytes()));
        }
        let _ = r.lists_name("iqn.2026-11.org.scst:disk");
    }
    for f in [func::DEV_ATTR_REG, func::DEV_ATTR_QRY, func::DEV_DEREG] {
        let _ = isns::response(data, f, xid).map(|r| r.iter().count());
    }

    // Our own messages, for names without NULs.
    let text = String::from_utf8_lossy(data).replace('\0', "");
    let mut names = text.splitn(3, '\n');
    let (a, b, c) = (
        names.next().unwrap_or(""),
        names.next().unwrap_or(""),
        names.next().unwrap_or(""),
    );
    let portal = Portal {
        ip: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1],
        port: word(data, 0),
    };
    let nodes = [
        Node {
            name: a,
            alias: Some(c),
        },
        Node {
            name: b,
            alias: None,
        },
    ];
    let reg = isns::register(xid, "iscsi-scstd:host", portal, &nodes).expect("nodes given");
    let reg = as_response(&reg);
    let r = isns::response(&reg, func::DEV_ATTR_REG, xid).expect("our registration reads back");
    let tags: Vec<u32> = r.iter().map(|a| a.unwrap().0).collect();
    assert_eq!(
        tags,
        [32, 1, 0, 1, 2, 16, 17, 32, 33, 34, 32, 33, 48, 49, 50, 51, 48, 49, 50, 51]
    );
    assert!(r.lists_name(a) && r.lists_name(b));
    let q = as_response(&isns::query_visible(xid, a, b));
    let r = isns::response(&q, func::DEV_ATTR_QRY, xid).expect("our query reads back");
    assert_eq!(r.iter().count(), 4);
    let d = as_response(&isns::deregister(xid, c, a));
    assert!(isns::response(&d, func::DEV_DEREG, xid).is_ok());
});
