// SPDX-License-Identifier: GPL-2.0

//! The grammar of the commands written to /proc/scsi_tgt files.
//! `no_std`, host-tested: the kernel side only applies what parses.
//!
//! A command is whitespace-separated words.  Every error names what was
//! wrong so that the write can fail with -EINVAL and one log line.

use crate::lun::MAX_LUN;
use crate::names::{check_name, check_object_name, check_port_name, NameError};
use crate::trace;
use core::fmt;

/// Why a command was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum ParseError<'a> {
    /// Nothing but white space.
    Empty,
    /// The first word is no command of this file.
    UnknownCommand(&'a str),
    /// A required argument is missing.
    Missing(&'static str),
    /// More words than the command takes.
    Extra(&'a str),
    /// Not a number, or out of range.
    BadNumber {
        /// What the number was for.
        what: &'static str,
        /// The word.
        got: &'a str,
    },
    /// Not HOST:CHANNEL:ID:LUN.
    BadHctl(&'a str),
    /// A name breaks the naming rules.
    BadName {
        /// What the name was for.
        what: &'static str,
        /// The word.
        got: &'a str,
        /// The rule broken.
        why: NameError,
    },
    /// Not a trace level name.
    UnknownLevel(&'a str),
}

impl fmt::Display for ParseError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "empty command"),
            Self::UnknownCommand(w) => write!(f, "unknown command \"{w}\""),
            Self::Missing(what) => write!(f, "missing {what}"),
            Self::Extra(w) => write!(f, "unexpected \"{w}\""),
            Self::BadNumber { what, got } => write!(f, "bad {what} \"{got}\""),
            Self::BadHctl(w) => write!(f, "bad H:C:I:L \"{w}\""),
            Self::BadName { what, got, why } => write!(f, "bad {what} \"{got}\": {why}"),
            Self::UnknownLevel(w) => write!(f, "unknown trace level \"{w}\""),
        }
    }
}

type Res<'a, T> = Result<T, ParseError<'a>>;

/// A SCSI device address on this host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hctl {
    /// SCSI host number.
    pub host: u32,
    /// Channel.
    pub channel: u32,
    /// Target id.
    pub id: u32,
    /// LUN.
    pub lun: u64,
}

impl fmt::Display for Hctl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}:{}", self.host, self.channel, self.id, self.lun)
    }
}

/// A device named in a command: a real one by address, a virtual one by
/// name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DevRef<'a> {
    /// A SCSI device on this host.
    Real(Hctl),
    /// A virtual device by name.
    Virtual(&'a str),
}

