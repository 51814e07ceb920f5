// SPDX-License-Identifier: GPL-2.0

//! /proc/scsi_tgt: the core's files and the per-handler directories.
//! Every entry is described in docs/proc.md.

use crate::names::peripheral_type_name;
use crate::registry::SharedRef;
use crate::scst_rs::procfs::{ProcDir, ProcEntry, ProcFile, SeqOut};
use core::fmt::Write;
use kernel::{c_str, prelude::*, str::CStr, sync::Arc};

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
    (cfg!(CONFIG_SCST_ALLOW_PASSTHROUGH_IO_SUBMIT_IN_SIRQ), "ALLOW_PASSTHROUGH_IO_SUBMIT_IN_SIRQ"),
    (cfg!(CONFIG_SCST_STRICT_SECURITY), "STRICT_SECURITY"),
    (
        cfg!(CONFIG_SCST_ABORT_CONSIDER_FINISHED_TASKS_AS_NOT_EXISTING),
        "ABORT_CONSIDER_FINISHED_TASKS_AS_NOT_EXISTING",
    ),
    (cfg!(CONFIG_SCST_MEASURE_LATENCY), "MEASURE_LATENCY"),
];

struct VersionFile;

impl ProcFile for VersionFile {
    type Data = ();

    fn show(_: &(), out: &mut SeqOut<'_>) -> Result {
        writeln!(out, "{}", SCST_VERSION).map_err(|_| EINVAL)?;
        for (_, name) in OPTIONS.iter().filter(|(on, _)| *on) {
            writeln!(out, "{}", name).map_err(|_| EINVAL)?;
        }
        Ok(())
    }
}

struct ScsiTgtFile;

impl ProcFile for ScsiTgtFile {
    type Data = crate::registry::Shared;

    fn show(shared: &Self::Data, out: &mut SeqOut<'_>) -> Result {
        // The device table arrives with device registration; the registry
        // lock makes the listing consistent with concurrent changes.
        let _reg = shared.registry.lock();
        writeln!(out, "{:<60}{}", "Device (host:ch:id:lun or name)", "Device handler")
            .map_err(|_| EINVAL)
    }
}

struct TypeFile;

impl ProcFile for TypeFile {
    type Data = i32;

    fn show(t: &i32, out: &mut SeqOut<'_>) -> Result {
        let name = peripheral_type_name(*t).unwrap_or("unknown");
        writeln!(out, "{} - {}", t, name).map_err(|_| EINVAL)
    }
}

/// The core's own files in /proc/scsi_tgt, removed when dropped.
pub(crate) struct CoreFiles {
    _files: KVec<ProcEntry>,
}

impl CoreFiles {
    pub(crate) fn new(root: &ProcDir, shared: &SharedRef) -> Result<Self> {
        let mut files = KVec::new();
        files.push(root.file::<VersionFile>(c_str!("version"), 0o444, Arc::new((), GFP_KERNEL)?)?, GFP_KERNEL)?;
        files.push(root.file::<ScsiTgtFile>(c_str!("scsi_tgt"), 0o444, shared.clone())?, GFP_KERNEL)?;
        Ok(Self { _files: files })
    }
}

/// /proc/scsi_tgt/<handler>/ and the files in it.
pub(crate) struct HandlerDir {
    _type: ProcEntry,
}

/// Creates /proc/scsi_tgt/`name`/ for a device handler of `type_`.
pub(crate) fn handler_dir(root: &ProcDir, name: &CStr, type_: i32) -> Result<HandlerDir> {
    let dir = ProcDir::new(name, Some(root))?;
    let type_file = dir.file::<TypeFile>(c_str!("type"), 0o444, Arc::new(type_, GFP_KERNEL)?)?;
    Ok(HandlerDir { _type: type_file })
}
