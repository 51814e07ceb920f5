// SPDX-License-Identifier: GPL-2.0

//! /proc/scsi_tgt: the core's files, the groups and the per-handler
//! directories.  Every entry is described in docs/proc.md.

use crate::limits::MAX_THREADS;
use crate::names::peripheral_type_name;
use crate::proc_cmd::{self, ParseError, ScsiTgtCmd};
use crate::registry::{dev_type_name, SharedRef};
use crate::scst_rs::procfs::{ProcDir, ProcEntry, ProcFile, SeqOut};
use crate::{groups, trace};
use core::fmt::Write;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::{c_str, prelude::*, str::CStr, str::CString, sync::Arc};

/// What /proc/scsi_tgt/version prints first.
pub(crate) const SCST_VERSION: &str = "1.0.0-rs0.1";

/// Compile-time options, listed in the version file as SCST does.
const OPTIONS: &[(bool, &str)] = &[
    (cfg!(CONFIG_SCST_STRICT_SERIALIZING), "STRICT_SERIALIZING"),
    (cfg!(CONFIG_SCST_EXTRACHECKS), "EXTRACHECKS"),
    (cfg!(CONFIG_SCST_TRACING), "TRACING"),
    (cfg!(CONFIG_SCST_DEBUG), "DEBUG"),
    (cfg!(CONFIG_SCST_DEBUG_TM), "DEBUG_TM"),
    (cfg!(CONFIG_SCST_TM_DBG_GO_OFFLINE), "TM_DBG_GO_OFFLINE"),
    (cfg!(CONFIG_SCST_USE_EXPECTED_VALUES), "USE_EXPECTED_VALUES"),
    (
        cfg!(CONFIG_SCST_ALLOW_PASSTHROUGH_IO_SUBMIT_IN_SIRQ),
        "ALLOW_PASSTHROUGH_IO_SUBMIT_IN_SIRQ",
    ),
    (cfg!(CONFIG_SCST_STRICT_SECURITY), "STRICT_SECURITY"),
    (
        cfg!(CONFIG_SCST_ABORT_CONSIDER_FINISHED_TASKS_AS_NOT_EXISTING),
        "ABORT_CONSIDER_FINISHED_TASKS_AS_NOT_EXISTING",
    ),
    (cfg!(CONFIG_SCST_MEASURE_LATENCY), "MEASURE_LATENCY"),
];

const HELP: &str = "\
Usage: echo \"assign H:C:I:L HANDLER_NAME\" >/proc/scsi_tgt/scsi_tgt
       echo \"add_group GROUP\" >/proc/scsi_tgt/scsi_tgt
       echo \"del_group GROUP\" >/proc/scsi_tgt/scsi_tgt
       echo \"add H:C:I:L|V_NAME LUN [READ_ONLY]\" >/proc/scsi_tgt/groups/GROUP/devices
       echo \"del H:C:I:L|V_NAME\" >/proc/scsi_tgt/groups/GROUP/devices
       echo \"clear\" >/proc/scsi_tgt/groups/GROUP/devices
       echo \"add NAME\" >/proc/scsi_tgt/groups/GROUP/names
       echo \"del NAME\" >/proc/scsi_tgt/groups/GROUP/names
       echo \"clear\" >/proc/scsi_tgt/groups/GROUP/names
       echo \"N\" >/proc/scsi_tgt/threads
       echo \"all|none|default\" >/proc/scsi_tgt/trace_level
       echo \"value DEC|0xHEX\" >/proc/scsi_tgt/trace_level
       echo \"add|del LEVEL\" >/proc/scsi_tgt/trace_level
LEVEL is one of: out_of_mem, minor, sg, mem, buff, entryexit, pid, line,
function, debug, special, scsi, mgmt, mgmt_minor, mgmt_dbg, scsi_serializing,
retry, recv_bot, send_bot, recv_top, send_top
";

fn fmt_err(_: core::fmt::Error) -> Error {
    EINVAL
}

/// A registered name as `&str`, so that column widths apply (the kernel
/// `CStr`'s `Display` ignores them).  Names are checked ASCII at
/// registration, so the fallback never shows.
fn text(c: &CStr) -> &str {
    c.to_str().unwrap_or("?")
}

