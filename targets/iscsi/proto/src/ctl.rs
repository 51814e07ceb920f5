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

/// Names a session (and one of its connections) of a target: to read
/// its parameters, to log it out, or to drop a connection.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionReq {
    pub version: u32,
    pub tid: u32,
    /// IET's session id: the ISID and the TSIH (see [`sid`]).
    pub sid: u64,
    /// The connection (DEL_CONN).
    pub cid: u32,
    /// Seconds the initiator gets to log out before the target drops the
    /// connection (DEL_SESSION).
    pub timeout: u32,
    /// Filled in by GET_SESSION: what the session runs with.
    pub params: crate::params::Negotiated,
    /// Filled in by GET_SESSION, NUL-terminated.
    pub initiator: [u8; NAME_LEN],
    /// Filled in by GET_SESSION: the initiator's address, NUL-terminated.
    pub peer: [u8; 64],
}

/// The session id IET shows (and iscsi-scst-adm takes): the ISID in the
/// high six bytes, the TSIH in the low two.
pub fn sid(isid: &[u8; 6], tsih: u16) -> u64 {
    let t = tsih.to_be_bytes();
    u64::from_be_bytes([
        isid[0], isid[1], isid[2], isid[3], isid[4], isid[5], t[0], t[1],
    ])
}

const fn ioc(dir: u32, nr: u32, size: usize) -> u32 {
    (dir << 30) | ((size as u32) << 16) | ((b'i' as u32) << 8) | nr
}

const fn iow(nr: u32, size: usize) -> u32 {
    ioc(1, nr, size)
}

pub const ADD_TARGET: u32 = iow(0x20, core::mem::size_of::<TargetReq>());
/// Deletes a target; its sessions are asked to log out first (an Async
/// Message), and dropped if they have not within a few seconds.
pub const DEL_TARGET: u32 = iow(0x21, core::mem::size_of::<TargetReq>());
pub const ADD_CONN: u32 = iow(0x22, core::mem::size_of::<ConnReq>());
/// Reads a live session's parameters, initiator and address.
pub const GET_SESSION: u32 = ioc(3, 0x23, core::mem::size_of::<SessionReq>());
/// Asks a session to log out (Async Message, event 1) and waits up to
/// `timeout` seconds for it; then drops its connection.
pub const DEL_SESSION: u32 = iow(0x24, core::mem::size_of::<SessionReq>());
/// Drops a connection at once (the initiator recovers the session by
/// logging in again).
pub const DEL_CONN: u32 = iow(0x25, core::mem::size_of::<SessionReq>());

/// Whether `name` looks like an iSCSI name (RFC 7143 4.2.7: `iqn.`,
/// `eui.` or `naa.` form, at most 223 bytes, printable without spaces).
pub fn valid_name(name: &[u8]) -> bool {
    let prefix = name.get(..4).unwrap_or(&[]);
    name.len() > 4
        && name.len() < NAME_LEN
        && [&b"iqn."[..], b"eui.", b"naa."]
            .iter()
            .any(|p| p.eq_ignore_ascii_case(prefix))
        && name.iter().all(|c| c.is_ascii_graphic())
}

impl TargetReq {
    /// None if `name` is no valid iSCSI name.
    pub fn new(tid: u32, name: &[u8]) -> Option<Self> {
        if !valid_name(name) {
            return None;
        }
        let mut r = TargetReq {
            version: VERSION,
            tid,
            name: [0; NAME_LEN],
        };
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
        let word = |i: usize| {
            b.get(i..i + 4)
                .and_then(|w| <[u8; 4]>::try_from(w).ok())
                .map(u32::from_ne_bytes)
        };
        let mut r = TargetReq {
            version: word(0)?,
            tid: word(4)?,
            name: [0; NAME_LEN],
        };
        r.name.copy_from_slice(b.get(8..8 + NAME_LEN)?);
        Some(r)
    }
}

