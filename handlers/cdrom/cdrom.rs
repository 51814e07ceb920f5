// SPDX-License-Identifier: GPL-2.0

//! scst_cdrom: the pass-through handler for SCSI CD/DVD drives (type 5), "dev_cdrom".
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
    ScstCdrom,
    "scst_cdrom",
    "SCST pass-through handler for SCSI CD/DVD drives (type 5)",
    CDROM,
    "dev_cdrom"
);
