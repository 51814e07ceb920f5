// SPDX-License-Identifier: GPL-2.0

//! scst_vdisk: virtual disks ("vdisk") over files, block devices or
//! nothing (FILEIO, BLOCKIO, NULLIO), and virtual CD-ROMs ("vcdrom") over
//! ISO images, configured through /proc/scsi_tgt/vdisk/vdisk and
//! /proc/scsi_tgt/vcdrom/vcdrom (see docs/vdisk.md).
//!
//! Files: `commands.rs` (the /proc grammar) and `scsi.rs` (replies that
//! need no I/O) are `no_std` and host-tested; `dev.rs` is a device and its
//! medium, `exec.rs` runs commands, `io.rs` the synchronous I/O.
//!
//! Locking: `Devices::config` serializes open/close/change and is held
//! while registering with the core (whose `attach` callback takes
//! `Devices::list` briefly); `list` is innermost.

use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use kernel::{
    c_str,
    ffi::c_void,
    fmt, new_mutex,
    prelude::*,
    str::CString,
    sync::{Arc, ArcBorrow, Mutex},
};

#[path = "../../rust/mod.rs"]
mod scst_rs;

// `no_std` files shared with the host crate, where their items are public.
#[allow(unreachable_pub)]
mod commands;
mod dev;
mod exec;
mod io;
#[allow(unreachable_pub)]
mod mmc;
#[allow(unreachable_pub)]
mod scsi;

use commands::{Command, Kind};
use dev::VDev;
use scst_rs::api::{
    abi::{SCST_LUN_RESET, SCST_TARGET_RESET},
    client::VirtualDeviceRegistration,
    cmd::Cmd,
    dev::DevRef,
    handler::{DevHandler, Exec, Registration},
    mgmt::{MgmtRef, TgtDevRef},
};
use scst_rs::procfs::{ProcEntry, ProcFile, SeqOut};
use scst_rs::scsi::device_type;

/// Largest transfer of one command (VPD 0xB0 MAXIMUM TRANSFER LENGTH),
/// enforced in `parse`: what one command can make the target hold.
/// Larger than the Linux initiators' default I/O sizes, as large as
/// libiscsi's tests write in one command (65536 blocks of 512 bytes).
pub(crate) const MAX_TRANSFER: u32 = 32 << 20;

/// The transfer the core's buffers serve best (VPD 0xB0 OPTIMAL TRANSFER
/// LENGTH).
pub(crate) const OPT_TRANSFER: u32 = 4 << 20;

/// Commands refused for moving more than `MAX_TRANSFER`.
static TOO_LONG: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

module! {
    type: Vdisk,
    name: "scst_vdisk",
    author: "SCST-rs developers",
    description: "SCST virtual disk and CD-ROM handler (FILEIO, BLOCKIO, NULLIO)",
    license: "GPL",
}

/// The handler of both kinds of device, registered twice: as "vdisk"
/// (type 0) and as "vcdrom" (type 5).
pub(crate) struct Handler;

/// An open device and its registration with the core.
struct Entry {
    dev: Arc<Pin<KBox<VDev>>>,
    reg: Option<VirtualDeviceRegistration>,
}

/// Every open device of both kinds.
#[pin_data]
struct Devices {
    /// Held by open/close/change from start to end.
    #[pin]
    config: Mutex<()>,
    #[pin]
    list: Mutex<KVec<Entry>>,
    /// The handlers, unregistered when the last user of the devices is
    /// gone (after `Vdisk::drop` has unregistered every device).
    disk: Registration<Handler>,
    cdrom: Registration<Handler>,
}

/// The devices, for `attach` (published while the module is loaded).
static DEVICES: AtomicPtr<Devices> = AtomicPtr::new(core::ptr::null_mut());

fn devices() -> Option<&'static Devices> {
    let p = DEVICES.load(Ordering::Acquire);
    // SAFETY: set in init to the module's `Devices`, cleared in drop
    // after both handlers (and so every `attach`) are gone.
    (!p.is_null()).then(|| unsafe { &*p })
}

#[vtable]
impl DevHandler for Handler {
    type DevData = Arc<Pin<KBox<VDev>>>;

    // FILEIO blocks an SCST thread per command in flight: more threads,
    // more commands at once.
    const THREADS: u32 = 4;
    const VIRTUAL: bool = true;

