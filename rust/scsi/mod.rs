// SPDX-License-Identifier: GPL-2.0

//! The SCSI vocabulary every module of the suite speaks: status and sense
//! data (`sense`), operation codes (`op`), peripheral device types
//! (`device_type`), and big-endian field access (`bytes`).  `no_std`, no
//! allocation; the host crate (tests/host) builds it for `cargo test` and
//! the fuzzers, under the same path (`scst_rs::scsi`).

pub mod bytes;
pub mod op;
pub mod sense;

// Not every module uses all three.
#[allow(unused_imports)]
pub use sense::{Sense, SenseKey, Status};

/// Peripheral device types (SPC-4 table 49): INQUIRY byte 0, and the type
/// a device handler serves.
pub mod device_type {
    pub const DISK: u8 = 0x00;
    pub const TAPE: u8 = 0x01;
    pub const PROCESSOR: u8 = 0x03;
    /// Write-once (SBC).
    pub const WORM: u8 = 0x04;
    pub const CDROM: u8 = 0x05;
    /// Optical memory (SBC).
    pub const OPTICAL: u8 = 0x07;
    /// Medium changer (SMC).
    pub const CHANGER: u8 = 0x08;
    /// Storage array controller (SCC).
    pub const RAID: u8 = 0x0c;
    /// Enclosure services (SES).
    pub const ENCLOSURE: u8 = 0x0d;
    /// Simplified direct access (RBC).
    pub const RBC: u8 = 0x0e;
}
