// SPDX-License-Identifier: GPL-2.0

//! iSNS (RFC 4171) messages iscsi-scstd sends: registering its targets
//! and portal (DevAttrReg, replacing the entity's earlier registration),
//! deregistering them (DevDereg), and asking whether an initiator may
//! see a target (DevAttrQry, for iSNSAccessControl); and the responses.
//! `no_std` with `alloc`.

use alloc::vec::Vec;

/// The iSNS server's well-known port.
pub const PORT: u16 = 3205;
const VERSION: u16 = 1;
const HEADER: usize = 12;

/// Function IDs (RFC 4171 6.1); a response has the request's | 0x8000.
pub mod func {
    pub const DEV_ATTR_REG: u16 = 0x0001;
    pub const DEV_ATTR_QRY: u16 = 0x0002;
    pub const DEV_DEREG: u16 = 0x0004;
    pub const RESPONSE: u16 = 0x8000;
}

/// Attribute tags (RFC 4171 6.1).
pub mod tag {
    pub const DELIMITER: u32 = 0;
    pub const ENTITY_ID: u32 = 1;
    pub const ENTITY_PROTOCOL: u32 = 2;
    pub const REGISTRATION_PERIOD: u32 = 6;
    pub const PORTAL_IP: u32 = 16;
    pub const PORTAL_PORT: u32 = 17;
    pub const ISCSI_NAME: u32 = 32;
    pub const ISCSI_NODE_TYPE: u32 = 33;
    pub const ISCSI_ALIAS: u32 = 34;
    pub const PG_ISCSI_NAME: u32 = 48;
    pub const PG_PORTAL_IP: u32 = 49;
    pub const PG_PORTAL_PORT: u32 = 50;
    pub const PG_TAG: u32 = 51;
}

/// Header flags (RFC 4171 5.1.4).
mod flag {
    pub const CLIENT: u16 = 0x8000;
    pub const REPLACE: u16 = 0x1000;
    pub const LAST: u16 = 0x0800;
    pub const FIRST: u16 = 0x0400;
}

const ENTITY_PROTOCOL_ISCSI: u32 = 2;
const NODE_TYPE_TARGET: u32 = 1;

/// A message being built: its attributes (tag, length, value padded to 4
/// bytes).
struct Builder {
    buf: Vec<u8>,
}

impl Builder {
    fn new() -> Self {
        Builder {
            buf: alloc::vec![0; HEADER],
        }
    }

    fn attr(&mut self, tag: u32, value: &[u8]) -> &mut Self {
        let padded = (value.len() + 3) & !3;
        self.buf.extend_from_slice(&tag.to_be_bytes());
        self.buf.extend_from_slice(&(padded as u32).to_be_bytes());
        self.buf.extend_from_slice(value);
        self.buf.resize(self.buf.len() + padded - value.len(), 0);
        self
    }

    /// A string: NUL-terminated, then padded.
    fn string(&mut self, tag: u32, s: &str) -> &mut Self {
        let mut v = Vec::with_capacity(s.len() + 1);
        v.extend_from_slice(s.as_bytes());
        v.push(0);
        self.attr(tag, &v)
    }

    fn u32(&mut self, tag: u32, n: u32) -> &mut Self {
        self.attr(tag, &n.to_be_bytes())
    }

    fn finish(&mut self, function: u16, xid: u16, flags: u16) -> Vec<u8> {
        let len = (self.buf.len() - HEADER) as u16;
        let mut h = [0u8; HEADER];
        for (i, v) in [
            VERSION,
            function,
            len,
            flag::CLIENT | flag::FIRST | flag::LAST | flags,
            xid,
            0,
        ]
        .iter()
        .enumerate()
        {
            h[i * 2..i * 2 + 2].copy_from_slice(&v.to_be_bytes());
        }
        self.buf[..HEADER].copy_from_slice(&h);
        core::mem::take(&mut self.buf)
    }
}

/// A target to register.
pub struct Node<'a> {
    pub name: &'a str,
    pub alias: Option<&'a str>,
}

/// The portal the targets are reached on: an IPv6 (or IPv4-mapped)
/// address and a TCP port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Portal {
    pub ip: [u8; 16],
    pub port: u16,
}