/// Logs why a command was refused (`file` names the /proc file).
fn refuse(file: &str, e: ParseError<'_>) -> Error {
    pr_err!("{}: {}\n", file, e);
    EINVAL
}

struct VersionFile;

impl ProcFile for VersionFile {
    type Data = ();

    fn show(_: &(), out: &mut SeqOut<'_>) -> Result {
        writeln!(out, "{}", SCST_VERSION).map_err(fmt_err)?;
        for (_, name) in OPTIONS.iter().filter(|(on, _)| *on) {
            writeln!(out, "{}", name).map_err(fmt_err)?;
        }
        Ok(())
    }
}

struct HelpFile;

impl ProcFile for HelpFile {
    type Data = ();

    fn show(_: &(), out: &mut SeqOut<'_>) -> Result {
        out.write_str(HELP).map_err(fmt_err)
    }
}

struct ScsiTgtFile;

impl ProcFile for ScsiTgtFile {
    type Data = SharedRef;

    fn show(shared: &SharedRef, out: &mut SeqOut<'_>) -> Result {
        let reg = shared.registry.lock();
        writeln!(
            out,
            "{:<60}{}",
            "Device (host:ch:id:lun or name)", "Device handler"
        )
        .map_err(fmt_err)?;
        for d in reg.devices.iter() {
            let handler = d.handler.map_or("", |h| text(dev_type_name(h.dev_type)));
            writeln!(out, "{:<60}{}", text(&d.name), handler).map_err(fmt_err)?;
        }
        Ok(())
    }

    fn write(shared: &SharedRef, line: &str) -> Result {
        match proc_cmd::scsi_tgt(line).map_err(|e| refuse("scsi_tgt", e))? {
            ScsiTgtCmd::AddGroup(g) => groups::add(shared, g),
            ScsiTgtCmd::DelGroup(g) => groups::del(shared, g),
            ScsiTgtCmd::Assign(hctl, handler) => crate::devices::assign(shared, hctl, handler),
        }
    }
}

struct SessionsFile;

impl ProcFile for SessionsFile {
    type Data = SharedRef;

    fn show(shared: &SharedRef, out: &mut SeqOut<'_>) -> Result {
        let sessions = sessions_of(shared)?;
        writeln!(
            out,
            "{:<20} {:<45} {:<35} {:<15}",
            "Target name", "Initiator name", "Group name", "Command Count"
        )
        .map_err(fmt_err)?;
        for s in sessions.iter() {
            let n = crate::tm::commands_of(s);
            writeln!(
                out,
                "{:<20} {:<45} {:<35} {:<15}",
                text(&s.target.name),
                text(&s.initiator),
                text(&s.group),
                n
            )
            .map_err(fmt_err)?;
        }
        Ok(())
    }
}

/// The registered sessions, taken out of the registry so that their
/// task-set locks are not taken under it while a file is written out.
fn sessions_of(shared: &SharedRef) -> Result<KVec<Arc<crate::sessions::Session>>> {
    let mut v = KVec::new();
    for s in shared.registry.lock().sessions.iter() {
        v.push(s.clone(), GFP_KERNEL)?;
    }
    Ok(v)
}

struct LatencyFile;

impl ProcFile for LatencyFile {
    type Data = SharedRef;

    fn show(shared: &SharedRef, out: &mut SeqOut<'_>) -> Result {
        let sessions = sessions_of(shared)?;
        writeln!(
            out,
            "{:<20} {:<45} {:>12} {:>18} {:>18} {:>18}",
            "Target name", "Initiator name", "Commands", "Total (ns)", "Handler (ns)", "SCST (ns)"
        )
        .map_err(fmt_err)?;
        for s in sessions.iter() {
            let (n, total, exec) = s.latency.averages();
            writeln!(
                out,
                "{:<20} {:<45} {:>12} {:>18} {:>18} {:>18}",
                text(&s.target.name),
                text(&s.initiator),
                n,
                total,
                exec,
                total.saturating_sub(exec)
            )
            .map_err(fmt_err)?;
        }
        Ok(())
    }

    fn write(shared: &SharedRef, line: &str) -> Result {
        proc_cmd::latency(line).map_err(|e| refuse("latency", e))?;
        for s in shared.registry.lock().sessions.iter() {
            s.latency.clear();
        }
        Ok(())
    }
}

struct ThreadsFile;

impl ProcFile for ThreadsFile {
    type Data = SharedRef;

