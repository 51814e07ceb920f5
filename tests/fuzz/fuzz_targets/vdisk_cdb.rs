//! vdisk's replies to the CDBs it answers without I/O
//! (handlers/vdisk/scsi.rs, mmc.rs): INQUIRY and VPD pages, READ
//! CAPACITY, MODE SENSE, REPORT SUPPORTED OPERATION CODES, and the
//! CD-ROM's READ TOC, GET CONFIGURATION, GET EVENT STATUS, READ DISC
//! INFORMATION and START STOP UNIT, into buffers of any size.
//! Input: an options byte, then the CDB.
#![no_main]
use libfuzzer_sys::fuzz_target;
use scst_fuzz::Input;
use scst_host::vdisk::mmc::{self, Disc};
use scst_host::vdisk::scsi::{self, Disk};

/// The most blocks a device can have: a backing file's size is a loff_t
/// (i64), divided by the smallest block size.
const MAX_BLOCKS: u64 = i64::MAX as u64 / 512;

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let opts = input.byte();
    let c = input.rest();
    let d = Disk {
        name: b"vm_disk1",
        vendor: b"SCST_FIO",
        blocks: [2048u64, 0, 1 << 40, MAX_BLOCKS][usize::from(opts & 3)],
        block_size: [512, 4096][usize::from(opts >> 2 & 1)],
        read_only: opts & 8 != 0,
        removable: opts & 16 != 0,
        wce: true,
        wce_changeable: true,
        thin: opts & 32 != 0,
        zeroes_after_unmap: true,
        max_transfer_blocks: 65536,
        opt_transfer_blocks: 8192,
        non_rotational: false,
    };
    let disc = Disc {
        blocks: (opts & 64 == 0).then_some(d.blocks),
        new_medium: opts & 128 != 0,
        prevented: opts & 1 != 0,
    };
    for size in [0usize, 7, 4096] {
        let mut out = vec![0xa5u8; size];
        let _ = scsi::inquiry(c, &d, 0, &mut out);
        let _ = scsi::read_capacity(c, &d, opts & 1 != 0, &mut out);
        let _ = scsi::mode_sense(c, &d, opts & 2 != 0, &mut out);
        let _ = scsi::report_opcodes(c, scsi::DISK_OPCODES, &mut out);
        let _ = scsi::report_opcodes(c, mmc::CDROM_OPCODES, &mut out);
        let _ = mmc::read_toc(c, d.blocks, &mut out);
        let _ = mmc::get_configuration(c, &disc, &mut out);
        let _ = mmc::event_status(c, &disc, &mut out);
        let _ = mmc::disc_information(c, &mut out);
        let _ = mmc::mode_sense(c, &disc, opts & 2 != 0, &mut out);
        // Replies are built whole: a bigger buffer holds the same start.
        if size == 4096 {
            let mut small = [0u8; 7];
            if let (Ok(n), Ok(m)) = (
                scsi::inquiry(c, &d, 0, &mut small),
                scsi::inquiry(c, &d, 0, &mut out),
            ) {
                assert_eq!(n, m);
                assert_eq!(small[..n.min(7)], out[..n.min(7)]);
            }
        }
    }
    let _ = mmc::start_stop(c, &disc);
    let _ = scsi::check_transfer(c, d.block_size, 65536 * d.block_size);
    if let Some(e) = scsi::extent(c) {
        if scsi::check_range(e, d.blocks).is_ok() {
            assert!(e
                .lba
                .checked_add(e.blocks)
                .is_some_and(|end| end <= d.blocks));
        }
        let _ = scsi::check_prefetch(e, d.blocks);
    }
});
