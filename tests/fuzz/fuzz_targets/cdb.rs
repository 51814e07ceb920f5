//! The CDB decoder (core/cdb.rs) for every peripheral device type and
//! block size, checked against itself (bytes after the command's length
//! do not matter), against vdisk's own READ/WRITE extent decoder, and
//! the LUN field codec (core/lun.rs).  Input: device type, block size
//! selector, then the CDB.
#![no_main]
use libfuzzer_sys::fuzz_target;
use scst_fuzz::{Input, BLOCK_SIZES};
use scst_host::cdb::{self, DecodeError, Direction};
use scst_host::lun;
use scst_host::vdisk::scsi;

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let dev_type = input.byte() & 0x1f;
    let bs = BLOCK_SIZES[usize::from(input.byte() & 7)];
    let c = input.rest();

    let r = cdb::decode(c, dev_type, bs);
    match r {
        Ok(d) => {
            let need = cdb::cdb_len(d.opcode).expect("decoded opcodes have a group length");
            assert!(d.opcode == c[0] && c.len() >= need);
            // Padding after the command changes nothing.
            assert_eq!(cdb::decode(&c[..need], dev_type, bs), r);
            if d.flags & cdb::UNKNOWN_LENGTH == 0 {
                assert_eq!(
                    d.transfer_len == 0,
                    d.direction == Direction::None,
                    "{:?}",
                    d
                );
            } else {
                assert_eq!(d.transfer_len, 0);
            }
            if d.flags & cdb::FUA != 0 {
                assert!(c[1] & 0x08 != 0);
            }
            // vdisk's READ and WRITE extents say the same.
            if dev_type == 0 && (cdb::is_read(d.opcode) || cdb::is_write(d.opcode)) {
                let e = scsi::extent(c).expect("READ/WRITE has an extent");
                assert_eq!(
                    Some(d.transfer_len),
                    e.blocks.checked_mul(u64::from(bs)),
                    "{:?} {:?}",
                    d,
                    e
                );
                let dir = if cdb::is_read(d.opcode) {
                    Direction::Read
                } else {
                    Direction::Write
                };
                assert!(d.direction == dir || d.transfer_len == 0);
            }
        }
        Err(DecodeError::Empty) => assert!(c.is_empty()),
        Err(DecodeError::TooShort { need, got, .. }) => assert!(got == c.len() && need > got),
        Err(DecodeError::InvalidField { byte, .. }) => assert!(byte < c.len()),
        Err(DecodeError::UnknownOpcode(op) | DecodeError::WrongDeviceType { opcode: op, .. }) => {
            assert_eq!(op, c[0])
        }
    }
    if let Err(e) = r {
        let _ = e.to_string();
    }

    // A LUN field (the CDB's bytes as an 8-byte LUN).
    if let Ok(l) = lun::decode(c) {
        let raw = lun::encode(l).expect("a decoded LUN encodes");
        assert_eq!(lun::decode(&raw), Ok(l));
        if c[0] >> 6 == 0 {
            assert_eq!(&raw[..], &c[..8]);
        }
    }
});