    fn show(shared: &SharedRef, out: &mut SeqOut<'_>) -> Result {
        writeln!(out, "{}", shared.threads.lock().base()).map_err(fmt_err)
    }

    fn write(shared: &SharedRef, line: &str) -> Result {
        let n = proc_cmd::threads(line, MAX_THREADS as u32).map_err(|e| refuse("threads", e))?;
        shared.threads.lock().set_base(n)
    }
}

fn show_trace(level: &AtomicU32, out: &mut SeqOut<'_>) -> Result {
    writeln!(out, "{}", trace::Names(level.load(Ordering::Relaxed))).map_err(fmt_err)?;
    out.write_str(trace::USAGE).map_err(fmt_err)
}

fn write_trace(level: &AtomicU32, line: &str) -> Result {
    let cmd = proc_cmd::trace_level(line).map_err(|e| refuse("trace_level", e))?;
    // A read-modify-write that may race only with another write.
    let default = trace::build_default(cfg!(CONFIG_SCST_DEBUG));
    level.store(
        cmd.apply(level.load(Ordering::Relaxed), default),
        Ordering::Relaxed,
    );
    Ok(())
}

struct TraceLevelFile;

impl ProcFile for TraceLevelFile {
    type Data = SharedRef;

    fn show(shared: &SharedRef, out: &mut SeqOut<'_>) -> Result {
        show_trace(&shared.trace, out)
    }

    fn write(shared: &SharedRef, line: &str) -> Result {
        write_trace(&shared.trace, line)
    }
}

/// A driver's or handler's own trace level.
///
/// # Invariants
///
/// Points to the level the module registered; valid while the module is
/// registered, which outlasts the file (removed at unregistration, and
/// `proc_remove` waits for running callbacks).
pub(crate) struct ModuleTrace(*const AtomicU32);

// SAFETY: an atomic may be used from any thread.
unsafe impl Send for ModuleTrace {}
// SAFETY: as above.
unsafe impl Sync for ModuleTrace {}

impl ModuleTrace {
    fn get(&self) -> &AtomicU32 {
        // SAFETY: valid while the file exists (invariant).
        unsafe { &*self.0 }
    }
}

struct ModuleTraceFile;

impl ProcFile for ModuleTraceFile {
    type Data = ModuleTrace;

    fn show(t: &ModuleTrace, out: &mut SeqOut<'_>) -> Result {
        show_trace(t.get(), out)
    }

    fn write(t: &ModuleTrace, line: &str) -> Result {
        write_trace(t.get(), line)
    }
}

struct SgvFile;

impl ProcFile for SgvFile {
    type Data = SharedRef;

    fn show(shared: &SharedRef, out: &mut SeqOut<'_>) -> Result {
        write!(out, "{}", shared.sgv).map_err(fmt_err)
    }
}

struct TypeFile;

impl ProcFile for TypeFile {
    type Data = i32;

    fn show(t: &i32, out: &mut SeqOut<'_>) -> Result {
        let name = peripheral_type_name(*t).unwrap_or("unknown");
        writeln!(out, "{} - {}", t, name).map_err(fmt_err)
    }
}

/// The core's own files in /proc/scsi_tgt, removed when dropped.
pub(crate) struct CoreFiles {
    _files: KVec<ProcEntry>,
}

impl CoreFiles {
    pub(crate) fn new(root: &ProcDir, shared: &SharedRef) -> Result<Self> {
        let mut files = KVec::new();
        let mut add = |e: ProcEntry| files.push(e, GFP_KERNEL);
        let unit = || Arc::new((), GFP_KERNEL);
        let data = || Arc::new(shared.clone(), GFP_KERNEL);
        add(root.file::<VersionFile>(c_str!("version"), 0o444, unit()?)?)?;
        add(root.file::<HelpFile>(c_str!("help"), 0o444, unit()?)?)?;
        add(root.file::<ScsiTgtFile>(c_str!("scsi_tgt"), 0o644, data()?)?)?;
        add(root.file::<SessionsFile>(c_str!("sessions"), 0o444, data()?)?)?;
        add(root.file::<SgvFile>(c_str!("sgv"), 0o444, data()?)?)?;
        add(root.file::<ThreadsFile>(c_str!("threads"), 0o644, data()?)?)?;
        add(root.file::<TraceLevelFile>(c_str!("trace_level"), 0o644, data()?)?)?;
        if cfg!(CONFIG_SCST_MEASURE_LATENCY) {
            add(root.file::<LatencyFile>(c_str!("latency"), 0o644, data()?)?)?;
        }
        Ok(Self { _files: files })
    }
}

