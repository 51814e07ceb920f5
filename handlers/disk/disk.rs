// SPDX-License-Identifier: GPL-2.0

//! scst_disk: the pass-through handler for SCSI disks (type 0), "dev_disk",
//! and "dev_disk_perf", whose READ and WRITE commands succeed without
//! reaching the device (link measurements; a read returns the buffer as
//! allocated: see the warning in docs/passthrough.md).
//! The shared code is in handlers/passthrough/.

#[path = "../../rust/mod.rs"]
mod scst_rs;

#[path = "../passthrough/fixups.rs"]
#[allow(dead_code, unreachable_pub)]
mod fixups;

#[macro_use]
#[path = "../passthrough/pt.rs"]
mod pt;

pt_module!(
    ScstDisk,
    "scst_disk",
    "SCST pass-through handler for SCSI disks (type 0)",
    DISK,
    "dev_disk",
    "dev_disk_perf"
);
