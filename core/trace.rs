// SPDX-License-Identifier: GPL-2.0

//! Trace (logging) levels: the named bits of a `trace_level` file and the
//! commands that change them.  `no_std`, host-tested.
//!
//! The names are SCST's, so scripts written for SCST keep working.

use core::fmt;

/// Every level, by name.
pub const LEVELS: &[(&str, u32)] = &[
    ("out_of_mem", 1 << 0),
    ("minor", 1 << 1),
    ("sg", 1 << 2),
    ("mem", 1 << 3),
    ("buff", 1 << 4),
    ("entryexit", 1 << 5),
    ("pid", 1 << 6),
    ("line", 1 << 7),
    ("function", 1 << 8),
    ("debug", 1 << 9),
    ("special", 1 << 10),
    ("scsi", 1 << 11),
    ("mgmt", 1 << 12),
    ("mgmt_minor", 1 << 13),
    ("mgmt_dbg", 1 << 14),
    ("scsi_serializing", 1 << 15),
    ("retry", 1 << 16),
    ("recv_bot", 1 << 17),
    ("send_bot", 1 << 18),
    ("recv_top", 1 << 19),
    ("send_top", 1 << 20),
];

/// Every defined bit.
pub const ALL: u32 = (1 << 21) - 1;

/// What a module starts with: failures and management events, no
/// per-command chatter.
pub const DEFAULT: u32 = bit("out_of_mem") | bit("minor") | bit("special") | bit("mgmt") | bit("mgmt_minor");

/// Management events: groups, sessions, registrations.
pub const MGMT: u32 = bit("mgmt");
/// Minor events worth a line (e.g. TASK SET FULL answers).
pub const MINOR: u32 = bit("minor");
/// Task management details.
pub const MGMT_MINOR: u32 = bit("mgmt_minor");
/// Every SCSI command and its result.
pub const SCSI: u32 = bit("scsi");
/// Memory shortages (BUSY answers).
pub const OUT_OF_MEM: u32 = bit("out_of_mem");

/// The bit of level `name`, or 0 if there is none.
pub const fn bit(name: &str) -> u32 {
    let mut i = 0;
    while i < LEVELS.len() {
        if const_eq(LEVELS[i].0.as_bytes(), name.as_bytes()) {
            return LEVELS[i].1;
        }
        i += 1;
    }
    0
}

const fn const_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The levels of `mask` as `a | b | c`, or `none`: what reading a
/// `trace_level` file shows.
pub struct Names(pub u32);

impl fmt::Display for Names {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (name, _) in LEVELS.iter().filter(|(_, b)| self.0 & b != 0) {
            if !first {
                f.write_str(" | ")?;
            }
            f.write_str(name)?;
            first = false;
        }
        if first {
            f.write_str("none")?;
        }
        Ok(())
    }
}

/// Help text for `trace_level` files.
pub const USAGE: &str = "Usage: echo \"all|none|default\" >trace_level\n       \
echo \"value DEC|0xHEX\" >trace_level\n       \
echo \"add|del LEVEL\" >trace_level\n\
where LEVEL is one of: out_of_mem, minor, sg, mem, buff, entryexit, pid, line, function, \
debug, special, scsi, mgmt, mgmt_minor, mgmt_dbg, scsi_serializing, retry, recv_bot, \
send_bot, recv_top, send_top\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_are_distinct_and_covered() {
        let mut seen = 0;
        for (name, b) in LEVELS {
            assert_eq!(b.count_ones(), 1, "{name}");
            assert_eq!(seen & b, 0, "{name} reuses a bit");
            seen |= b;
            assert_eq!(bit(name), *b);
            assert!(USAGE.contains(name), "{name} missing from USAGE");
        }
        assert_eq!(seen, ALL);
        assert_eq!(bit("nope"), 0);
    }

    #[test]
    fn abi_default_is_ours() {
        assert_eq!(crate::abi::SCST_TRACE_DEFAULT, DEFAULT);
    }

    #[test]
    fn names() {
        extern crate std;
        use std::string::ToString;
        assert_eq!(Names(0).to_string(), "none");
        assert_eq!(Names(bit("mgmt") | bit("out_of_mem")).to_string(), "out_of_mem | mgmt");
        assert_eq!(Names(DEFAULT).to_string(), "out_of_mem | minor | special | mgmt | mgmt_minor");
    }
}
