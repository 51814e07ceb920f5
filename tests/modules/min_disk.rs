// SPDX-License-Identifier: GPL-2.0

//! scst_min_disk: a minimal handler on rust/api's `DevHandler`: "min_disk",
//! one 1 GiB disk, "min0", that reads zeroes (the core's cleared buffer).

use kernel::{c_str, prelude::*};

#[path = "../../rust/mod.rs"]
mod scst_rs;

use scst_rs::api::handler::*;
use scst_rs::scsi::{bytes::put_be, device_type, op, Sense};

module! {
    type: MinDisk,
    name: "scst_min_disk",
    author: "SCST-rs developers",
    description: "Minimal SCST device handler: a 1 GiB NULLIO-like disk",
    license: "GPL",
}

struct Handler;

#[vtable]
impl DevHandler for Handler {
    type DevData = ();
    const VIRTUAL: bool = true;

    fn attach(_dev: &DevRef) -> Result {
        Ok(())
    }

    fn parse(cmd: &Cmd, _dev: ()) -> Result {
        // The core allocates a (cleared) buffer as long as the CDB says.
        cmd.decode(512)
    }

    fn exec(mut cmd: Cmd, _dev: ()) -> Exec {
        let opcode = cmd.cdb().first().copied().unwrap_or(0);
        let evpd = cmd.cdb().get(1).is_some_and(|b| b & 1 != 0);
        let buf = cmd.buffer();
        let len = match opcode {
            op::INQUIRY if !evpd => {
                let std = *b"\0\0\x06\x02\x1f\0\0\0SCST_RS min_disk        0001";
                scst_rs::vec::copy_prefix(buf, &std)
            }
            op::READ_CAPACITY_10 => {
                put_be(buf, 0, 4, (1 << 21) - 1);
                put_be(buf, 4, 4, 512);
                8
            }
            op::READ_10 | op::READ_16 => buf.len(),
            op::TEST_UNIT_READY | op::WRITE_10 | op::WRITE_16 | op::SYNCHRONIZE_CACHE_10 => 0,
            _ => {
                cmd.fail(Sense::INVALID_OPCODE);
                return Exec::Done(cmd);
            }
        };
        cmd.set_resp_len(u32::try_from(len).unwrap_or(u32::MAX));
        Exec::Done(cmd)
    }
}

struct MinDisk {
    // Dropped in this order: the device, then the handler.
    _dev: VirtualDevice,
    _handler: Registration<Handler>,
}

impl kernel::Module for MinDisk {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let handler = Registration::new(c_str!("min_disk"), device_type::DISK, module)?;
        Ok(MinDisk {
            _dev: handler.add_virtual_device(c_str!("min0"))?,
            _handler: handler,
        })
    }
}