/// The CmdSN window a normal session starts with: QueuedCommands
/// (iscsi-scstd's last Login Response announces it, iscsi-scst enforces
/// it from the first command on).
pub fn initial_window(n: &crate::params::Negotiated) -> u32 {
    n.queued_commands.max(1)
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

impl SessionReq {
    pub fn new(tid: u32, sid: u64, cid: u32, timeout: u32) -> Self {
        SessionReq {
            version: VERSION,
            tid,
            sid,
            cid,
            timeout,
            params: crate::params::Negotiated::defaults(&crate::params::DEFAULT_SETTINGS),
            initiator: [0; NAME_LEN],
            peer: [0; 64],
        }
    }

    /// The block from an ioctl's bytes (the kernel side); None if the size
    /// is wrong.
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        if b.len() != core::mem::size_of::<Self>() {
            return None;
        }
        // SAFETY: the length matches, `SessionReq` is plain old data
        // (every bit pattern is a valid value) and the read is unaligned.
        Some(unsafe { core::ptr::read_unaligned(b.as_ptr().cast::<Self>()) })
    }

    /// Writes the block back into an ioctl's bytes (GET_SESSION's answer).
    pub fn to_bytes(&self, b: &mut [u8]) -> Option<()> {
        if b.len() != core::mem::size_of::<Self>() {
            return None;
        }
        // SAFETY: the length matches and the write is unaligned.
        unsafe { core::ptr::write_unaligned(b.as_mut_ptr().cast::<Self>(), *self) };
        Some(())
    }
}

/// The text in a NUL-padded field, up to its first NUL.
pub fn field_text(f: &[u8]) -> &[u8] {
    let end = f.iter().position(|&c| c == 0).unwrap_or(f.len());
    f.get(..end).unwrap_or(&[])
}

/// Copies `text` into a NUL-padded field, cut to leave room for a NUL.
pub fn set_field(f: &mut [u8], text: &[u8]) {
    f.fill(0);
    let n = text.len().min(f.len().saturating_sub(1));
    if let (Some(d), Some(s)) = (f.get_mut(..n), text.get(..n)) {
        d.copy_from_slice(s);
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
        let bytes =
            unsafe { core::slice::from_raw_parts((&r as *const TargetReq).cast::<u8>(), 232) };
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
        let mut c = ConnReq {
            version: VERSION,
            tid: 1,
            fd: 5,
            cid: 0,
            tsih: 3,
            isid: [1; 6],
            _pad: [0; 2],
            exp_cmd_sn: 9,
            stat_sn: 4,
            params: n,
            initiator: [0; NAME_LEN],
        };
        c.initiator[..5].copy_from_slice(b"iqn.x");
        // SAFETY (test): ConnReq is plain old data.
        let bytes = unsafe {
            core::slice::from_raw_parts(
                (&c as *const ConnReq).cast::<u8>(),
                core::mem::size_of::<ConnReq>(),
            )
        };
        assert_eq!(ConnReq::from_bytes(bytes), Some(c));
        assert_eq!(c.initiator(), Some(&b"iqn.x"[..]));
        assert_eq!(ConnReq::from_bytes(&bytes[1..]), None);
        assert_eq!(core::mem::size_of::<ConnReq>(), 32 + 64 + 224);
    }

    #[test]
    fn session_blocks() {
        assert_eq!(core::mem::size_of::<SessionReq>(), 24 + 64 + 224 + 64);
        assert_eq!(GET_SESSION >> 30, 3);
        assert_eq!(sid(&[0x40, 0, 0x01, 0x37, 0, 0], 5), 0x4000_0137_0000_0005);
        let mut r = SessionReq::new(2, 77, 1, 5);
        set_field(&mut r.initiator, b"iqn.x");
        set_field(&mut r.peer, &[b'p'; 100]);
        assert_eq!(field_text(&r.peer).len(), 63);
        let mut bytes = [0u8; 376];
        r.to_bytes(&mut bytes).unwrap();
        assert_eq!(SessionReq::from_bytes(&bytes), Some(r));
        assert_eq!(
            field_text(&SessionReq::from_bytes(&bytes).unwrap().initiator),
            b"iqn.x"
        );
        assert!(
            SessionReq::from_bytes(&bytes[1..]).is_none() && r.to_bytes(&mut bytes[1..]).is_none()
        );
    }
}