/// Commands of /proc/scsi_tgt/scsi_tgt.
#[derive(Debug, PartialEq, Eq)]
pub enum ScsiTgtCmd<'a> {
    /// `assign H:C:I:L HANDLER`
    Assign(Hctl, &'a str),
    /// `add_group GROUP`
    AddGroup(&'a str),
    /// `del_group GROUP`
    DelGroup(&'a str),
}

/// Commands of /proc/scsi_tgt/groups/GROUP/devices.
#[derive(Debug, PartialEq, Eq)]
pub enum DevicesCmd<'a> {
    /// `add H:C:I:L|V_NAME LUN [READ_ONLY]`
    Add {
        /// The device.
        dev: DevRef<'a>,
        /// Its LUN in the group.
        lun: u64,
        /// Writes are refused with DATA PROTECT.
        read_only: bool,
    },
    /// `del H:C:I:L|V_NAME`
    Del(DevRef<'a>),
    /// `clear`
    Clear,
}

/// Commands of /proc/scsi_tgt/groups/GROUP/names.
#[derive(Debug, PartialEq, Eq)]
pub enum NamesCmd<'a> {
    /// `add NAME`
    Add(&'a str),
    /// `del NAME`
    Del(&'a str),
    /// `clear`
    Clear,
}

/// Commands of a trace_level file.
#[derive(Debug, PartialEq, Eq)]
pub enum TraceCmd {
    /// `all`, `none` or `value N`: set the whole mask.
    Set(u32),
    /// `default`: the build's default (which depends on CONFIG_SCST_DEBUG).
    Default,
    /// `add LEVEL`
    Add(u32),
    /// `del LEVEL`
    Del(u32),
}

impl TraceCmd {
    /// The mask after applying the command to `current`; `default` is
    /// the build's default mask.
    pub fn apply(&self, current: u32, default: u32) -> u32 {
        match *self {
            Self::Set(m) => m,
            Self::Default => default,
            Self::Add(b) => current | b,
            Self::Del(b) => current & !b,
        }
    }
}

/// The words of a command, with errors for missing and extra ones.
struct Words<'a>(core::str::SplitAsciiWhitespace<'a>);

impl<'a> Words<'a> {
    fn new(line: &'a str) -> Self {
        Self(line.split_ascii_whitespace())
    }

    fn next(&mut self, what: &'static str) -> Res<'a, &'a str> {
        self.0.next().ok_or(ParseError::Missing(what))
    }

    fn command(&mut self) -> Res<'a, &'a str> {
        self.0.next().ok_or(ParseError::Empty)
    }

    fn end(mut self) -> Res<'a, ()> {
        match self.0.next() {
            Some(w) => Err(ParseError::Extra(w)),
            None => Ok(()),
        }
    }
}

fn number<'a>(w: &'a str, what: &'static str, max: u64) -> Res<'a, u64> {
    let bad = || ParseError::BadNumber { what, got: w };
    let n = match w.strip_prefix("0x").or_else(|| w.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => w.parse::<u64>(),
    }
    .map_err(|_| bad())?;
    if n > max {
        return Err(bad());
    }
    Ok(n)
}

/// Parses `H:C:I:L`, four decimal numbers.
pub fn parse_hctl(w: &str) -> Res<'_, Hctl> {
    let bad = || ParseError::BadHctl(w);
    let mut parts = w.split(':');
    let mut part = |max: u64| -> Res<'_, u64> {
        let p = parts.next().ok_or_else(bad)?;
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        p.parse::<u64>().ok().filter(|&n| n <= max).ok_or_else(bad)
    };
    let max32 = u64::from(u32::MAX);
    let (host, channel, id, lun) = (part(max32)?, part(max32)?, part(max32)?, part(u64::MAX)?);
    if parts.next().is_some() {
        return Err(bad());
    }
    // The three fit in u32: checked against `max32` above.
    Ok(Hctl {
        host: host as u32,
        channel: channel as u32,
        id: id as u32,
        lun,
    })
}

fn name<'a>(
    w: &'a str,
    what: &'static str,
    check: fn(&[u8]) -> Result<&str, NameError>,
) -> Res<'a, &'a str> {
    check(w.as_bytes())
        .map(|_| w)
        .map_err(|why| ParseError::BadName { what, got: w, why })
}

/// A device: anything with a ':' is an address, the rest are names.
fn dev_ref(w: &str) -> Res<'_, DevRef<'_>> {
    if w.contains(':') {
        parse_hctl(w).map(DevRef::Real)
    } else {
        name(w, "device name", check_object_name).map(DevRef::Virtual)
    }
}

/// Parses a command written to /proc/scsi_tgt/scsi_tgt.
pub fn scsi_tgt(line: &str) -> Res<'_, ScsiTgtCmd<'_>> {
    let mut w = Words::new(line);
    let cmd = match w.command()? {
        "assign" => {
            let hctl = parse_hctl(w.next("H:C:I:L")?)?;
            ScsiTgtCmd::Assign(
                hctl,
                name(w.next("handler name")?, "handler name", check_name)?,
            )
        }
        "add_group" => ScsiTgtCmd::AddGroup(name(
            w.next("group name")?,
            "group name",
            check_object_name,
        )?),
        "del_group" => ScsiTgtCmd::DelGroup(name(
            w.next("group name")?,
            "group name",
            check_object_name,
        )?),
        other => return Err(ParseError::UnknownCommand(other)),
    };
    w.end()?;
    Ok(cmd)
}

