// SPDX-License-Identifier: GPL-2.0

//! The commands of /proc/scsi_tgt/vdisk/vdisk and /proc/scsi_tgt/vcdrom/vcdrom
//! (the seed's "VDISK device handler" section).  `no_std`, host-tested.
//!
//! ```text
//! open NAME [PATH] [BLOCK_SIZE] [FLAGS]
//! close NAME
//! change NAME [PATH]        (vcdrom only)
//! ```
//!
//! PATH must be absolute; it may be left out only for a vcdrom (no media).
//! BLOCK_SIZE and FLAGS are for disks only: the block size is a power of 2
//! from 512 to 65536 (default 512); the flags are any of WRITE_THROUGH,
//! READ_ONLY, O_DIRECT, NULLIO, NV_CACHE, BLOCKIO, REMOVABLE.

use core::fmt;

/// Block size when none is given.
pub const DEFAULT_BLOCK_SIZE: u32 = 512;
/// Largest block size accepted.
pub const MAX_BLOCK_SIZE: u32 = 65536;

/// Flag bits, by name.
pub const FLAGS: &[(&str, u32)] = &[
    ("WRITE_THROUGH", WRITE_THROUGH),
    ("READ_ONLY", READ_ONLY),
    ("O_DIRECT", O_DIRECT),
    ("NULLIO", NULLIO),
    ("NV_CACHE", NV_CACHE),
    ("BLOCKIO", BLOCKIO),
    ("REMOVABLE", REMOVABLE),
];
pub const WRITE_THROUGH: u32 = 1 << 0;
pub const READ_ONLY: u32 = 1 << 1;
pub const O_DIRECT: u32 = 1 << 2;
pub const NULLIO: u32 = 1 << 3;
pub const NV_CACHE: u32 = 1 << 4;
pub const BLOCKIO: u32 = 1 << 5;
pub const REMOVABLE: u32 = 1 << 6;

/// Which file the command was written to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Disk,
    Cdrom,
}

/// A parsed command.
#[derive(Debug, PartialEq, Eq)]
pub enum Command<'a> {
    Open {
        name: &'a str,
        path: Option<&'a str>,
        block_size: u32,
        flags: u32,
    },
    Close {
        name: &'a str,
    },
    Change {
        name: &'a str,
        path: Option<&'a str>,
    },
}

/// Why a command was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Error<'a> {
    Empty,
    UnknownCommand(&'a str),
    Missing(&'static str),
    Extra(&'a str),
    NotAbsolute(&'a str),
    BadBlockSize(&'a str),
    UnknownFlag(&'a str),
    /// Two flags that exclude each other.
    Conflict(&'static str, &'static str),
    /// A disk-only argument given to vcdrom.
    CdromArgument(&'a str),
    /// `change` written to the vdisk file.
    ChangeOnDisk,
}

impl fmt::Display for Error<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "empty command"),
            Self::UnknownCommand(w) => write!(f, "unknown command \"{w}\" (open, close, change)"),
            Self::Missing(what) => write!(f, "missing {what}"),
            Self::Extra(w) => write!(f, "unexpected \"{w}\""),
            Self::NotAbsolute(p) => write!(f, "file path \"{p}\" is not absolute"),
            Self::BadBlockSize(w) => {
                write!(
                    f,
                    "bad block size \"{w}\": a power of 2 from 512 to {MAX_BLOCK_SIZE}"
                )
            }
            Self::UnknownFlag(w) => write!(f, "unknown flag \"{w}\""),
            Self::Conflict(a, b) => write!(f, "flags {a} and {b} exclude each other"),
            Self::CdromArgument(w) => write!(f, "\"{w}\": vcdrom takes no block size or flags"),
            Self::ChangeOnDisk => write!(f, "change is for vcdrom devices only"),
        }
    }
}

/// Parses one command line written to the `kind` file.
fn name<'a>(w: &mut core::str::SplitAsciiWhitespace<'a>) -> Result<&'a str, Error<'a>> {
    w.next().ok_or(Error::Missing("device name"))
}

pub fn parse(line: &str, kind: Kind) -> Result<Command<'_>, Error<'_>> {
    let mut w = line.split_ascii_whitespace();
    let cmd = w.next().ok_or(Error::Empty)?;
    let c = match cmd {
        "open" => {
            let name = name(&mut w)?;
            let mut rest = w.clone().peekable();
            let path = match rest.peek() {
                Some(p) if looks_like_path(p) => {
                    let p = *p;
                    w.next();
                    Some(absolute(p)?)
                }
                _ => None,
            };
            if path.is_none() && kind == Kind::Disk {
                return Err(w
                    .next()
                    .map_or(Error::Missing("file path"), Error::NotAbsolute));
            }
            let (block_size, flags) = options(&mut w, kind)?;
            Command::Open {
                name,
                path,
                block_size,
                flags,
            }
        }
        "close" => Command::Close {
            name: name(&mut w)?,
        },
        "change" if kind == Kind::Disk => return Err(Error::ChangeOnDisk),
        "change" => {
            let name = name(&mut w)?;
            let path = w.next().map(absolute).transpose()?;
            Command::Change { name, path }
        }
        other => return Err(Error::UnknownCommand(other)),
    };
    match w.next() {
        Some(extra) => Err(Error::Extra(extra)),
        None => Ok(c),
    }
}

/// A PATH word, as opposed to a block size or a flag.
fn looks_like_path(w: &str) -> bool {
    !w.bytes().all(|b| b.is_ascii_digit()) && !FLAGS.iter().any(|(n, _)| *n == w)
}

fn absolute(p: &str) -> Result<&str, Error<'_>> {
    if p.starts_with('/') {
        Ok(p)
    } else {
        Err(Error::NotAbsolute(p))
    }
}