    /// The core attaches a device we registered: find it by name and lend
    /// it to the core.
    fn attach(d: &DevRef) -> Result<Self::DevData> {
        let devs = devices().ok_or(ENODEV)?;
        let list = devs.list.lock();
        let e = list
            .iter()
            .find(|e| e.dev.name.as_bytes() == d.name().as_bytes())
            .ok_or(ENODEV)?;
        // A submitter (scst_local's queue) may run the commands of such a
        // device itself; FILEIO's READs and WRITEs it tries, the rest go
        // to SCST threads.
        if e.dev.async_io() {
            d.set_nowait();
        }
        if e.dev.tries_reads() {
            d.set_nowait_reads();
        }
        if e.dev.tries_writes() {
            d.set_nowait_writes();
        }
        Ok(e.dev.clone())
    }

    fn parse(c: &Cmd, dev: ArcBorrow<'_, Pin<KBox<VDev>>>) -> Result {
        parse(c, &dev)
    }

    fn exec(c: Cmd, dev: ArcBorrow<'_, Pin<KBox<VDev>>>) -> Exec {
        exec::exec(c, &dev)
    }

    /// A session gets the device at a LUN: name the nexus with a token (a
    /// plain number: a command may read it after the nexus is gone).
    fn attach_tgt(t: &TgtDevRef, _dev: ArcBorrow<'_, Pin<KBox<VDev>>>) -> Result {
        t.set_priv(NEXT_NEXUS.fetch_add(1, Ordering::Relaxed) as *mut c_void);
        Ok(())
    }

    /// The nexus is gone: its prevention of medium removal ends.
    fn detach_tgt(t: &TgtDevRef, _dev: ArcBorrow<'_, Pin<KBox<VDev>>>) {
        release_nexus(t);
    }

    /// A LUN or target reset ends the nexus' prevention of medium removal.
    fn task_mgmt_fn(m: &MgmtRef, t: &TgtDevRef, _dev: ArcBorrow<'_, Pin<KBox<VDev>>>) {
        if matches!(m.func(), SCST_LUN_RESET | SCST_TARGET_RESET) {
            release_nexus(t);
        }
    }
}

fn parse(c: &Cmd, dev: &VDev) -> Result {
    let block_size = dev.block_size;
    c.decode(block_size)?;
    // Before the core allocates the buffer (or asks for the data).
    if let Err(s) = crate::scsi::check_transfer(c.cdb(), block_size, MAX_TRANSFER) {
        // Logged the 1st, 2nd, 4th, ... time: an initiator cannot flood the log.
        let n = TOO_LONG.fetch_add(1, core::sync::atomic::Ordering::Relaxed) + 1;
        if n.is_power_of_two() {
            let op = c.cdb().first().copied().unwrap_or(0);
            pr_err!("opcode 0x{:02x} moves more than {} bytes (MAXIMUM TRANSFER LENGTH), refused ({} times)\n", op, MAX_TRANSFER, n);
        }
        c.fail(s);
        return Ok(());
    }
    // READ and WRITE work on a driver's scatterlist as well (exec.rs):
    // no copy between the driver and the medium.
    let op = c.cdb().first().copied().unwrap_or(0);
    if crate::exec::takes_tgt_sg(op) {
        c.allow_tgt_sg();
        // Other commands may wait even there (SYNCHRONIZE CACHE, UNMAP).
        // FILEIO's READs and WRITEs are tried (see `attach`).
        if dev.exec_nowait(op) {
            c.set_exec_nowait();
        }
        // FILEIO and BLOCKIO read every byte or fail; NULLIO reads leave
        // the buffer as the core gives it (cleared).
        if crate::scst_rs::scsi::op::is_read(op) && !dev.has(crate::commands::NULLIO) {
            c.set_fills_data();
        }
    }
    Ok(())
}

/// Tokens naming I_T nexuses; 0 is none.
static NEXT_NEXUS: AtomicUsize = AtomicUsize::new(1);

/// Drops `t`'s PREVENT on its device.  Runs under the core's registry
/// (lock order: registry, then `list`).
fn release_nexus(t: &TgtDevRef) {
    let Some(devs) = devices() else { return };
    let list = devs.list.lock();
    let dev = list
        .iter()
        .find(|e| e.reg.as_ref().is_some_and(|r| r.id() == t.dev_id()));
    if let Some(e) = dev {
        // Removing never allocates: this cannot fail.
        let _ = e.dev.set_prevent(t.priv_() as usize, false);
    }
}

