// SPDX-License-Identifier: GPL-2.0

//! A virtual disk or CD-ROM: its backing store and the state its commands
//! share.

use crate::commands::{self, Kind};
use crate::scsi;
use crate::scst_rs::blockio::BlockDev;
use crate::scst_rs::file::{File, OpenFlags};
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use kernel::{
    fmt, new_mutex, new_spinlock,
    prelude::*,
    str::CStr,
    str::CString,
    sync::{Arc, Mutex, SpinLock},
};

/// NULLIO devices' size, as SCST's: 1.5 TiB.
pub(crate) const NULLIO_SIZE: u64 = 3 << 39;

/// Where the blocks are.
pub(crate) enum Backing {
    /// FILEIO: a file or block device node, through the page cache (or
    /// O_DIRECT).
    File(File),
    /// BLOCKIO: bios to the device; `direct` is the same device opened
    /// O_DIRECT, for the few commands done synchronously (COMPARE AND
    /// WRITE, WRITE SAME, VERIFY with data), consistent with the bios.
    Block { dev: BlockDev, direct: File },
    /// NULLIO: nothing.
    Null,
    /// A vcdrom without a medium.
    NoMedium,
}

/// The medium: backing store and size, replaced as a whole by `change`.
pub(crate) struct Medium {
    pub(crate) backing: Backing,
    pub(crate) path: Option<CString>,
    pub(crate) blocks: u64,
    /// READs (WRITEs) can be tried without waiting (`File::nowait`).
    pub(crate) reads_nowait: bool,
    pub(crate) writes_nowait: bool,
}

/// An open virtual device.
#[pin_data]
pub(crate) struct VDev {
    pub(crate) name: CString,
    pub(crate) kind: Kind,
    /// `commands::WRITE_THROUGH`, ...
    pub(crate) flags: u32,
    pub(crate) block_size: u32,
    /// The current medium.  A command takes a reference for its run; a
    /// vcdrom `change` swaps in a new one, and the old one is closed when
    /// its last command is done.
    #[pin]
    medium: SpinLock<Arc<Medium>>,
    /// Write cache enabled (MODE SELECT may change it).
    pub(crate) wce: AtomicBool,
    /// Writes in flight that saw `wce` on and go to the cache (see
    /// `start_write`).
    cached_writes: AtomicUsize,
    /// Serializes COMPARE AND WRITE.
    #[pin]
    pub(crate) caw: Mutex<()>,
    /// Serializes MODE SELECTs' changes of the write cache: one that turns
    /// it off returns only after its flush, and so does one that finds it
    /// off already because another is still flushing; and no MODE SELECT
    /// turns it on again while one waits for the cached writes.
    #[pin]
    pub(crate) cache_mode: Mutex<()>,
    /// The I_T nexuses (tokens from `attach_tgt`) whose PREVENT ALLOW
    /// MEDIUM REMOVAL prevents removal.  Removal is prevented while any
    /// does; a nexus' prevention ends with its ALLOW, its loss, or a LUN or
    /// target reset (SBC-3 5.14, MMC).
    #[pin]
    preventers: Mutex<KVec<usize>>,
    /// A medium was loaded that GET EVENT STATUS NOTIFICATION has not
    /// reported yet (vcdrom).
    pub(crate) new_medium: AtomicBool,
}