/// `[BLOCK_SIZE] [FLAGS]`, checked.
fn options<'a>(
    w: &mut core::str::SplitAsciiWhitespace<'a>,
    kind: Kind,
) -> Result<(u32, u32), Error<'a>> {
    let mut block_size = DEFAULT_BLOCK_SIZE;
    let mut flags = 0;
    let mut first = true;
    for word in w {
        if kind == Kind::Cdrom {
            return Err(Error::CdromArgument(word));
        }
        if first && word.bytes().all(|b| b.is_ascii_digit()) {
            block_size = word
                .parse()
                .ok()
                .filter(|&b: &u32| valid_block_size(b))
                .ok_or(Error::BadBlockSize(word))?;
        } else {
            let bit = FLAGS
                .iter()
                .find(|(n, _)| *n == word)
                .map(|(_, b)| *b)
                .ok_or(Error::UnknownFlag(word))?;
            flags |= bit;
        }
        first = false;
    }
    check_flags(flags)?;
    Ok((block_size, flags))
}

pub fn valid_block_size(b: u32) -> bool {
    b.is_power_of_two() && (DEFAULT_BLOCK_SIZE..=MAX_BLOCK_SIZE).contains(&b)
}

/// The I/O modes exclude each other: NULLIO does no I/O, BLOCKIO
/// bypasses the page cache already.
fn check_flags(flags: u32) -> Result<(), Error<'static>> {
    const PAIRS: &[(u32, &str, u32, &str)] = &[
        (NULLIO, "NULLIO", BLOCKIO, "BLOCKIO"),
        (NULLIO, "NULLIO", O_DIRECT, "O_DIRECT"),
        (BLOCKIO, "BLOCKIO", O_DIRECT, "O_DIRECT"),
    ];
    for &(a, an, b, bn) in PAIRS {
        if flags & a != 0 && flags & b != 0 {
            return Err(Error::Conflict(an, bn));
        }
    }
    Ok(())
}

/// The flags of `mask`, space-separated (for the device listing).
pub struct FlagNames(pub u32);

impl fmt::Display for FlagNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (name, _) in FLAGS.iter().filter(|(_, b)| self.0 & b != 0) {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(name)?;
            first = false;
        }
        if first {
            f.write_str("-")?;
        }
        Ok(())
    }
}

/// The mode a disk's flags select.
pub fn mode_name(flags: u32) -> &'static str {
    if flags & NULLIO != 0 {
        "NULLIO"
    } else if flags & BLOCKIO != 0 {
        "BLOCKIO"
    } else {
        "FILEIO"
    }
}

/// Help text of both directories.
pub const HELP: &str = "\
Usage: echo \"open NAME [PATH] [BLOCK_SIZE] [FLAGS]\" >/proc/scsi_tgt/vdisk/vdisk
       echo \"close NAME\" >/proc/scsi_tgt/vdisk/vdisk
       echo \"open NAME [PATH]\" >/proc/scsi_tgt/vcdrom/vcdrom
       echo \"change NAME [PATH]\" >/proc/scsi_tgt/vcdrom/vcdrom
       echo \"close NAME\" >/proc/scsi_tgt/vcdrom/vcdrom

PATH is absolute; it may be empty only for vcdrom (no medium).
BLOCK_SIZE is a power of 2 from 512 to 65536 (default 512), disks only.
FLAGS (disks only) are any of:
  WRITE_THROUGH - no write-back caching: writes are on the medium when acknowledged
  READ_ONLY     - read only
  O_DIRECT      - no caching at all (FILEIO through O_DIRECT)
  NULLIO        - no I/O, success returned (for link measurements)
  NV_CACHE      - non-volatile cache: SYNCHRONIZE CACHE is ignored, write-through reported
  BLOCKIO       - direct block I/O to a block device, bypassing the page cache
  REMOVABLE     - reported as removable
Without BLOCKIO or NULLIO the mode is FILEIO.
";

#[cfg(test)]
mod tests {
    use super::*;