impl Devices {
    fn apply(&self, kind: Kind, cmd: Command<'_>) -> Result {
        let _config = self.config.lock();
        match cmd {
            Command::Open {
                name,
                path,
                block_size,
                flags,
            } => self.open(kind, name, path, block_size, flags),
            Command::Close { name } => self.close(kind, name),
            Command::Change { name, path } => self.change(name, path),
        }
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.list
            .lock()
            .iter()
            .position(|e| e.dev.name.as_bytes() == name.as_bytes())
    }

    fn open(
        &self,
        kind: Kind,
        name: &str,
        path: Option<&str>,
        block_size: u32,
        flags: u32,
    ) -> Result {
        if self.position(name).is_some() {
            pr_err!("device {} is already open\n", name);
            return Err(EEXIST);
        }
        let dev = Arc::new(VDev::open(kind, name, path, block_size, flags)?, GFP_KERNEL)?;
        let cname = CString::try_from_fmt(fmt!("{}", name))?;
        self.list
            .lock()
            .push(Entry { dev, reg: None }, GFP_KERNEL)?;
        let handler = if kind == Kind::Disk {
            &self.disk
        } else {
            &self.cdrom
        };
        match handler.add_virtual_device(&cname) {
            Ok(reg) => {
                let mut list = self.list.lock();
                if let Some(e) = list
                    .iter_mut()
                    .find(|e| e.dev.name.as_bytes() == name.as_bytes())
                {
                    e.reg = Some(reg);
                }
                pr_info!(
                    "opened {} {} ({})\n",
                    if kind == Kind::Disk { "disk" } else { "cdrom" },
                    name,
                    path.unwrap_or("no medium")
                );
                Ok(())
            }
            Err(e) => {
                // The core logged why; nothing stays.
                let pos = self.position(name);
                if let Some(p) = pos {
                    drop(scst_rs::vec::remove(&mut self.list.lock(), p));
                }
                Err(e)
            }
        }
    }

    fn close(&self, kind: Kind, name: &str) -> Result {
        let Some(pos) = self
            .position(name)
            .filter(|&p| self.list.lock().get(p).is_some_and(|e| e.dev.kind == kind))
        else {
            pr_err!(
                "close: no {} device {}\n",
                if kind == Kind::Disk {
                    "vdisk"
                } else {
                    "vcdrom"
                },
                name
            );
            return Err(ENOENT);
        };
        let reg = self.list.lock().get_mut(pos).and_then(|e| e.reg.take());
        if let Some(reg) = reg {
            if let Err((reg, e)) = reg.unregister_unused() {
                // In a group: the core said which; the device stays.
                if let Some(entry) = self.list.lock().get_mut(pos) {
                    entry.reg = Some(reg);
                }
                return Err(e);
            }
        }
        drop(scst_rs::vec::remove(&mut self.list.lock(), pos));
        pr_info!("closed {}\n", name);
        Ok(())
    }

    fn change(&self, name: &str, path: Option<&str>) -> Result {
        let found = {
            let list = self.list.lock();
            let e = list
                .iter()
                .find(|e| e.dev.name.as_bytes() == name.as_bytes() && e.dev.kind == Kind::Cdrom);
            e.map(|e| (e.dev.clone(), e.reg.as_ref().map(|r| r.id())))
        };
        let Some((dev, id)) = found else {
            pr_err!("change: no vcdrom device {}\n", name);
            return Err(ENOENT);
        };
        if dev.prevented() {
            pr_err!("change: {}: the initiator prevents medium removal\n", name);
            return Err(EBUSY);
        }
        dev.change(path)?;
        if let Some(id) = id {
            // MEDIUM MAY HAVE CHANGED, to every session that sees it.
            scst_rs::api::client::unit_attention(id, 0x28, 0x00);
        }
        pr_info!("{}: medium changed to {}\n", name, path.unwrap_or("none"));
        Ok(())
    }

