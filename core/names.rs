// SPDX-License-Identifier: GPL-2.0

//! Rules for the names target drivers and device handlers register under,
//! and the names of SCSI peripheral device types.  `no_std`, host-tested.
//!
//! A registered name becomes a directory in /proc/scsi_tgt, so it must be a
//! valid, unambiguous file name there and must not shadow a core entry.

use core::fmt;

/// Longest driver or handler name, in bytes.
pub const NAME_MAX: usize = 63;

/// Longest device or group name, in bytes: room for "Default_" and an
/// iSCSI name (at most 223 bytes).
pub const OBJECT_NAME_MAX: usize = 255;

/// Entries of /proc/scsi_tgt that belong to the core.
pub const RESERVED: &[&str] = &[
    "scsi_tgt",
    "sessions",
    "sgv",
    "threads",
    "version",
    "trace_level",
    "help",
    "latency",
    "groups",
];

/// Why a name was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum NameError {
    /// The name has no bytes.
    Empty,
    /// The name is longer than [`NAME_MAX`].
    TooLong(usize),
    /// The name holds a byte that is not printable ASCII, a space or '/'.
    BadByte(u8),
    /// The name is "." or "..", or a core entry of /proc/scsi_tgt.
    Reserved,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "empty name"),
            Self::TooLong(n) => write!(f, "name of {n} bytes is too long"),
            Self::BadByte(b) => write!(f, "byte 0x{b:02x} not allowed in a name"),
            Self::Reserved => write!(f, "name is reserved"),
        }
    }
}

/// Checks a driver or handler name (without its NUL): an object name that
/// also does not shadow a core entry of /proc/scsi_tgt.
pub fn check_name(name: &[u8]) -> Result<&str, NameError> {
    if name.len() > NAME_MAX {
        return Err(NameError::TooLong(name.len()));
    }
    let s = check_object_name(name)?;
    if RESERVED.contains(&s) {
        return Err(NameError::Reserved);
    }
    Ok(s)
}

/// Checks the name of a device or a security group: it becomes a /proc
/// file or directory name, so printable ASCII without '/', not "." or "..".
pub fn check_object_name(name: &[u8]) -> Result<&str, NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.len() > OBJECT_NAME_MAX {
        return Err(NameError::TooLong(name.len()));
    }
    if let Some(&b) = name.iter().find(|&&b| !b.is_ascii_graphic() || b == b'/') {
        return Err(NameError::BadByte(b));
    }
    // Only ASCII is left, so this cannot fail.
    let s = core::str::from_utf8(name).map_err(|_| NameError::BadByte(0))?;
    if s == "." || s == ".." {
        return Err(NameError::Reserved);
    }
    Ok(s)
}

/// Longest target or initiator port name, in bytes (iSCSI names are at
/// most 223).
pub const PORT_NAME_MAX: usize = 255;

/// Checks a target or initiator port name (an initiator name as listed in
/// a group's `names` file, or a target name): 1..=255 printable ASCII
/// bytes.  Port names are compared byte for byte.
pub fn check_port_name(name: &[u8]) -> Result<&str, NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.len() > PORT_NAME_MAX {
        return Err(NameError::TooLong(name.len()));
    }
    if let Some(&b) = name.iter().find(|&&b| !b.is_ascii_graphic()) {
        return Err(NameError::BadByte(b));
    }
    core::str::from_utf8(name).map_err(|_| NameError::BadByte(0))
}

/// SPC peripheral device type names, indexed by type code.
const PERIPHERAL_TYPES: [&str; 0x13] = [
    "direct-access device (e.g., magnetic disk)",
    "sequential-access device (e.g., magnetic tape)",
    "printer device",
    "processor device",
    "write-once device (e.g., some optical disks)",
    "CD/DVD device",
    "scanner device (obsolete)",
    "optical memory device (e.g., some optical disks)",
    "medium changer device (e.g., jukeboxes)",
    "communications device (obsolete)",
    "obsolete (graphic arts pre-press device)",
    "obsolete (graphic arts pre-press device)",
    "storage array controller device (e.g., RAID)",
    "enclosure services device",
    "simplified direct-access device (e.g., magnetic disk)",
    "optical card reader/writer device",
    "bridge controller commands",
    "object-based storage device",
    "automation/drive interface",
];

