//! vdisk's parameter lists (handlers/vdisk/scsi.rs): MODE SELECT(6/10)
//! and UNMAP, and the CDB side of COMPARE AND WRITE and WRITE SAME(10/16)
//! (extent, transfer and range checks, against core/cdb.rs's lengths).
//! The split of COMPARE AND WRITE's data and WRITE SAME's block are in
//! handlers/vdisk/io.rs, kernel-only (see docs/fuzzing.md).
//! Input: an options byte, a 16-byte CDB, then the parameter list.
#![no_main]
use libfuzzer_sys::fuzz_target;
use scst_fuzz::{Input, BLOCK_SIZES};
use scst_host::cdb;
use scst_host::scst_rs::scsi::{Sense, SenseKey};
use scst_host::vdisk::scsi::{self, Disk, Extent};

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let opts = input.byte();
    let mut c = [0u8; 16];
    c.copy_from_slice(&{
        let mut v = input.take(16).to_vec();
        v.resize(16, 0);
        v
    });
    let list = input.rest();
    // At most a loff_t's worth of 512-byte blocks.
    let blocks = [2048u64, 0, 1 << 40, i64::MAX as u64 / 512][usize::from(opts >> 4 & 3)];
    let bs = BLOCK_SIZES[usize::from(opts & 1)];
    let d = Disk {
        name: b"vm_disk1",
        vendor: b"SCST_FIO",
        blocks,
        block_size: bs,
        read_only: false,
        removable: false,
        wce: opts & 2 != 0,
        wce_changeable: opts & 4 != 0,
        thin: true,
        zeroes_after_unmap: true,
        max_transfer_blocks: 65536,
        opt_transfer_blocks: 8192,
        non_rotational: false,
    };

    // MODE SELECT: only WCE may change, and only if changeable.
    let ten = opts & 8 != 0;
    match scsi::mode_select(&c, &d, ten, list) {
        Ok(wce) => {
            assert!(wce == d.wce || d.wce_changeable);
            assert!(c[1] & 0x10 != 0 && c[1] & 1 == 0);
        }
        Err(s) => assert!(s.key == SenseKey::ILLEGAL_REQUEST, "{:?}", s),
    }

    // UNMAP: every range checked before any is deallocated.
    let mut calls = Vec::new();
    let fail_at = usize::from(opts >> 6);
    let r = scsi::unmap_descriptors(list, blocks, |lba, n| {
        calls.push((lba, n));
        if calls.len() == fail_at + 1 && opts & 0x80 != 0 {
            return Err(Sense::WRITE_ERROR);
        }
        Ok(())
    });
    match r {
        Ok(()) => assert!(calls.len() <= scsi::MAX_UNMAP_DESCRIPTORS as usize),
        Err(Sense::WRITE_ERROR) => assert_eq!(calls.len(), fail_at + 1),
        Err(_) => assert!(
            calls.is_empty(),
            "checks failed after deallocating {:?}",
            calls
        ),
    }
    let total: u64 = calls.iter().map(|&(_, n)| n).sum();
    assert!(total <= scsi::MAX_UNMAP_BLOCKS);
    for &(lba, n) in &calls {
        assert!(
            n > 0
                && scsi::check_range(
                    Extent {
                        lba,
                        blocks: n,
                        fua: false
                    },
                    blocks
                )
                .is_ok()
        );
    }

    // COMPARE AND WRITE (0x89) and WRITE SAME(10/16) (0x41, 0x93): the
    // CDB's extent, and the data core/cdb.rs says comes with it.
    let op = [0x89, 0x41, 0x93, c[0]][usize::from(opts >> 1 & 3)];
    c[0] = op;
    let Some(e) = scsi::extent(&c) else { return };
    let _ = scsi::check_range(e, blocks);
    let _ = scsi::protection_requested(&c);
    let max = 65536 * bs.max(1);
    let transfer = scsi::check_transfer(&c, bs, max);
    if let Ok(dec) = cdb::decode(&c, 0, bs) {
        match op {
            0x89 => {
                assert_eq!(e.blocks, u64::from(c[13]));
                assert_eq!(
                    Some(dec.transfer_len),
                    (2 * e.blocks).checked_mul(u64::from(bs))
                );
                assert_eq!(transfer.is_ok(), dec.transfer_len <= u64::from(max));
                assert!(dec.flags & cdb::EXACT_LENGTH != 0);
            }
            0x41 | 0x93 => {
                assert!(transfer.is_ok());
                let ndob = op == 0x93 && c[1] & 1 != 0;
                assert_eq!(dec.transfer_len, if ndob { 0 } else { u64::from(bs) });
            }
            _ => {}
        }
    }
});