/// Parses a command written to a group's `devices` file.
pub fn devices(line: &str) -> Res<'_, DevicesCmd<'_>> {
    let mut w = Words::new(line);
    let cmd = match w.command()? {
        "add" => {
            let dev = dev_ref(w.next("device")?)?;
            let lun = number(w.next("LUN")?, "LUN", MAX_LUN)?;
            let read_only = match w.0.next() {
                None => false,
                Some("READ_ONLY") => true,
                Some(other) => return Err(ParseError::Extra(other)),
            };
            DevicesCmd::Add {
                dev,
                lun,
                read_only,
            }
        }
        "del" => DevicesCmd::Del(dev_ref(w.next("device")?)?),
        "clear" => DevicesCmd::Clear,
        other => return Err(ParseError::UnknownCommand(other)),
    };
    w.end()?;
    Ok(cmd)
}

/// Parses a command written to a group's `names` file.
pub fn names(line: &str) -> Res<'_, NamesCmd<'_>> {
    let mut w = Words::new(line);
    let cmd = match w.command()? {
        "add" => NamesCmd::Add(name(
            w.next("initiator name")?,
            "initiator name",
            check_port_name,
        )?),
        "del" => NamesCmd::Del(name(
            w.next("initiator name")?,
            "initiator name",
            check_port_name,
        )?),
        "clear" => NamesCmd::Clear,
        other => return Err(ParseError::UnknownCommand(other)),
    };
    w.end()?;
    Ok(cmd)
}

fn level(w: &str) -> Res<'_, u32> {
    match trace::bit(w) {
        0 => Err(ParseError::UnknownLevel(w)),
        b => Ok(b),
    }
}

/// Parses a command written to a trace_level file.
pub fn trace_level(line: &str) -> Res<'_, TraceCmd> {
    let mut w = Words::new(line);
    let cmd = match w.command()? {
        "all" => TraceCmd::Set(trace::ALL),
        "none" => TraceCmd::Set(0),
        "default" => TraceCmd::Default,
        // The mask fits: checked against `ALL`.
        "value" => {
            TraceCmd::Set(number(w.next("value")?, "trace value", u64::from(trace::ALL))? as u32)
        }
        "add" => TraceCmd::Add(level(w.next("trace level")?)?),
        "del" => TraceCmd::Del(level(w.next("trace level")?)?),
        other => return Err(ParseError::UnknownCommand(other)),
    };
    w.end()?;
    Ok(cmd)
}

/// Parses a thread count written to /proc/scsi_tgt/threads.
pub fn threads(line: &str, max: u32) -> Res<'_, u32> {
    let mut w = Words::new(line);
    let n = number(w.command()?, "thread count", u64::from(max))?;
    w.end()?;
    if n == 0 {
        return Err(ParseError::BadNumber {
            what: "thread count",
            got: "0",
        });
    }
    // Fits: checked against `max`.
    Ok(n as u32)
}