impl VDev {
    /// Opens device `name` as a `cmd` asked.  Logs why it cannot.
    pub(crate) fn open(
        kind: Kind,
        name: &str,
        path: Option<&str>,
        block_size: u32,
        flags: u32,
    ) -> Result<Pin<KBox<Self>>> {
        let block_size = if kind == Kind::Cdrom {
            2048
        } else {
            block_size
        };
        let path = path
            .map(|p| CString::try_from_fmt(fmt!("{}", p)))
            .transpose()?;
        let medium = Arc::new(
            open_medium(kind, name, path, block_size, flags)?,
            GFP_KERNEL,
        )?;
        let loaded = !matches!(medium.backing, Backing::NoMedium);
        let name = CString::try_from_fmt(fmt!("{}", name))?;
        // NV_CACHE and WRITE_THROUGH report write-through caching.
        let wce = flags & (commands::NV_CACHE | commands::WRITE_THROUGH) == 0;
        KBox::pin_init(
            try_pin_init!(VDev {
                name,
                kind,
                flags,
                block_size,
                medium <- new_spinlock!(medium),
                wce: AtomicBool::new(wce),
                cached_writes: AtomicUsize::new(0),
                caw <- new_mutex!(()),
                cache_mode <- new_mutex!(()),
                preventers <- new_mutex!(KVec::new()),
                new_medium: AtomicBool::new(loaded),
            }),
            GFP_KERNEL,
        )
    }

    /// Whether some I_T nexus prevents medium removal.
    pub(crate) fn prevented(&self) -> bool {
        !self.preventers.lock().is_empty()
    }

    /// PREVENT ALLOW MEDIUM REMOVAL from `nexus`.
    pub(crate) fn set_prevent(&self, nexus: usize, prevent: bool) -> Result {
        let mut p = self.preventers.lock();
        if !prevent {
            crate::scst_rs::vec::retain(&mut p, |&n| n != nexus);
        } else if !p.contains(&nexus) {
            p.push(nexus, GFP_KERNEL)?;
        }
        Ok(())
    }

    /// The current medium.
    pub(crate) fn medium(&self) -> Arc<Medium> {
        self.medium.lock().clone()
    }

    pub(crate) fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// READ and WRITE wait for no I/O: BLOCKIO submits bios and is called
    /// back, NULLIO does nothing.  FILEIO waits for the page cache.
    pub(crate) fn async_io(&self) -> bool {
        self.has(commands::BLOCKIO) || self.has(commands::NULLIO)
    }

    /// READs are tried without waiting and go to a thread only when they
    /// would wait (FILEIO through the page cache of a file system that
    /// tells: data already cached, or on tmpfs).  A vcdrom's next medium
    /// may allow it.
    pub(crate) fn tries_reads(&self) -> bool {
        !self.async_io()
            && !self.has(commands::O_DIRECT)
            && (self.kind == Kind::Cdrom || self.medium().reads_nowait)
    }

    /// WRITEs likewise: FILEIO through the page cache of tmpfs or of a file
    /// system that takes buffered writes with IOCB_NOWAIT (not ext4), not
    /// WRITE_THROUGH.  Durable ones (FUA; the write cache turned off) still
    /// go to a thread, which waits for their I/O.
    pub(crate) fn tries_writes(&self) -> bool {
        !self.async_io() && !self.has(commands::WRITE_THROUGH) && self.medium().writes_nowait
    }

    /// Whether `exec` may be called for a command with opcode `op` where
    /// it must not wait (a submitter): it then waits for no I/O, or asks
    /// for a thread.
    pub(crate) fn exec_nowait(&self, op: u8) -> bool {
        self.async_io()
            || (crate::scst_rs::scsi::op::is_read(op) && self.medium().reads_nowait)
            || (crate::scst_rs::scsi::op::is_write(op)
                && !self.sync_writes()
                && self.medium().writes_nowait)
    }

