//! The `no_std` files shared with the kernel modules, built for the host.
//! Their unit tests live beside the code (`#[cfg(test)]`), so the kernel
//! build skips them and `cargo test` runs them.
#![cfg_attr(not(test), no_std)]

#[path = "../../../rust/api/abi.rs"]
pub mod abi;

#[path = "../../../core/names.rs"]
pub mod names;

#[path = "../../../core/limits.rs"]
pub mod limits;

#[path = "../../../core/cdb.rs"]
pub mod cdb;

#[path = "../../../core/trace.rs"]
pub mod trace;

#[path = "../../../core/proc_cmd.rs"]
pub mod proc_cmd;

#[path = "../../../core/acl.rs"]
pub mod acl;

#[doc(hidden)]
#[path = "../../../rust/scsi/mod.rs"]
pub mod scsi;

/// The binding layer's `no_std` part, under the path the modules use.
pub mod scst_rs {
    pub use super::scsi;
}

#[path = "../../../core/lun.rs"]
pub mod lun;

#[path = "../../../core/taskset.rs"]
pub mod taskset;

/// scst_vdisk's `no_std` files.
#[path = "../../../handlers/vdisk/host.rs"]
pub mod vdisk;

/// The pass-through handlers' `no_std` file.
#[path = "../../../handlers/passthrough/fixups.rs"]
pub mod passthrough;

/// scst_user's `no_std` files.
pub mod user;
pub use user::abi as user_abi;
