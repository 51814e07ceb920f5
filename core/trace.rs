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
pub const DEFAULT: u32 =
    bit("out_of_mem") | bit("minor") | bit("special") | bit("mgmt") | bit("mgmt_minor");

/// What CONFIG_SCST_DEBUG adds to the default, as SCST's debug builds do:
/// the pid, function and line of every message, task management details
/// and retries.
pub const DEBUG_EXTRA: u32 =
    bit("pid") | bit("line") | bit("function") | bit("mgmt_dbg") | bit("retry");

/// The default of a build: `DEFAULT`, plus `DEBUG_EXTRA` if `debug`.
pub const fn build_default(debug: bool) -> u32 {
    if debug {
        DEFAULT | DEBUG_EXTRA
    } else {
        DEFAULT
    }
}

/// Management events: groups, sessions, registrations.
pub const MGMT: u32 = bit("mgmt");
/// Minor events worth a line (e.g. TASK SET FULL answers).
pub const MINOR: u32 = bit("minor");
/// Task management details.
pub const MGMT_MINOR: u32 = bit("mgmt_minor");
/// Task management, command by command.
pub const MGMT_DBG: u32 = bit("mgmt_dbg");
/// Debug-build internals (command stages); compiled only with
/// CONFIG_SCST_DEBUG.
pub const DEBUG: u32 = bit("debug");
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

/// Where a message comes from, printed before it as the `pid`, `line`
/// and `function` levels of `mask` ask:
/// `[pid] function:line: `, `[pid] file:line: ` (no `function`) or
/// `function: ` (no `line`).
pub struct Prefix<'a> {
    pub mask: u32,
    pub pid: i32,
    pub file: &'a str,
    pub line: u32,
    /// The `type_name` of a function item declared inside the caller:
    /// `crate::module::caller::item`.
    pub item: &'a str,
}

impl Prefix<'_> {
    /// `module::caller` out of `item`: the crate and the item's own name
    /// dropped.
    fn function(&self) -> &str {
        let f = self.item.rsplit_once("::").map_or(self.item, |(f, _)| f);
        f.split_once("::").map_or(f, |(_, rest)| rest)
    }
}

impl fmt::Display for Prefix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mask & bit("pid") != 0 {
            write!(f, "[{}] ", self.pid)?;
        }
        match (
            self.mask & bit("function") != 0,
            self.mask & bit("line") != 0,
        ) {
            (true, true) => write!(f, "{}:{}: ", self.function(), self.line),
            (true, false) => write!(f, "{}: ", self.function()),
            (false, true) => write!(f, "{}:{}: ", self.file, self.line),
            (false, false) => Ok(()),
        }
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
    fn build_defaults() {
        assert_eq!(build_default(false), DEFAULT);
        assert_eq!(build_default(true) & DEFAULT, DEFAULT);
        assert_eq!(build_default(true) & !DEFAULT, DEBUG_EXTRA);
        assert_eq!(DEBUG_EXTRA.count_ones(), 5);
    }

    #[test]
    fn prefixes() {
        extern crate std;
        use std::string::ToString;
        let p = |mask| {
            Prefix {
                mask,
                pid: 42,
                file: "core/cmd.rs",
                line: 7,
                item: "scst::cmd::route::here",
            }
            .to_string()
        };
        assert_eq!(p(0), "");
        assert_eq!(p(bit("pid")), "[42] ");
        assert_eq!(p(bit("line")), "core/cmd.rs:7: ");
        assert_eq!(p(bit("function")), "cmd::route: ");
        assert_eq!(
            p(bit("pid") | bit("line") | bit("function")),
            "[42] cmd::route:7: "
        );
        let odd = Prefix {
            mask: bit("function"),
            pid: 0,
            file: "",
            line: 0,
            item: "here",
        };
        assert_eq!(odd.to_string(), "here: ");
    }

    #[test]
    fn names() {
        extern crate std;
        use std::string::ToString;
        assert_eq!(Names(0).to_string(), "none");
        assert_eq!(
            Names(bit("mgmt") | bit("out_of_mem")).to_string(),
            "out_of_mem | mgmt"
        );
        assert_eq!(
            Names(DEFAULT).to_string(),
            "out_of_mem | minor | special | mgmt | mgmt_minor"
        );
    }
}