    /// Vendor id of INQUIRY: the mode, as SCST reports it.
    pub(crate) fn vendor(&self, m: &Medium) -> &'static [u8; 8] {
        match m.backing {
            Backing::Block { .. } => b"SCST_BIO",
            Backing::Null => b"SCST_NUL",
            _ => b"SCST_FIO",
        }
    }

    /// Writes are made durable before they are acknowledged.  (`SeqCst`:
    /// see `start_write`.)
    pub(crate) fn sync_writes(&self) -> bool {
        !self.has(commands::NV_CACHE)
            && (self.has(commands::WRITE_THROUGH) || !self.wce.load(Ordering::SeqCst))
    }

    /// Starts a write (`fua`: the CDB's FUA bit): whether it must be
    /// durable before it is acknowledged, and if it goes to the write
    /// cache, counted until it is in the cache.  A MODE SELECT that turns
    /// the cache off waits for the counted ones before its flush
    /// (`wait_cached_writes`), so that no write acknowledged after it
    /// returned is left in a cache it did not flush.
    pub(crate) fn start_write(&self, fua: bool) -> Write<'_> {
        let durable = |d: &Self| d.sync_writes() || (fua && !d.has(commands::NV_CACHE));
        if durable(self) {
            return Write { cached: None };
        }
        self.cached_writes.fetch_add(1, Ordering::SeqCst);
        // Looked at again after counting, both `SeqCst`, as MODE SELECT
        // stores `wce` before it reads the count: either this sees the
        // cache off, or MODE SELECT sees this write and waits for it.
        if durable(self) {
            self.cached_write_done();
            return Write { cached: None };
        }
        Write { cached: Some(self) }
    }

    /// A write counted by `start_write` is in the cache (or failed).
    pub(crate) fn cached_write_done(&self) {
        self.cached_writes.fetch_sub(1, Ordering::SeqCst);
    }

    /// Waits until no write that saw the write cache on is in flight.
    /// Writes starting now see it off and are not counted, so this ends
    /// once those in flight have reached the cache.
    pub(crate) fn wait_cached_writes(&self) {
        while self.cached_writes.load(Ordering::SeqCst) != 0 {
            crate::scst_rs::sys::sleep_ms(1);
        }
    }

    /// What the no-I/O replies say about the device.
    pub(crate) fn describe<'a>(&'a self, m: &'a Medium) -> scsi::Disk<'a> {
        // The backing's own transfer limit, in blocks (none but ours for
        // files).
        let (thin, zeroes, max) = match &m.backing {
            Backing::File(_) => (true, true, u32::MAX),
            Backing::Block { dev, .. } => (
                dev.can_discard(),
                false,
                dev.max_transfer()
                    .checked_div(self.block_size)
                    .unwrap_or(1)
                    .max(1),
            ),
            Backing::Null => (true, false, u32::MAX),
            Backing::NoMedium => (false, false, u32::MAX),
        };
        let max_bytes = crate::MAX_TRANSFER
            .checked_div(self.block_size)
            .unwrap_or(1);
        let opt_bytes = crate::OPT_TRANSFER
            .checked_div(self.block_size)
            .unwrap_or(1);
        scsi::Disk {
            name: self.name.as_bytes(),
            vendor: self.vendor(m),
            blocks: m.blocks,
            block_size: self.block_size,
            read_only: self.has(commands::READ_ONLY) || self.kind == Kind::Cdrom,
            removable: self.has(commands::REMOVABLE) || self.kind == Kind::Cdrom,
            wce: self.wce.load(Ordering::Relaxed),
            wce_changeable: !self.has(commands::NV_CACHE) && !self.has(commands::WRITE_THROUGH),
            thin: thin && !self.has(commands::READ_ONLY),
            zeroes_after_unmap: zeroes,
            max_transfer_blocks: max.min(max_bytes),
            opt_transfer_blocks: max.min(opt_bytes),
            non_rotational: matches!(m.backing, Backing::Null),
        }
    }

    /// Replaces a vcdrom's medium (`None`: eject).
    pub(crate) fn change(&self, path: Option<&str>) -> Result {
        let path = path
            .map(|p| CString::try_from_fmt(fmt!("{}", p)))
            .transpose()?;
        let new = Arc::new(
            open_medium(
                self.kind,
                self.name.to_str().unwrap_or("?"),
                path,
                self.block_size,
                self.flags,
            )?,
            GFP_KERNEL,
        )?;
        // The old medium is dropped outside the lock (closing may sleep).
        let loaded = !matches!(new.backing, Backing::NoMedium);
        let old = core::mem::replace(&mut *self.medium.lock(), new);
        drop(old);
        self.new_medium.store(loaded, Ordering::Relaxed);
        Ok(())
    }
}