    fn disk(l: &str) -> Result<Command<'_>, Error<'_>> {
        parse(l, Kind::Disk)
    }
    fn cd(l: &str) -> Result<Command<'_>, Error<'_>> {
        parse(l, Kind::Cdrom)
    }

    #[test]
    fn open_disk() {
        assert_eq!(
            disk("open disk1 /vdisks/disk1"),
            Ok(Command::Open {
                name: "disk1",
                path: Some("/vdisks/disk1"),
                block_size: 512,
                flags: 0
            })
        );
        assert_eq!(
            disk("open d /dev/loop0 4096 BLOCKIO READ_ONLY"),
            Ok(Command::Open {
                name: "d",
                path: Some("/dev/loop0"),
                block_size: 4096,
                flags: BLOCKIO | READ_ONLY
            })
        );
        assert_eq!(
            disk("  open d /f NV_CACHE WRITE_THROUGH  "),
            Ok(Command::Open {
                name: "d",
                path: Some("/f"),
                block_size: 512,
                flags: NV_CACHE | WRITE_THROUGH
            })
        );
    }

    #[test]
    fn bad_disk_commands() {
        assert_eq!(disk(""), Err(Error::Empty));
        assert_eq!(disk("opn d /f"), Err(Error::UnknownCommand("opn")));
        assert_eq!(disk("open"), Err(Error::Missing("device name")));
        assert_eq!(disk("open d"), Err(Error::Missing("file path")));
        assert_eq!(disk("open d rel/path"), Err(Error::NotAbsolute("rel/path")));
        assert_eq!(disk("open d 4096"), Err(Error::NotAbsolute("4096")));
        assert_eq!(disk("open d NULLIO"), Err(Error::NotAbsolute("NULLIO")));
        assert_eq!(disk("open d /f 1000"), Err(Error::BadBlockSize("1000")));
        assert_eq!(disk("open d /f 256"), Err(Error::BadBlockSize("256")));
        assert_eq!(disk("open d /f 131072"), Err(Error::BadBlockSize("131072")));
        assert_eq!(
            disk("open d /f 99999999999999"),
            Err(Error::BadBlockSize("99999999999999"))
        );
        assert_eq!(disk("open d /f FAST"), Err(Error::UnknownFlag("FAST")));
        assert_eq!(
            disk("open d /f NULLIO 4096"),
            Err(Error::UnknownFlag("4096"))
        );
        assert_eq!(
            disk("open d /f BLOCKIO NULLIO"),
            Err(Error::Conflict("NULLIO", "BLOCKIO"))
        );
        assert_eq!(
            disk("open d /f O_DIRECT BLOCKIO"),
            Err(Error::Conflict("BLOCKIO", "O_DIRECT"))
        );
        assert_eq!(disk("close"), Err(Error::Missing("device name")));
        assert_eq!(disk("close d e"), Err(Error::Extra("e")));
        assert_eq!(disk("change d /f"), Err(Error::ChangeOnDisk));
    }

    #[test]
    fn cdrom() {
        assert_eq!(
            cd("open cd"),
            Ok(Command::Open {
                name: "cd",
                path: None,
                block_size: 512,
                flags: 0
            })
        );
        assert_eq!(
            cd("open cd /iso/x.iso"),
            Ok(Command::Open {
                name: "cd",
                path: Some("/iso/x.iso"),
                block_size: 512,
                flags: 0
            })
        );
        assert_eq!(cd("open cd /x.iso 2048"), Err(Error::CdromArgument("2048")));
        assert_eq!(
            cd("open cd READ_ONLY"),
            Err(Error::CdromArgument("READ_ONLY"))
        );
        assert_eq!(
            cd("change cd"),
            Ok(Command::Change {
                name: "cd",
                path: None
            })
        );
        assert_eq!(
            cd("change cd /y.iso"),
            Ok(Command::Change {
                name: "cd",
                path: Some("/y.iso")
            })
        );
        assert_eq!(cd("change cd y.iso"), Err(Error::NotAbsolute("y.iso")));
        assert_eq!(cd("change cd /a /b"), Err(Error::Extra("/b")));
        assert_eq!(cd("close cd"), Ok(Command::Close { name: "cd" }));
    }

    #[test]
    fn names_and_help() {
        extern crate std;
        use std::string::ToString;
        assert_eq!(FlagNames(0).to_string(), "-");
        assert_eq!(
            FlagNames(READ_ONLY | BLOCKIO).to_string(),
            "READ_ONLY BLOCKIO"
        );
        assert_eq!(mode_name(NULLIO), "NULLIO");
        assert_eq!(mode_name(BLOCKIO | READ_ONLY), "BLOCKIO");
        assert_eq!(mode_name(O_DIRECT), "FILEIO");
        for (n, b) in FLAGS {
            assert!(HELP.contains(n), "{n} missing from HELP");
            assert_eq!(b.count_ones(), 1);
        }
        assert!(Error::BadBlockSize("3").to_string().contains("power of 2"));
    }
}