/// The name of peripheral device type `t`, if `t` is a valid type code.
pub fn peripheral_type_name(t: i32) -> Option<&'static str> {
    match t {
        0..=0x12 => PERIPHERAL_TYPES.get(t as usize).copied(),
        0x13..=0x1d => Some("reserved"),
        0x1e => Some("well known logical unit"),
        0x1f => Some("unknown or no device type"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_names() {
        assert_eq!(check_name(b"dev_disk"), Ok("dev_disk"));
        assert_eq!(check_name(b"iscsi"), Ok("iscsi"));
        assert_eq!(check_name(b"vdisk.2-x"), Ok("vdisk.2-x"));
        assert!(check_name(&[b'a'; NAME_MAX]).is_ok());
    }

    #[test]
    fn bad_names() {
        assert_eq!(check_name(b""), Err(NameError::Empty));
        assert_eq!(
            check_name(&[b'a'; NAME_MAX + 1]),
            Err(NameError::TooLong(NAME_MAX + 1))
        );
        assert_eq!(check_name(b"a/b"), Err(NameError::BadByte(b'/')));
        assert_eq!(check_name(b"a b"), Err(NameError::BadByte(b' ')));
        assert_eq!(check_name(b"a\nb"), Err(NameError::BadByte(b'\n')));
        assert_eq!(
            check_name("d\u{e9}v".as_bytes()),
            Err(NameError::BadByte(0xc3))
        );
        assert_eq!(check_name(b".."), Err(NameError::Reserved));
        assert_eq!(check_name(b"version"), Err(NameError::Reserved));
        assert_eq!(check_name(b"groups"), Err(NameError::Reserved));
    }

    #[test]
    fn object_and_port_names() {
        assert!(check_object_name(&[b'a'; OBJECT_NAME_MAX]).is_ok());
        assert_eq!(
            check_object_name(&[b'a'; OBJECT_NAME_MAX + 1]),
            Err(NameError::TooLong(256))
        );
        assert_eq!(check_object_name(b"version"), Ok("version"));
        assert_eq!(check_object_name(b"."), Err(NameError::Reserved));
        assert_eq!(check_object_name(b"disk/1"), Err(NameError::BadByte(b'/')));
        assert_eq!(
            check_port_name(b"iqn.1994-05.com.redhat:abc"),
            Ok("iqn.1994-05.com.redhat:abc")
        );
        assert_eq!(
            check_port_name(b"21:00:00:e0:8b:05:05:04"),
            Ok("21:00:00:e0:8b:05:05:04")
        );
        assert_eq!(check_port_name(b"a/b"), Ok("a/b"));
        assert_eq!(check_port_name(b"a b"), Err(NameError::BadByte(b' ')));
        assert_eq!(check_port_name(&[b'x'; 256]), Err(NameError::TooLong(256)));
        assert_eq!(check_port_name(b""), Err(NameError::Empty));
    }

    #[test]
    fn peripheral_types() {
        assert_eq!(
            peripheral_type_name(0),
            Some("direct-access device (e.g., magnetic disk)")
        );
        assert_eq!(
            peripheral_type_name(8),
            Some("medium changer device (e.g., jukeboxes)")
        );
        assert_eq!(
            peripheral_type_name(0x0c),
            Some("storage array controller device (e.g., RAID)")
        );
        assert_eq!(
            peripheral_type_name(0x1f),
            Some("unknown or no device type")
        );
        assert_eq!(peripheral_type_name(0x20), None);
        assert_eq!(peripheral_type_name(-1), None);
    }
}