/// Parses a write to /proc/scsi_tgt/latency: only "0" (clear).
pub fn latency(line: &str) -> Res<'_, ()> {
    let mut w = Words::new(line);
    let n = number(w.command()?, "latency reset value (0)", 0)?;
    w.end()?;
    debug_assert_eq!(n, 0);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_reset() {
        assert_eq!(latency("0\n"), Ok(()));
        assert_eq!(
            latency("1"),
            Err(ParseError::BadNumber {
                what: "latency reset value (0)",
                got: "1"
            })
        );
        assert_eq!(latency("0 0"), Err(ParseError::Extra("0")));
        assert_eq!(latency(""), Err(ParseError::Empty));
    }

    const H: Hctl = Hctl {
        host: 1,
        channel: 0,
        id: 1,
        lun: 0,
    };

    #[test]
    fn scsi_tgt_commands() {
        assert_eq!(
            scsi_tgt("assign 1:0:1:0 dev_disk\n"),
            Ok(ScsiTgtCmd::Assign(H, "dev_disk"))
        );
        assert_eq!(
            scsi_tgt("  add_group   g1 "),
            Ok(ScsiTgtCmd::AddGroup("g1"))
        );
        assert_eq!(scsi_tgt("del_group g1"), Ok(ScsiTgtCmd::DelGroup("g1")));
        assert_eq!(scsi_tgt(""), Err(ParseError::Empty));
        assert_eq!(scsi_tgt(" \t"), Err(ParseError::Empty));
        assert_eq!(
            scsi_tgt("add_grup g"),
            Err(ParseError::UnknownCommand("add_grup"))
        );
        assert_eq!(
            scsi_tgt("add_group"),
            Err(ParseError::Missing("group name"))
        );
        assert_eq!(scsi_tgt("add_group a b"), Err(ParseError::Extra("b")));
        assert!(matches!(
            scsi_tgt("add_group a/b"),
            Err(ParseError::BadName { .. })
        ));
        assert!(matches!(
            scsi_tgt("add_group .."),
            Err(ParseError::BadName { .. })
        ));
        assert_eq!(
            scsi_tgt("assign 1:0:1 dev_disk"),
            Err(ParseError::BadHctl("1:0:1"))
        );
        assert_eq!(
            scsi_tgt("assign 1:0:1:0"),
            Err(ParseError::Missing("handler name"))
        );
        assert!(matches!(
            scsi_tgt("assign 1:0:1:0 version"),
            Err(ParseError::BadName { .. })
        ));
    }

    #[test]
    fn hctl() {
        assert_eq!(parse_hctl("1:0:1:0"), Ok(H));
        assert_eq!(
            parse_hctl("4294967295:0:0:18446744073709551615"),
            Ok(Hctl {
                host: u32::MAX,
                channel: 0,
                id: 0,
                lun: u64::MAX
            })
        );
        for bad in [
            "4294967296:0:0:0",
            "1:0:1:0:5",
            "1::1:0",
            "1:0:1:-1",
            "a:0:1:0",
            "+1:0:1:0",
            ":::",
        ] {
            assert_eq!(parse_hctl(bad), Err(ParseError::BadHctl(bad)), "{bad}");
        }
    }

    #[test]
    fn devices_commands() {
        let add = |dev, lun, read_only| {
            Ok(DevicesCmd::Add {
                dev,
                lun,
                read_only,
            })
        };
        assert_eq!(devices("add 1:0:1:0 0"), add(DevRef::Real(H), 0, false));
        assert_eq!(
            devices("add disk1 1"),
            add(DevRef::Virtual("disk1"), 1, false)
        );
        assert_eq!(
            devices("add disk1 16383 READ_ONLY\n"),
            add(DevRef::Virtual("disk1"), 16383, true)
        );
        assert_eq!(
            devices("add disk1 0x10"),
            add(DevRef::Virtual("disk1"), 16, false)
        );
        assert_eq!(devices("del 1:0:1:0"), Ok(DevicesCmd::Del(DevRef::Real(H))));
        assert_eq!(
            devices("del disk1"),
            Ok(DevicesCmd::Del(DevRef::Virtual("disk1")))
        );
        assert_eq!(devices("clear"), Ok(DevicesCmd::Clear));
        assert_eq!(devices("clear now"), Err(ParseError::Extra("now")));
        assert_eq!(
            devices("add disk1 16384"),
            Err(ParseError::BadNumber {
                what: "LUN",
                got: "16384"
            })
        );
        assert_eq!(
            devices("add disk1 -1"),
            Err(ParseError::BadNumber {
                what: "LUN",
                got: "-1"
            })
        );
        assert_eq!(
            devices("add disk1 1 READONLY"),
            Err(ParseError::Extra("READONLY"))
        );
        assert_eq!(
            devices("add disk1 1 READ_ONLY x"),
            Err(ParseError::Extra("x"))
        );
        assert_eq!(devices("add disk1"), Err(ParseError::Missing("LUN")));
        assert_eq!(devices("add"), Err(ParseError::Missing("device")));
        assert_eq!(devices("add 1:0 1"), Err(ParseError::BadHctl("1:0")));
        assert_eq!(
            devices("remove disk1"),
            Err(ParseError::UnknownCommand("remove"))
        );
    }

    #[test]
    fn names_commands() {
        let iqn = "iqn.1994-05.com.redhat:client";
        assert_eq!(names(&["add ", iqn].concat()), Ok(NamesCmd::Add(iqn)));
        assert_eq!(
            names("del 21:00:00:e0:8b:05:05:04"),
            Ok(NamesCmd::Del("21:00:00:e0:8b:05:05:04"))
        );
        assert_eq!(names("clear"), Ok(NamesCmd::Clear));
        assert_eq!(names("add"), Err(ParseError::Missing("initiator name")));
        assert_eq!(names("add a b"), Err(ParseError::Extra("b")));
        assert!(matches!(
            names("add \u{e9}"),
            Err(ParseError::BadName { .. })
        ));
    }

    #[test]
    fn trace_commands() {
        let mgmt = trace::bit("mgmt");
        assert_eq!(trace_level("all"), Ok(TraceCmd::Set(trace::ALL)));
        assert_eq!(trace_level("none"), Ok(TraceCmd::Set(0)));
        assert_eq!(trace_level("default"), Ok(TraceCmd::Default));
        assert_eq!(trace_level("value 0x1000"), Ok(TraceCmd::Set(mgmt)));
        assert_eq!(trace_level("value 4096"), Ok(TraceCmd::Set(mgmt)));
        assert_eq!(trace_level("add mgmt"), Ok(TraceCmd::Add(mgmt)));
        assert_eq!(trace_level("del mgmt"), Ok(TraceCmd::Del(mgmt)));
        assert_eq!(
            trace_level("add mgmtx"),
            Err(ParseError::UnknownLevel("mgmtx"))
        );
        assert_eq!(
            trace_level("value 0x200000"),
            Err(ParseError::BadNumber {
                what: "trace value",
                got: "0x200000"
            })
        );
        assert_eq!(trace_level("value"), Err(ParseError::Missing("value")));
        assert_eq!(TraceCmd::Add(mgmt).apply(1, 0), 1 | mgmt);
        assert_eq!(TraceCmd::Del(mgmt).apply(mgmt | 1, 0), 1);
        assert_eq!(TraceCmd::Set(5).apply(mgmt, 0), 5);
        assert_eq!(TraceCmd::Default.apply(mgmt, 9), 9);
    }

    #[test]
    fn thread_counts() {
        assert_eq!(threads("4\n", 1024), Ok(4));
        assert_eq!(threads("1024", 1024), Ok(1024));
        assert_eq!(
            threads("1025", 1024),
            Err(ParseError::BadNumber {
                what: "thread count",
                got: "1025"
            })
        );
        assert_eq!(
            threads("0", 1024),
            Err(ParseError::BadNumber {
                what: "thread count",
                got: "0"
            })
        );
        assert_eq!(
            threads("four", 1024),
            Err(ParseError::BadNumber {
                what: "thread count",
                got: "four"
            })
        );
        assert_eq!(threads("4 5", 1024), Err(ParseError::Extra("5")));
        assert_eq!(threads("", 1024), Err(ParseError::Empty));
    }

    #[test]
    fn errors_read_well() {
        extern crate std;
        use std::string::ToString;
        assert_eq!(
            devices("add disk1 16384").unwrap_err().to_string(),
            "bad LUN \"16384\""
        );
        assert_eq!(
            scsi_tgt("add_group a/b").unwrap_err().to_string(),
            "bad group name \"a/b\": byte 0x2f not allowed in a name"
        );
    }
}