/// DevAttrReg of entity `entity` with `nodes` (at least one) at `portal`,
/// replacing what the entity had registered: the same message adds and
/// removes targets.
pub fn register(xid: u16, entity: &str, portal: Portal, nodes: &[Node<'_>]) -> Option<Vec<u8>> {
    let first = nodes.first()?;
    let mut b = Builder::new();
    b.string(tag::ISCSI_NAME, first.name)
        .string(tag::ENTITY_ID, entity)
        .attr(tag::DELIMITER, &[]);
    b.string(tag::ENTITY_ID, entity)
        .u32(tag::ENTITY_PROTOCOL, ENTITY_PROTOCOL_ISCSI);
    b.attr(tag::PORTAL_IP, &portal.ip)
        .u32(tag::PORTAL_PORT, u32::from(portal.port));
    for n in nodes {
        b.string(tag::ISCSI_NAME, n.name)
            .u32(tag::ISCSI_NODE_TYPE, NODE_TYPE_TARGET);
        if let Some(a) = n.alias {
            b.string(tag::ISCSI_ALIAS, a);
        }
    }
    for n in nodes {
        b.string(tag::PG_ISCSI_NAME, n.name)
            .attr(tag::PG_PORTAL_IP, &portal.ip);
        b.u32(tag::PG_PORTAL_PORT, u32::from(portal.port))
            .u32(tag::PG_TAG, 1);
    }
    Some(b.finish(func::DEV_ATTR_REG, xid, flag::REPLACE))
}

/// DevDereg of the whole entity, sent as node `source`.
pub fn deregister(xid: u16, entity: &str, source: &str) -> Vec<u8> {
    let mut b = Builder::new();
    b.string(tag::ISCSI_NAME, source)
        .attr(tag::DELIMITER, &[])
        .string(tag::ENTITY_ID, entity);
    b.finish(func::DEV_DEREG, xid, 0)
}

/// DevAttrQry from `target` for node `initiator`'s name: the answer
/// carries it only if the two share a discovery domain.
pub fn query_visible(xid: u16, target: &str, initiator: &str) -> Vec<u8> {
    let mut b = Builder::new();
    b.string(tag::ISCSI_NAME, target)
        .string(tag::ISCSI_NAME, initiator)
        .attr(tag::DELIMITER, &[]);
    b.attr(tag::ISCSI_NAME, &[]);
    b.finish(func::DEV_ATTR_QRY, xid, 0)
}

/// A response's length from its header: the bytes to read after it.
pub fn payload_len(header: &[u8; HEADER]) -> usize {
    usize::from(u16::from_be_bytes([header[4], header[5]]))
}

/// Why a response is not usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// Not a response to the request (version, function or transaction).
    Mismatch,
    /// Attributes run past the end.
    Truncated,
    /// The server's error code (RFC 4171 6.4).
    Status(u32),
}

/// A parsed response: the attributes after the status.
pub struct Response<'a> {
    attrs: &'a [u8],
}

/// Checks `msg` (header and payload) as the response to `function`
/// transaction `xid`, with a status of success.
pub fn response(msg: &[u8], function: u16, xid: u16) -> Result<Response<'_>, Error> {
    let word = |i: usize| msg.get(i..i + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    if word(0) != Some(VERSION)
        || word(2) != Some(function | func::RESPONSE)
        || word(8) != Some(xid)
    {
        return Err(Error::Mismatch);
    }
    let status = msg.get(HEADER..HEADER + 4).ok_or(Error::Truncated)?;
    match u32::from_be_bytes([status[0], status[1], status[2], status[3]]) {
        0 => {}
        s => return Err(Error::Status(s)),
    }
    let attrs = msg.get(HEADER + 4..).unwrap_or(&[]);
    let r = Response { attrs };
    r.iter().try_for_each(|a| a.map(|_| ()))?;
    Ok(r)
}