/// /proc/scsi_tgt/<driver or handler>/ and the files in it.
pub(crate) struct ModuleDir {
    pub(crate) dir: ProcDir,
    _type: Option<ProcEntry>,
    _trace: Option<ProcEntry>,
}

/// Creates /proc/scsi_tgt/`name`/ for a target driver or (with `type_`) a
/// device handler, with a trace_level file if it has a trace level.
pub(crate) fn module_dir(
    root: &ProcDir,
    name: &CStr,
    type_: Option<i32>,
    trace: *const AtomicU32,
) -> Result<ModuleDir> {
    let dir = ProcDir::new(name, Some(root))?;
    let type_file = match type_ {
        Some(t) => Some(dir.file::<TypeFile>(c_str!("type"), 0o444, Arc::new(t, GFP_KERNEL)?)?),
        None => None,
    };
    let trace_file = if trace.is_null() {
        None
    } else {
        Some(dir.file::<ModuleTraceFile>(
            c_str!("trace_level"),
            0o644,
            Arc::new(ModuleTrace(trace), GFP_KERNEL)?,
        )?)
    };
    Ok(ModuleDir {
        dir,
        _type: type_file,
        _trace: trace_file,
    })
}

/// Which group a group file belongs to.
pub(crate) struct GroupKey {
    shared: SharedRef,
    group: CString,
}

struct DevicesFile;

impl ProcFile for DevicesFile {
    type Data = GroupKey;

    fn show(k: &GroupKey, out: &mut SeqOut<'_>) -> Result {
        let reg = k.shared.registry.lock();
        let g = reg.group(k.group.as_bytes()).ok_or(ENOENT)?;
        writeln!(
            out,
            "{:<60}{:<13}{}",
            "Device (host:ch:id:lun or name)", "LUN", "Options"
        )
        .map_err(fmt_err)?;
        for l in g.luns.iter() {
            let Some(d) = reg.device(l.dev_id) else {
                continue;
            };
            let opts = if l.read_only { "RO" } else { "" };
            writeln!(out, "{:<60}{:<13}{}", text(&d.name), l.lun, opts).map_err(fmt_err)?;
        }
        Ok(())
    }

    fn write(k: &GroupKey, line: &str) -> Result {
        let cmd = proc_cmd::devices(line).map_err(|e| refuse("devices", e))?;
        groups::apply_devices(&k.shared, k.group.as_bytes(), cmd)
    }
}

struct NamesFile;

impl ProcFile for NamesFile {
    type Data = GroupKey;

    fn show(k: &GroupKey, out: &mut SeqOut<'_>) -> Result {
        let reg = k.shared.registry.lock();
        let g = reg.group(k.group.as_bytes()).ok_or(ENOENT)?;
        for n in g.names.iter() {
            writeln!(out, "{}", &**n).map_err(fmt_err)?;
        }
        Ok(())
    }

    fn write(k: &GroupKey, line: &str) -> Result {
        let cmd = proc_cmd::names(line).map_err(|e| refuse("names", e))?;
        groups::apply_names(&k.shared, k.group.as_bytes(), cmd)
    }
}

/// /proc/scsi_tgt/groups/<group>/ and its files.
pub(crate) struct GroupFiles {
    _devices: ProcEntry,
    _names: ProcEntry,
}

/// Creates the directory and files of group `name`.
pub(crate) fn group_files(shared: &SharedRef, name: &CStr) -> Result<GroupFiles> {
    let dir = ProcDir::new(name, Some(&shared.groups_dir))?;
    let key = || -> Result<Arc<GroupKey>> {
        let group = CString::try_from(name)?;
        Ok(Arc::new(
            GroupKey {
                shared: shared.clone(),
                group,
            },
            GFP_KERNEL,
        )?)
    };
    Ok(GroupFiles {
        _devices: dir.file::<DevicesFile>(c_str!("devices"), 0o644, key()?)?,
        _names: dir.file::<NamesFile>(c_str!("names"), 0o644, key()?)?,
    })
}
