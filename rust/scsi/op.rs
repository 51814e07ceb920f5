// SPDX-License-Identifier: GPL-2.0

//! Operation codes (byte 0 of a CDB) and service actions, named as T10
//! spells them (SPC-4, SBC-3, SSC-3, MMC-5, SMC-3).  One code can name
//! different commands on different device types (0x01 is REWIND on tape
//! and REZERO UNIT on a disk); each gets its own name here.  The decoding
//! table of every command is core/cdb.rs.

pub const TEST_UNIT_READY: u8 = 0x00;
/// REWIND (tape).
pub const REWIND: u8 = 0x01;
pub const REQUEST_SENSE: u8 = 0x03;
/// FORMAT UNIT (disk), FORMAT MEDIUM (tape).
pub const FORMAT_UNIT: u8 = 0x04;
pub const READ_BLOCK_LIMITS: u8 = 0x05;
/// INITIALIZE ELEMENT STATUS (changer).
pub const INITIALIZE_ELEMENT_STATUS: u8 = 0x07;
pub const READ_6: u8 = 0x08;
pub const WRITE_6: u8 = 0x0a;
pub const WRITE_FILEMARKS_6: u8 = 0x10;
pub const SPACE_6: u8 = 0x11;
pub const INQUIRY: u8 = 0x12;
/// VERIFY(6) (tape).
pub const VERIFY_6: u8 = 0x13;
pub const MODE_SELECT_6: u8 = 0x15;
pub const RESERVE_6: u8 = 0x16;
pub const RELEASE_6: u8 = 0x17;
/// ERASE(6) (tape).
pub const ERASE_6: u8 = 0x19;
pub const MODE_SENSE_6: u8 = 0x1a;
/// START STOP UNIT (disk, CD-ROM).
pub const START_STOP_UNIT: u8 = 0x1b;
/// LOAD UNLOAD (tape).
pub const LOAD_UNLOAD: u8 = 0x1b;
pub const RECEIVE_DIAGNOSTIC_RESULTS: u8 = 0x1c;
pub const SEND_DIAGNOSTIC: u8 = 0x1d;
pub const PREVENT_ALLOW_MEDIUM_REMOVAL: u8 = 0x1e;
pub const READ_FORMAT_CAPACITIES: u8 = 0x23;
pub const READ_CAPACITY_10: u8 = 0x25;
pub const READ_10: u8 = 0x28;
pub const WRITE_10: u8 = 0x2a;
/// SEEK(10) (disk).
pub const SEEK_10: u8 = 0x2b;
/// LOCATE(10) (tape).
pub const LOCATE_10: u8 = 0x2b;
/// POSITION TO ELEMENT (changer).
pub const POSITION_TO_ELEMENT: u8 = 0x2b;
pub const WRITE_AND_VERIFY_10: u8 = 0x2e;
pub const VERIFY_10: u8 = 0x2f;
/// PRE-FETCH(10) (disk), READ POSITION (tape).
pub const PRE_FETCH_10: u8 = 0x34;
pub const SYNCHRONIZE_CACHE_10: u8 = 0x35;
/// INITIALIZE ELEMENT STATUS WITH RANGE (changer).
pub const INITIALIZE_ELEMENT_STATUS_WITH_RANGE: u8 = 0x37;
pub const WRITE_BUFFER: u8 = 0x3b;
pub const READ_BUFFER: u8 = 0x3c;
pub const WRITE_SAME_10: u8 = 0x41;
/// UNMAP (disk); READ SUB-CHANNEL on a CD-ROM.
pub const UNMAP: u8 = 0x42;
pub const READ_TOC: u8 = 0x43;
pub const GET_CONFIGURATION: u8 = 0x46;
pub const GET_EVENT_STATUS_NOTIFICATION: u8 = 0x4a;
pub const LOG_SELECT: u8 = 0x4c;
pub const LOG_SENSE: u8 = 0x4d;
pub const READ_DISC_INFORMATION: u8 = 0x51;
/// CLOSE TRACK/SESSION (CD-ROM).
pub const CLOSE_TRACK: u8 = 0x5b;
pub const MODE_SELECT_10: u8 = 0x55;
pub const RESERVE_10: u8 = 0x56;
pub const RELEASE_10: u8 = 0x57;
pub const MODE_SENSE_10: u8 = 0x5a;
pub const PERSISTENT_RESERVE_IN: u8 = 0x5e;
pub const PERSISTENT_RESERVE_OUT: u8 = 0x5f;
/// WRITE FILEMARKS(16) (tape).
pub const WRITE_FILEMARKS_16: u8 = 0x80;
pub const READ_16: u8 = 0x88;
pub const COMPARE_AND_WRITE: u8 = 0x89;
pub const WRITE_16: u8 = 0x8a;
pub const WRITE_AND_VERIFY_16: u8 = 0x8e;
pub const VERIFY_16: u8 = 0x8f;
pub const PRE_FETCH_16: u8 = 0x90;
pub const SYNCHRONIZE_CACHE_16: u8 = 0x91;
/// SPACE(16) (tape).
pub const SPACE_16: u8 = 0x91;
/// LOCATE(16) (tape).
pub const LOCATE_16: u8 = 0x92;
pub const WRITE_SAME_16: u8 = 0x93;
/// ERASE(16) (tape).
pub const ERASE_16: u8 = 0x93;
/// SERVICE ACTION IN(16): READ CAPACITY(16), GET LBA STATUS, ...
pub const SERVICE_ACTION_IN_16: u8 = 0x9e;
pub const REPORT_LUNS: u8 = 0xa0;
/// BLANK (CD-ROM).
pub const BLANK: u8 = 0xa1;
/// MAINTENANCE IN: REPORT SUPPORTED OPERATION CODES, REPORT TARGET PORT
/// GROUPS, ...
pub const MAINTENANCE_IN: u8 = 0xa3;
/// MOVE MEDIUM (changer).
pub const MOVE_MEDIUM: u8 = 0xa5;
/// EXCHANGE MEDIUM (changer).
pub const EXCHANGE_MEDIUM: u8 = 0xa6;
pub const READ_12: u8 = 0xa8;
pub const WRITE_12: u8 = 0xaa;
pub const WRITE_AND_VERIFY_12: u8 = 0xae;
pub const VERIFY_12: u8 = 0xaf;
/// SET CD SPEED (CD-ROM).
pub const SET_CD_SPEED: u8 = 0xbb;
/// READ ELEMENT STATUS (changer).
pub const READ_ELEMENT_STATUS: u8 = 0xb8;
/// The first vendor-specific code; 0xc0..=0xff are all vendor specific.
pub const FIRST_VENDOR_SPECIFIC: u8 = 0xc0;

/// SERVICE ACTION IN(16) service action: READ CAPACITY(16).
pub const SA_READ_CAPACITY_16: u8 = 0x10;
/// MAINTENANCE IN service action: REPORT SUPPORTED OPERATION CODES.
pub const SA_REPORT_SUPPORTED_OPCODES: u8 = 0x0c;

/// READ(6/10/12/16).
pub fn is_read(op: u8) -> bool {
    matches!(op, READ_6 | READ_10 | READ_12 | READ_16)
}

/// WRITE(6/10/12/16).
pub fn is_write(op: u8) -> bool {
    matches!(op, WRITE_6 | WRITE_10 | WRITE_12 | WRITE_16)
}