impl<'a> Response<'a> {
    /// The attributes, in order.
    pub fn iter(&self) -> impl Iterator<Item = Result<(u32, &'a [u8]), Error>> + 'a {
        let mut rest = self.attrs;
        core::iter::from_fn(move || {
            if rest.is_empty() {
                return None;
            }
            let item = (|| {
                let tag = u32::from_be_bytes(rest.get(0..4)?.try_into().ok()?);
                let len = u32::from_be_bytes(rest.get(4..8)?.try_into().ok()?) as usize;
                let value = rest.get(8..8usize.checked_add(len)?)?;
                rest = &rest[8 + len..];
                Some((tag, value))
            })();
            if item.is_none() {
                rest = &[];
            }
            Some(item.ok_or(Error::Truncated))
        })
    }

    /// The registration period the server granted, in seconds.
    pub fn registration_period(&self) -> Option<u32> {
        let (_, v) = self
            .iter()
            .filter_map(Result::ok)
            .find(|(t, v)| *t == tag::REGISTRATION_PERIOD && v.len() == 4)?;
        Some(u32::from_be_bytes(v.try_into().ok()?))
    }

    /// Whether an iSCSI Name attribute after the delimiter (an operating
    /// attribute) is `name`.
    pub fn lists_name(&self, name: &str) -> bool {
        let mut after = false;
        for (t, v) in self.iter().filter_map(Result::ok) {
            if t == tag::DELIMITER {
                after = true;
            } else if after && t == tag::ISCSI_NAME {
                let end = v.iter().position(|&c| c == 0).unwrap_or(v.len());
                if v.get(..end) == Some(name.as_bytes()) {
                    return true;
                }
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(msg: &[u8]) -> Vec<(u32, Vec<u8>)> {
        Response {
            attrs: &msg[HEADER..],
        }
        .iter()
        .map(|a| a.map(|(t, v)| (t, v.to_vec())))
        .collect::<Result<_, _>>()
        .unwrap()
    }

    #[test]
    fn builds_a_registration() {
        let p = Portal {
            ip: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1],
            port: 3260,
        };
        let nodes = [
            Node {
                name: "iqn.2026-12.org.scst:a",
                alias: Some("disk a"),
            },
            Node {
                name: "iqn.2026-12.org.scst:b",
                alias: None,
            },
        ];
        let m = register(7, "iscsi-scstd:host", p, &nodes).unwrap();
        assert_eq!(
            &m[..12],
            &[
                0,
                1,
                0,
                1,
                ((m.len() - 12) >> 8) as u8,
                (m.len() - 12) as u8,
                0x9c,
                0x00,
                0,
                7,
                0,
                0
            ]
        );
        let a = attrs(&m);
        let tags: Vec<u32> = a.iter().map(|(t, _)| *t).collect();
        assert_eq!(
            tags,
            [32, 1, 0, 1, 2, 16, 17, 32, 33, 34, 32, 33, 48, 49, 50, 51, 48, 49, 50, 51]
        );
        assert_eq!(a[0].1, b"iqn.2026-12.org.scst:a\0\0");
        assert_eq!(a[6].1, 3260u32.to_be_bytes());
        assert_eq!(a[9].1, b"disk a\0\0");
        assert!(register(1, "e", p, &[]).is_none());
        assert_eq!(
            attrs(&deregister(2, "e", "iqn.x"))
                .iter()
                .map(|(t, _)| *t)
                .collect::<Vec<_>>(),
            [32, 0, 1]
        );
    }

    fn reply(function: u16, xid: u16, status: u32, body: &[u8]) -> Vec<u8> {
        let mut m = Vec::new();
        for v in [
            1,
            function | 0x8000,
            (4 + body.len()) as u16,
            0x4c00,
            xid,
            0,
        ] {
            m.extend_from_slice(&v.to_be_bytes());
        }
        m.extend_from_slice(&status.to_be_bytes());
        m.extend_from_slice(body);
        m
    }

    #[test]
    fn reads_responses() {
        let mut body = Builder::new();
        body.string(tag::ISCSI_NAME, "iqn.i")
            .attr(tag::DELIMITER, &[])
            .u32(tag::REGISTRATION_PERIOD, 900)
            .string(tag::ISCSI_NAME, "iqn.i");
        let b = &body.buf[HEADER..];
        let m = reply(func::DEV_ATTR_REG, 5, 0, b);
        let r = response(&m, func::DEV_ATTR_REG, 5).unwrap();
        assert_eq!(r.registration_period(), Some(900));
        assert!(r.lists_name("iqn.i") && !r.lists_name("iqn.j"));
        assert_eq!(
            response(&m, func::DEV_ATTR_REG, 6).err(),
            Some(Error::Mismatch)
        );
        assert_eq!(
            response(&m, func::DEV_ATTR_QRY, 5).err(),
            Some(Error::Mismatch)
        );
        assert_eq!(
            response(&reply(1, 5, 8, &[]), 1, 5).err(),
            Some(Error::Status(8))
        );
        assert_eq!(
            response(&m[..m.len() - 2], func::DEV_ATTR_REG, 5).err(),
            Some(Error::Truncated)
        );
        assert_eq!(
            response(&m[..14], func::DEV_ATTR_REG, 5).err(),
            Some(Error::Truncated)
        );
        let q = query_visible(3, "iqn.t", "iqn.i");
        assert_eq!(
            attrs(&q).iter().map(|(t, _)| *t).collect::<Vec<_>>(),
            [32, 32, 0, 32]
        );
        let mut h = [0u8; 12];
        h.copy_from_slice(&m[..12]);
        assert_eq!(payload_len(&h), m.len() - 12);
    }
}