    /// The listing of the `kind` command file.
    fn show(&self, kind: Kind, out: &mut SeqOut<'_>) -> Result {
        use core::fmt::Write;
        let e = |_| ENOMEM;
        let list = self.list.lock();
        match kind {
            Kind::Disk => writeln!(
                out,
                "{:<16} {:>16} {:>10} {:<8} {:<32} {}",
                "Name", "Size(MB)", "Block size", "Mode", "Options", "File name"
            )
            .map_err(e)?,
            Kind::Cdrom => {
                writeln!(out, "{:<16} {:>16} {}", "Name", "Size(MB)", "File name").map_err(e)?
            }
        }
        for entry in list.iter().filter(|x| x.dev.kind == kind) {
            let d = &entry.dev;
            let m = d.medium();
            let mb = m.blocks * u64::from(d.block_size) >> 20;
            let path = m.path.as_ref().and_then(|p| p.to_str().ok()).unwrap_or("");
            let name = d.name.to_str().unwrap_or("?");
            match kind {
                Kind::Disk => {
                    let mode = commands::mode_name(d.flags);
                    writeln!(
                        out,
                        "{:<16} {:>16} {:>10} {:<8} {:<32} {}",
                        name,
                        mb,
                        d.block_size,
                        mode,
                        commands::FlagNames(d.flags),
                        path
                    )
                    .map_err(e)?
                }
                Kind::Cdrom => writeln!(out, "{:<16} {:>16} {}", name, mb, path).map_err(e)?,
            }
        }
        Ok(())
    }
}

/// What a command file's callbacks see.
struct FileData {
    devs: Arc<Devices>,
    kind: Kind,
}

struct CommandFile;

impl ProcFile for CommandFile {
    type Data = FileData;

    fn show(d: &FileData, out: &mut SeqOut<'_>) -> Result {
        d.devs.show(d.kind, out)
    }

    fn write(d: &FileData, line: &str) -> Result {
        let file = if d.kind == Kind::Disk {
            "vdisk"
        } else {
            "vcdrom"
        };
        let cmd = commands::parse(line, d.kind).map_err(|e| {
            pr_err!("{}: \"{}\" refused: {}\n", file, line, e);
            EINVAL
        })?;
        d.devs.apply(d.kind, cmd)
    }
}

struct HelpFile;

impl ProcFile for HelpFile {
    type Data = ();

    fn show(_: &(), out: &mut SeqOut<'_>) -> Result {
        use core::fmt::Write;
        out.write_str(commands::HELP).map_err(|_| ENOMEM)
    }
}

struct Vdisk {
    // Dropped in this order: the files, then the devices (unregistered in
    // `drop`), whose `Devices` holds the handlers' registrations (their
    // /proc directories go with them).
    files: KVec<ProcEntry>,
    devs: Arc<Devices>,
}

impl kernel::Module for Vdisk {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let disk = Registration::new(c_str!("vdisk"), device_type::DISK, module)?;
        let cdrom = Registration::new(c_str!("vcdrom"), device_type::CDROM, module)?;
        let devs = Arc::pin_init(
            pin_init!(Devices {
                config <- new_mutex!(()),
                list <- new_mutex!(KVec::new()),
                disk,
                cdrom,
            }),
            GFP_KERNEL,
        )?;
        DEVICES.store(&*devs as *const Devices as *mut Devices, Ordering::Release);
        let mut files = KVec::new();
        for (reg, kind, name) in [
            (&devs.disk, Kind::Disk, c_str!("vdisk")),
            (&devs.cdrom, Kind::Cdrom, c_str!("vcdrom")),
        ] {
            let dir = reg.proc_dir()?;
            let data = Arc::new(
                FileData {
                    devs: devs.clone(),
                    kind,
                },
                GFP_KERNEL,
            )?;
            files.push(dir.file::<CommandFile>(name, 0o644, data)?, GFP_KERNEL)?;
            files.push(
                dir.file::<HelpFile>(c_str!("help"), 0o444, Arc::new((), GFP_KERNEL)?)?,
                GFP_KERNEL,
            )?;
        }
        Ok(Vdisk { files, devs })
    }
}

impl Drop for Vdisk {
    fn drop(&mut self) {
        drop(core::mem::take(&mut self.files));
        // Unregister every device (the core takes them out of groups),
        // then the handlers go.
        let _config = self.devs.config.lock();
        loop {
            let reg = {
                let mut list = self.devs.list.lock();
                let Some(last) = list.len().checked_sub(1) else {
                    break;
                };
                scst_rs::vec::remove(&mut list, last).and_then(|e| e.reg)
            };
            drop(reg);
        }
        drop(_config);
        DEVICES.store(core::ptr::null_mut(), Ordering::Release);
    }
}
