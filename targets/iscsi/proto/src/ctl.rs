// SPDX-License-Identifier: GPL-2.0

//! The control device between iscsi-scstd and the iscsi-scst module,
//! /dev/iscsi-scst-ctl: ioctl numbers and the `#[repr(C)]` blocks they
//! carry.  Both sides compile this file, so they cannot disagree.
//! `no_std`, no allocation.

/// The device's name under /dev.
pub const DEVICE_NAME: &str = "iscsi-scst-ctl";
/// Bumped on any change of the blocks below; the module refuses others.
pub const VERSION: u32 = 1;
/// Room for an iSCSI name (223 bytes) and its NUL.
pub const NAME_LEN: usize = 224;

/// Adds or deletes a target.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TargetReq {
    pub version: u32,
    /// The daemon's number for the target (its order in the file, from 1).
    pub tid: u32,
    /// NUL-terminated.
    pub name: [u8; NAME_LEN],
}

/// Hands a logged-in connection of a new session to the kernel.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnReq {
    pub version: u32,
    pub tid: u32,
    /// The connection's socket, a descriptor of the calling process.
    pub fd: i32,
    pub cid: u16,
    pub tsih: u16,
    pub isid: [u8; 6],
    pub _pad: [u8; 2],
    /// The CmdSN the next command carries.
    pub exp_cmd_sn: u32,
    /// The StatSN of the next response.
    pub stat_sn: u32,
    pub params: crate::params::Negotiated,
    /// NUL-terminated.
    pub initiator: [u8; NAME_LEN],
}

const fn iow(nr: u32, size: usize) -> u32 {
    (1 << 30) | ((size as u32) << 16) | ((b'i' as u32) << 8) | nr
}

pub const ADD_TARGET: u32 = iow(0x20, core::mem::size_of::<TargetReq>());
pub const DEL_TARGET: u32 = iow(0x21, core::mem::size_of::<TargetReq>());
pub const ADD_CONN: u32 = iow(0x22, core::mem::size_of::<ConnReq>());

/// Whether `name` looks like an iSCSI name (RFC 7143 4.2.7: `iqn.`,
/// `eui.` or `naa.` form, at most 223 bytes, printable without spaces).
pub fn valid_name(name: &[u8]) -> bool {
    let prefix = name.get(..4).unwrap_or(&[]);
    name.len() > 4
        && name.len() < NAME_LEN
        && [&b"iqn."[..], b"eui.", b"naa."].iter().any(|p| p.eq_ignore_ascii_case(prefix))
        && name.iter().all(|c| c.is_ascii_graphic())
}

impl TargetReq {
    /// None if `name` is no valid iSCSI name.
    pub fn new(tid: u32, name: &[u8]) -> Option<Self> {
        if !valid_name(name) {
            return None;
        }
        let mut r = TargetReq { version: VERSION, tid, name: [0; NAME_LEN] };
        r.name.get_mut(..name.len())?.copy_from_slice(name);
        Some(r)
    }

    /// The name, if the block carries a valid NUL-terminated one.
    pub fn name(&self) -> Option<&[u8]> {
        let end = self.name.iter().position(|&c| c == 0)?;
        let n = self.name.get(..end)?;
        valid_name(n).then_some(n)
    }

    /// The block from an ioctl's bytes (the kernel side).
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        if b.len() != core::mem::size_of::<Self>() {
            return None;
        }
        let word = |i: usize| b.get(i..i + 4).and_then(|w| <[u8; 4]>::try_from(w).ok()).map(u32::from_ne_bytes);
        let mut r = TargetReq { version: word(0)?, tid: word(4)?, name: [0; NAME_LEN] };
        r.name.copy_from_slice(b.get(8..8 + NAME_LEN)?);
        Some(r)
    }
}

impl ConnReq {
    /// The block from an ioctl's bytes (the kernel side); None if the size
    /// is wrong.
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        if b.len() != core::mem::size_of::<Self>() {
            return None;
        }
        // SAFETY: the length matches, `ConnReq` is plain old data (every
        // bit pattern is a valid value) and the read is unaligned.
        Some(unsafe { core::ptr::read_unaligned(b.as_ptr().cast::<Self>()) })
    }

    /// The initiator's name, if NUL-terminated and printable.
    pub fn initiator(&self) -> Option<&[u8]> {
        let end = self.initiator.iter().position(|&c| c == 0)?;
        let n = self.initiator.get(..end)?;
        (!n.is_empty() && n.iter().all(|c| c.is_ascii_graphic())).then_some(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_blocks() {
        assert_eq!(core::mem::size_of::<TargetReq>(), 232);
        assert_eq!(ADD_TARGET, 0x40e8_6920);
        let r = TargetReq::new(3, b"iqn.2026-11.org.scst:a").unwrap();
        assert_eq!(r.name(), Some(&b"iqn.2026-11.org.scst:a"[..]));
        // SAFETY (test): TargetReq is plain old data.
        let bytes = unsafe { core::slice::from_raw_parts((&r as *const TargetReq).cast::<u8>(), 232) };
        assert_eq!(TargetReq::from_bytes(bytes), Some(r));
        assert_eq!(TargetReq::from_bytes(&bytes[..231]), None);
        let mut bad = r;
        bad.name = [b'x'; NAME_LEN];
        assert_eq!(bad.name(), None);
        for n in [&b"foo"[..], b"iqn.", b"iqn.a b", &[b'i'; 224]] {
            assert!(TargetReq::new(1, n).is_none(), "{:?}", n);
        }
        assert!(valid_name(b"EUI.0123456789ABCDEF") && valid_name(b"naa.52004567BA64678D"));
    }

    #[test]
    fn conn_blocks() {
        let n = crate::params::Negotiated::defaults(&crate::params::DEFAULT_SETTINGS);
        let mut c = ConnReq { version: VERSION, tid: 1, fd: 5, cid: 0, tsih: 3, isid: [1; 6], _pad: [0; 2], exp_cmd_sn: 9, stat_sn: 4, params: n, initiator: [0; NAME_LEN] };
        c.initiator[..5].copy_from_slice(b"iqn.x");
        // SAFETY (test): ConnReq is plain old data.
        let bytes = unsafe { core::slice::from_raw_parts((&c as *const ConnReq).cast::<u8>(), core::mem::size_of::<ConnReq>()) };
        assert_eq!(ConnReq::from_bytes(bytes), Some(c));
        assert_eq!(c.initiator(), Some(&b"iqn.x"[..]));
        assert_eq!(ConnReq::from_bytes(&bytes[1..]), None);
        assert_eq!(core::mem::size_of::<ConnReq>(), 32 + 64 + 224);
    }
}