fn open_medium(
    kind: Kind,
    name: &str,
    path: Option<CString>,
    block_size: u32,
    flags: u32,
) -> Result<Medium> {
    let Some(path) = path else {
        return Ok(Medium {
            backing: Backing::NoMedium,
            path: None,
            blocks: 0,
            reads_nowait: false,
            writes_nowait: false,
        });
    };
    let write = kind == Kind::Disk && flags & commands::READ_ONLY == 0;
    let (backing, bytes) = if flags & commands::NULLIO != 0 {
        (Backing::Null, NULLIO_SIZE)
    } else if flags & commands::BLOCKIO != 0 {
        open_block(name, &path, write, block_size)?
    } else {
        let how = OpenFlags {
            write,
            direct: flags & commands::O_DIRECT != 0,
            dsync: flags & commands::WRITE_THROUGH != 0,
        };
        let f = open_file(name, &path, how)?;
        let size = f.size();
        (Backing::File(f), size)
    };
    let blocks = bytes.checked_div(u64::from(block_size)).unwrap_or(0);
    if blocks == 0 {
        pr_err!(
            "{}: {} is smaller than one block of {} bytes\n",
            name,
            &*path,
            block_size
        );
        return Err(EINVAL);
    }
    let reads_nowait = matches!(&backing, Backing::File(f) if f.nowait(false));
    let writes_nowait = matches!(&backing, Backing::File(f) if f.nowait(true));
    Ok(Medium {
        backing,
        path: Some(path),
        blocks,
        reads_nowait,
        writes_nowait,
    })
}

fn open_file(name: &str, path: &CStr, how: OpenFlags) -> Result<File> {
    let f = File::open(path, how).map_err(|e| {
        if e == EISDIR {
            pr_err!("{}: {} is a directory\n", name, path);
            return EINVAL;
        }
        pr_err!("{}: cannot open {}: error {}\n", name, path, e.to_errno());
        e
    })?;
    if f.is_dir() {
        pr_err!("{}: {} is a directory\n", name, path);
        return Err(EINVAL);
    }
    Ok(f)
}

fn open_block(name: &str, path: &CStr, write: bool, block_size: u32) -> Result<(Backing, u64)> {
    let dev = BlockDev::open(path, write).map_err(|e| {
        pr_err!(
            "{}: cannot open block device {}: error {}\n",
            name,
            path,
            e.to_errno()
        );
        if e == ENOTBLK {
            EINVAL
        } else {
            e
        }
    })?;
    let lbs = dev.logical_block_size();
    if block_size < lbs {
        pr_err!(
            "{}: block size {} is smaller than {}'s logical block size {}\n",
            name,
            block_size,
            path,
            lbs
        );
        return Err(EINVAL);
    }
    let direct = open_file(
        name,
        path,
        OpenFlags {
            write,
            direct: true,
            dsync: false,
        },
    )?;
    let size = dev.size();
    Ok((Backing::Block { dev, direct }, size))
}

/// A write in progress (`VDev::start_write`).
///
/// # Invariants
///
/// `cached` is the device whose `cached_writes` counts this write, once.
pub(crate) struct Write<'a> {
    cached: Option<&'a VDev>,
}

impl Write<'_> {
    /// The write must be on stable storage before it is acknowledged.
    pub(crate) fn durable(&self) -> bool {
        self.cached.is_none()
    }

    /// Bios carry the write on: their completion ends its count
    /// (`VDev::cached_write_done`), not this.
    pub(crate) fn hand_to_bios(self) {
        core::mem::forget(self);
    }
}

impl Drop for Write<'_> {
    fn drop(&mut self) {
        if let Some(d) = self.cached {
            d.cached_write_done();
        }
    }
}
