//! The SBC command set on a backing file: the same commands scst_vdisk's
//! FILEIO serves, with the replies built by the code they share
//! (`handlers/vdisk/scsi.rs`).

use scst_host::scsi::bytes::byte;
use scst_host::scsi::op;
use scst_host::scsi::Sense;
use scst_host::vdisk::scsi::{self, Disk as Desc};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// How the file is served.
pub struct Flags {
    pub read_only: bool,
    pub write_through: bool,
    pub nv_cache: bool,
    pub nullio: bool,
    pub direct: bool,
}

/// A disk on a file.
pub struct Disk {
    file: File,
    name: String,
    pub block_size: u32,
    blocks: u64,
    flags: Flags,
    /// Write cache on (MODE SELECT may turn it off unless fixed).
    wce: AtomicBool,
    /// COMPARE AND WRITE is atomic against itself.
    caw: Mutex<()>,
}

/// Largest transfer, in bytes (VPD 0xB0), as vdisk's.
const MAX_TRANSFER: u32 = 8 << 20;

/// What a command left for the reply: the bytes of data it returns.
pub type Done = Result<usize, Sense>;

impl Disk {
    pub fn new(file: File, name: &str, block_size: u32, flags: Flags) -> io::Result<Disk> {
        let size = file.metadata()?.len();
        let blocks = size / u64::from(block_size);
        if blocks == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("smaller than one {}-byte block", block_size),
            ));
        }
        let wce = !flags.write_through;
        Ok(Disk {
            file,
            name: name.to_string(),
            block_size,
            blocks,
            flags,
            wce: AtomicBool::new(wce),
            caw: Mutex::new(()),
        })
    }

    pub fn blocks(&self) -> u64 {
        self.blocks
    }

    fn describe(&self) -> Desc<'_> {
        Desc {
            name: self.name.as_bytes(),
            vendor: b"SCST_USR",
            blocks: self.blocks,
            block_size: self.block_size,
            read_only: self.flags.read_only,
            removable: false,
            wce: self.wce.load(Ordering::Relaxed),
            wce_changeable: !self.flags.nv_cache && !self.flags.write_through,
            thin: !self.flags.nullio,
            zeroes_after_unmap: true,
            max_transfer_blocks: MAX_TRANSFER / self.block_size,
            opt_transfer_blocks: (1 << 20) / self.block_size,
            non_rotational: true,
        }
    }

    /// Executes `cdb` with the command's data buffer `data` (what was
    /// written, or room for what is read).
    pub fn exec(&self, cdb: &[u8], data: &mut [u8]) -> Done {
        let opcode = byte(cdb, 0);
        if writes_medium(opcode) && self.flags.read_only {
            return Err(Sense::WRITE_PROTECTED);
        }
        if scsi::protection_requested(cdb) {
            return Err(Sense::INVALID_FIELD_IN_CDB);
        }
        let d = self.describe();
        match opcode {
            op::READ_6 | op::READ_10 | op::READ_12 | op::READ_16 => self.read(cdb, data),
            op::WRITE_6 | op::WRITE_10 | op::WRITE_12 | op::WRITE_16 => self.write(cdb, data),
            op::WRITE_AND_VERIFY_10 | op::WRITE_AND_VERIFY_12 | op::WRITE_AND_VERIFY_16 => {
                self.write(cdb, data)
            }
            op::VERIFY_10 | op::VERIFY_12 | op::VERIFY_16 => self.verify(cdb, data),
            op::WRITE_SAME_10 | op::WRITE_SAME_16 => self.write_same(cdb, data),
            op::UNMAP => self.unmap(data),
            op::COMPARE_AND_WRITE => self.compare_and_write(cdb, data),
            op::SYNCHRONIZE_CACHE_10 | op::SYNCHRONIZE_CACHE_16 => self.flush().map(|()| 0),
            op::TEST_UNIT_READY | op::START_STOP_UNIT | op::SEEK_10 => Ok(0),
            op::PREVENT_ALLOW_MEDIUM_REMOVAL => Ok(0),
            op::PRE_FETCH_10 | op::PRE_FETCH_16 => {
                let e = scsi::extent(cdb).ok_or(Sense::INVALID_OPCODE)?;
                scsi::check_prefetch(e, self.blocks).map(|()| 0)
            }
            op::INQUIRY => cut(scsi::be(cdb, 3, 2), scsi::inquiry(cdb, &d, 0, data)),
            op::REQUEST_SENSE => cut(scsi::be(cdb, 4, 1), Ok(scsi::request_sense(data))),
            op::MAINTENANCE_IN => cut(
                scsi::be(cdb, 6, 4),
                scsi::report_opcodes(cdb, scsi::DISK_OPCODES, data),
            ),
            op::READ_CAPACITY_10 => cut(8, scsi::read_capacity(cdb, &d, false, data)),
            op::SERVICE_ACTION_IN_16 if byte(cdb, 1) & 0x1f == op::SA_READ_CAPACITY_16 => cut(
                scsi::be(cdb, 10, 4),
                scsi::read_capacity(cdb, &d, true, data),
            ),
            op::MODE_SENSE_6 => cut(scsi::be(cdb, 4, 1), scsi::mode_sense(cdb, &d, false, data)),
            op::MODE_SENSE_10 => cut(scsi::be(cdb, 7, 2), scsi::mode_sense(cdb, &d, true, data)),
            op::MODE_SELECT_6 | op::MODE_SELECT_10 => {
                let ten = opcode == op::MODE_SELECT_10;
                let wce = scsi::mode_select(cdb, &d, ten, data)?;
                // Going write-through: what the cache holds goes now.
                if self.wce.swap(wce, Ordering::SeqCst) && !wce {
                    self.flush()?;
                }
                Ok(0)
            }
            _ => Err(Sense::INVALID_OPCODE),
        }
    }

    /// The checked byte range of a block command: (offset, length, FUA).
    fn range(&self, cdb: &[u8]) -> Result<(u64, u64, bool), Sense> {
        let e = scsi::extent(cdb).ok_or(Sense::INVALID_OPCODE)?;
        scsi::check_range(e, self.blocks)?;
        let bs = u64::from(self.block_size);
        Ok((e.lba * bs, e.blocks * bs, e.fua))
    }

    fn read(&self, cdb: &[u8], data: &mut [u8]) -> Done {
        let (pos, len, _) = self.range(cdb)?;
        let n = (len as usize).min(data.len());
        let buf = &mut data[..n];
        if self.flags.nullio {
            return Ok(n);
        }
        self.file.read_exact_at(buf, pos).map_err(|e| {
            crate::err!("read of {} bytes at {}: {}", n, pos, e);
            Sense::UNRECOVERED_READ_ERROR
        })?;
        Ok(n)
    }

    /// Whether a write must reach the medium before it is answered.
    fn durable(&self, fua: bool) -> bool {
        !self.flags.nv_cache
            && (fua || self.flags.write_through || !self.wce.load(Ordering::Relaxed))
    }

    fn write_at(&self, buf: &[u8], pos: u64, durable: bool) -> Result<(), Sense> {
        if self.flags.nullio {
            return Ok(());
        }
        self.file.write_all_at(buf, pos).map_err(|e| {
            crate::err!("write of {} bytes at {}: {}", buf.len(), pos, e);
            Sense::WRITE_ERROR
        })?;
        if durable {
            self.file.sync_data().map_err(|e| {
                crate::err!("sync after a write at {}: {}", pos, e);
                Sense::WRITE_ERROR
            })?;
        }
        Ok(())
    }

    fn write(&self, cdb: &[u8], data: &mut [u8]) -> Done {
        let (pos, len, fua) = self.range(cdb)?;
        // An initiator may send less than the CDB says: only what came,
        // in whole blocks, is written (the residual tells), as vdisk.
        let n = (len as usize).min(data.len());
        let n = n - n % self.block_size as usize;
        self.write_at(&data[..n], pos, self.durable(fua))?;
        Ok(0)
    }

    fn flush(&self) -> Result<(), Sense> {
        if self.flags.nullio || self.flags.nv_cache {
            return Ok(());
        }
        self.file.sync_data().map_err(|e| {
            crate::err!("flush: {}", e);
            Sense::WRITE_ERROR
        })
    }

    /// Compares the medium at `pos` with `want` (MISCOMPARE with the
    /// offset of the first difference).
    fn compare(&self, pos: u64, want: &[u8]) -> Result<(), Sense> {
        let mut have = vec![0u8; want.len()];
        if !self.flags.nullio {
            self.file
                .read_exact_at(&mut have, pos)
                .map_err(|_| Sense::UNRECOVERED_READ_ERROR)?;
        }
        match have.iter().zip(want).position(|(a, b)| a != b) {
            Some(i) => Err(Sense::miscompare(i as u64)),
            None => Ok(()),
        }
    }

    fn verify(&self, cdb: &[u8], data: &mut [u8]) -> Done {
        let (pos, len, _) = self.range(cdb)?;
        match (byte(cdb, 1) >> 1) & 0x03 {
            0 => Ok(0),
            1 => {
                let n = (len as usize).min(data.len());
                self.compare(pos, &data[..n]).map(|()| 0)
            }
            _ => Err(Sense::INVALID_FIELD_IN_CDB),
        }
    }

    fn compare_and_write(&self, cdb: &[u8], data: &mut [u8]) -> Done {
        let (pos, len, fua) = self.range(cdb)?;
        let n = len as usize;
        if n == 0 {
            return Ok(0);
        }
        let verify = data.get(..n).ok_or(Sense::INTERNAL_TARGET_FAILURE)?;
        let write = data.get(n..2 * n).ok_or(Sense::INTERNAL_TARGET_FAILURE)?;
        let _g = self
            .caw
            .lock()
            .map_err(|_| Sense::INTERNAL_TARGET_FAILURE)?;
        self.compare(pos, verify)?;
        self.write_at(write, pos, self.durable(fua))?;
        Ok(0)
    }

    fn punch(&self, pos: u64, len: u64) -> Result<(), Sense> {
        if self.flags.nullio {
            return Ok(());
        }
        use nix::fcntl::{fallocate, FallocateFlags};
        let mode = FallocateFlags::FALLOC_FL_PUNCH_HOLE | FallocateFlags::FALLOC_FL_KEEP_SIZE;
        fallocate(self.file.as_fd(), mode, pos as i64, len as i64).map_err(|e| {
            crate::err!("punching {} bytes at {}: {}", len, pos, e);
            Sense::WRITE_ERROR
        })
    }

    fn unmap(&self, data: &mut [u8]) -> Done {
        let bs = u64::from(self.block_size);
        scsi::unmap_descriptors(data, self.blocks, |lba, n| self.punch(lba * bs, n * bs))?;
        Ok(0)
    }

    fn write_same(&self, cdb: &[u8], data: &mut [u8]) -> Done {
        let (pos, len, _) = self.range(cdb)?;
        let bs = self.block_size as usize;
        let blocks = len / bs as u64;
        if byte(cdb, 1) & 0x16 != 0 || blocks == 0 || blocks > scsi::MAX_WRITE_SAME_BLOCKS {
            return Err(Sense::INVALID_FIELD_IN_CDB);
        }
        let unmap = byte(cdb, 1) & 0x08 != 0;
        let ndob = byte(cdb, 0) == op::WRITE_SAME_16 && byte(cdb, 1) & 0x01 != 0;
        let zero = vec![0u8; bs];
        let block = if ndob {
            &zero[..]
        } else {
            data.get(..bs).ok_or(Sense::PARAMETER_LIST_LENGTH_ERROR)?
        };
        if unmap && block.iter().all(|&b| b == 0) {
            self.punch(pos, len)?;
            return Ok(0);
        }
        let per = (1usize << 20) / bs;
        let chunk: Vec<u8> = block
            .iter()
            .copied()
            .cycle()
            .take(per.max(1) * bs)
            .collect();
        let mut done = 0u64;
        while done < len {
            let n = ((len - done) as usize).min(chunk.len());
            self.write_at(&chunk[..n], pos + done, false)?;
            done += n as u64;
        }
        if self.durable(false) {
            self.flush()?;
        }
        Ok(0)
    }
}

/// The commands that change the medium.
fn writes_medium(opcode: u8) -> bool {
    op::is_write(opcode)
        || matches!(
            opcode,
            op::WRITE_AND_VERIFY_10
                | op::WRITE_AND_VERIFY_12
                | op::WRITE_AND_VERIFY_16
                | op::WRITE_SAME_10
                | op::WRITE_SAME_16
                | op::UNMAP
                | op::COMPARE_AND_WRITE
        )
}

/// A reply cut to the allocation length.
fn cut(alloc: u64, r: Result<usize, Sense>) -> Done {
    r.map(|n| n.min(usize::try_from(alloc).unwrap_or(usize::MAX)))
}
