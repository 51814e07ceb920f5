//! The /proc/scsi_tgt command grammars (core/proc_cmd.rs: scsi_tgt,
//! groups' devices and names, trace_level, threads, latency), the name
//! rules behind them (core/names.rs) and vdisk's /proc/scsi_tgt/vdisk and
//! vcdrom commands (handlers/vdisk/commands.rs).  Each input line is
//! written to every file; what parses is written out in canonical form
//! and must parse to the same command.
#![no_main]
use libfuzzer_sys::fuzz_target;
use scst_host::names;
use scst_host::proc_cmd::{self as p, DevRef, DevicesCmd, NamesCmd, ScsiTgtCmd, TraceCmd};
use scst_host::trace;
use scst_host::vdisk::commands::{self as v, Command, Kind};

fn dev(d: &DevRef<'_>) -> String {
    match d {
        DevRef::Real(h) => h.to_string(),
        DevRef::Virtual(n) => n.to_string(),
    }
}

fn vdisk_line(c: &Command<'_>) -> String {
    match c {
        Command::Open {
            name,
            path,
            block_size,
            flags,
        } => {
            let mut s = format!("open {} {}", name, path.unwrap_or(""));
            if path.is_some() && (*block_size != v::DEFAULT_BLOCK_SIZE || *flags != 0) {
                s += &format!(" {}", block_size);
                if *flags != 0 {
                    s += &format!(" {}", v::FlagNames(*flags));
                }
            }
            s
        }
        Command::Close { name } => format!("close {}", name),
        Command::Change { name, path } => format!("change {} {}", name, path.unwrap_or("")),
    }
}

fn line(l: &str) {
    if let Ok(c) = p::scsi_tgt(l) {
        let s = match &c {
            ScsiTgtCmd::Assign(h, n) => format!("assign {} {}", h, n),
            ScsiTgtCmd::AddGroup(g) => format!("add_group {}", g),
            ScsiTgtCmd::DelGroup(g) => format!("del_group {}", g),
        };
        assert_eq!(p::scsi_tgt(&s), Ok(c), "{:?}", s);
    }
    if let Ok(c) = p::devices(l) {
        let s = match &c {
            DevicesCmd::Add {
                dev: d,
                lun,
                read_only,
            } => {
                assert!(*lun <= scst_host::lun::MAX_LUN);
                format!(
                    "add {} {}{}",
                    dev(d),
                    lun,
                    if *read_only { " READ_ONLY" } else { "" }
                )
            }
            DevicesCmd::Del(d) => format!("del {}", dev(d)),
            DevicesCmd::Clear => "clear".into(),
        };
        assert_eq!(p::devices(&s), Ok(c), "{:?}", s);
    }
    if let Ok(c) = p::names(l) {
        let s = match &c {
            NamesCmd::Add(n) => format!("add {}", n),
            NamesCmd::Del(n) => format!("del {}", n),
            NamesCmd::Clear => "clear".into(),
        };
        assert_eq!(p::names(&s), Ok(c), "{:?}", s);
    }
    if let Ok(c) = p::trace_level(l) {
        let m = c.apply(0x5555, trace::DEFAULT);
        match c {
            TraceCmd::Set(x) => assert!(
                x <= trace::ALL
                    && p::trace_level(&format!("value {:#x}", x)) == Ok(TraceCmd::Set(x))
            ),
            TraceCmd::Add(b) => assert!(b != 0 && b & trace::ALL == b && m == 0x5555 | b),
            TraceCmd::Del(b) => assert!(b != 0 && b & trace::ALL == b && m == 0x5555 & !b),
            TraceCmd::Default => assert_eq!(m, trace::DEFAULT),
        }
    }
    if let Ok(n) = p::threads(l, 128) {
        assert!((1..=128).contains(&n) && p::threads(&n.to_string(), 128) == Ok(n));
    }
    if p::latency(l).is_ok() {
        assert!(l.split_ascii_whitespace().count() == 1);
    }
    for w in l.split_ascii_whitespace() {
        if let Ok(h) = p::parse_hctl(w) {
            assert_eq!(p::parse_hctl(&h.to_string()), Ok(h));
        }
        if let Ok(n) = names::check_name(w.as_bytes()) {
            assert!(
                names::check_object_name(n.as_bytes()).is_ok()
                    && names::check_port_name(n.as_bytes()).is_ok()
            );
        }
    }
    for kind in [Kind::Disk, Kind::Cdrom] {
        if let Ok(c) = v::parse(l, kind) {
            if let Command::Open {
                block_size, flags, ..
            } = c
            {
                assert!(v::valid_block_size(block_size) && flags & !0x7f == 0);
                let _ = v::mode_name(flags);
            }
            let s = vdisk_line(&c);
            assert_eq!(v::parse(&s, kind), Ok(c), "{:?}", s);
        } else if let Err(e) = v::parse(l, kind) {
            let _ = e.to_string();
        }
    }
    if let Err(e) = p::scsi_tgt(l) {
        let _ = e.to_string();
    }
}

fuzz_target!(|data: &[u8]| {
    String::from_utf8_lossy(data).split('\n').for_each(line);
});
