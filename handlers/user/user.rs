// SPDX-License-Identifier: GPL-2.0

//! scst_user: SCSI devices implemented by user-space programs through
//! /dev/scst_user (docs/scst_user.md).

#[path = "../../rust/mod.rs"]
mod scst_rs;

#[allow(dead_code, unreachable_pub)]
mod abi;
#[allow(dead_code, unreachable_pub)]
mod wire;
// The SBC helpers shared with scst_vdisk (a command's extent).
#[allow(dead_code, unreachable_pub)]
#[path = "../vdisk/scsi.rs"]
mod scsi;

mod dev;
mod file;
mod queue;

use kernel::{c_str, prelude::*};
use scst_rs::miscdev::MiscDevice;

module! {
    type: ScstUser,
    name: "scst_user",
    author: "SCST-rs developers",
    description: "SCST user space device handler interface",
    license: "GPL",
}

extern "C" {
    fn scst_user_cmd_timeout() -> core::ffi::c_uint;
}

/// Longest `cmd_timeout` taken (a week); larger values are cut to it.
const MAX_CMD_TIMEOUT: u32 = 7 * 24 * 3600;

/// The `cmd_timeout` parameter, in seconds.
fn cmd_timeout() -> u32 {
    // SAFETY: reads a module parameter; no precondition.
    unsafe { scst_user_cmd_timeout() }.min(MAX_CMD_TIMEOUT)
}

struct ScstUser {
    _node: MiscDevice<file::UserFile>,
}

impl kernel::Module for ScstUser {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let node = MiscDevice::register(c_str!("scst_user"), 0o600, module, module)?;
        pr_info!(
            "/dev/{} ready, interface \"{}\"\n",
            abi::DEV_USER_NAME,
            abi::DEV_USER_VERSION
        );
        Ok(Self { _node: node })
    }
}
