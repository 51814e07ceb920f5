// SPDX-License-Identifier: GPL-2.0

//! scst_test_disk: a test-only virtual disk handler ("test_disk") with
//! `devices` RAM-backed devices (default 1), "testdisk0", "testdisk1", ...,
//! of `size_mb` MiB each (default 16).  INQUIRY reports each device's name
//! as its product and serial number.
//!
//! It stands in for vdisk in the core's tests: enough of SBC for sd to
//! attach and for data to round-trip (INQUIRY with VPD 0x00/0x80, READ
//! CAPACITY 10/16, MODE SENSE 6/10 with the caching page, READ/WRITE
//! 6/10/16, TEST UNIT READY, SYNCHRONIZE CACHE, START STOP UNIT, VERIFY,
//! REQUEST SENSE, MODE SELECT 6/10 that changes nothing but reports a
//! change).  Anything else answers INVALID COMMAND OPERATION CODE.
//!
//! With `delay_ms` > 0 at load, `exec` returns NOT_COMPLETED and a kernel
//! thread finishes queued commands after the delay (asynchronous
//! completion through `scst_cmd_done`), so commands overlap: what
//! memory-limit and task-management tests need.  The delay can be changed
//! at run time through /sys/module/scst_test_disk/parameters/delay_ms.
//!
//! With `broken_reads` set (at run time too) it is a buggy handler: READs
//! promise to fill their buffer (`scst_cmd_set_fills_data`) and fill
//! nothing, so what the initiator gets is whatever the buffer held:
//! zeros with CONFIG_SCST_STRICT_SECURITY, else an earlier command's data.

use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use kernel::{
    ffi::c_int,
    fmt, new_mutex,
    prelude::*,
    str::CString,
    sync::{Arc, Mutex},
};

#[path = "../../rust/mod.rs"]
mod scst_rs;

use scst_rs::api::{
    abi::{
        ScstCmd, ScstDevType, ScstMgmtCmd, ScstTgtDev, SCST_DEV_VIRTUAL, SCST_EXEC_COMPLETED,
        SCST_EXEC_NOT_COMPLETED,
    },
    client::{DevDriverRegistration, VirtualDeviceRegistration},
    cmd::{Cmd, Context},
    mgmt::{MgmtRef, TgtDevRef},
};
use scst_rs::kthread::{self, KThread};
use scst_rs::scsi::Sense;
use scst_rs::sys;
use scst_rs::vec::copy_prefix;

/// This module's trace level (/proc/scsi_tgt/<name>/trace_level).
static TRACE: core::sync::atomic::AtomicU32 =
    core::sync::atomic::AtomicU32::new(scst_rs::api::abi::SCST_TRACE_DEFAULT);

module! {
    type: TestDisk,
    name: "scst_test_disk",
    author: "SCST-rs developers",
    description: "Test-only RAM disk handler for SCST's tests",
    license: "GPL",
}

extern "C" {
    // This module's parameter, in test_disk_glue.c.
    fn scst_test_disk_size_mb() -> kernel::ffi::c_uint;
    fn scst_test_disk_devices() -> kernel::ffi::c_uint;
    fn scst_test_disk_delay_ms() -> kernel::ffi::c_uint;
    fn scst_test_disk_broken_reads() -> bool;
}

/// Commands waiting for the completion thread.
#[pin_data]
struct AsyncQueue {
    #[pin]
    cmds: Mutex<KVec<usize>>,
    /// How many are queued: what the thread waits on (it must not take a
    /// mutex while preparing to sleep).
    pending: AtomicUsize,
}

/// The queue, published while the completion thread runs.
static ASYNC: AtomicPtr<AsyncQueue> = AtomicPtr::new(core::ptr::null_mut());

fn completion_thread(q: Arc<AsyncQueue>) {
    loop {
        kthread::sleep_until(|| kthread::should_stop() || q.pending.load(Ordering::Acquire) > 0);
        let batch = core::mem::take(&mut *q.cmds.lock());
        q.pending.fetch_sub(batch.len(), Ordering::AcqRel);
        if batch.is_empty() {
            if kthread::should_stop() {
                return;
            }
            continue;
        }
        // SAFETY: reads this module's (writable) parameter.
        sys::sleep_ms(unsafe { scst_test_disk_delay_ms() });
        for p in batch.iter() {
            // SAFETY: queued by `exec`, which returned NOT_COMPLETED: the
            // command is live and ours until `done`.
            if let Some(mut c) = unsafe { Cmd::from_raw(*p as *mut ScstCmd) } {
                run(&mut c);
                // This thread is process context: the core goes on here.
                c.done(Context::Direct);
            }
        }
    }
}

/// Most devices.
const MAX_DEVICES: usize = 4;

const BLOCK: u64 = 512;

/// One device: its SCST id, name and contents.
struct Disk {
    id: i32,
    name: [u8; 16],
    ram: Pin<KBox<Mutex<VVec<u8>>>>,
}

/// The devices, published while they are registered.
static DISKS: AtomicPtr<KVec<Disk>> = AtomicPtr::new(core::ptr::null_mut());

fn disk(id: i32) -> Option<&'static Disk> {
    let p = DISKS.load(Ordering::Acquire);
    // SAFETY: non-null only while `TestDisk` owns the list (it clears the
    // pointer after unregistering the devices, so no command runs then).
    let disks = (!p.is_null()).then(|| unsafe { &*p })?;
    disks.iter().find(|d| d.id == id)
}

unsafe extern "C" fn parse(cmd: *mut ScstCmd) -> c_int {
    // SAFETY: the core passes a live command.
    match unsafe { Cmd::from_raw(cmd) } {
        Some(c) => {
            if broken_reads() && matches!(c.cdb().first(), Some(0x08 | 0x28 | 0x88)) {
                c.set_fills_data();
            }
            c.decode(BLOCK as u32).map_or_else(|e| e.to_errno(), |()| 0)
        }
        None => -(EINVAL.to_errno()),
    }
}

/// The `broken_reads` parameter.
fn broken_reads() -> bool {
    // SAFETY: reads this module's parameter.
    unsafe { scst_test_disk_broken_reads() }
}

fn be(b: &[u8], at: usize, n: usize) -> u64 {
    (0..n).fold(0, |v, i| {
        (v << 8) | u64::from(b.get(at + i).copied().unwrap_or(0))
    })
}

/// Puts `data` (cut to the allocation length and the buffer) in the
/// command's buffer.
fn reply(c: &mut Cmd, data: &[u8], alloc: u64) {
    let n = data.len().min(usize::try_from(alloc).unwrap_or(usize::MAX));
    let n = copy_prefix(c.buffer(), data.get(..n).unwrap_or(&[]));
    c.set_resp_len(n as u32);
}

fn inquiry(c: &mut Cmd, cdb: &[u8], name: &[u8; 16]) {
    let alloc = be(cdb, 3, 2);
    if cdb.get(1).is_some_and(|b| b & 1 != 0) {
        match cdb.get(2) {
            Some(0x00) => reply(c, &[0, 0x00, 0, 2, 0x00, 0x80], alloc),
            Some(0x80) => {
                let mut d = [0u8; 4 + 16];
                d[1] = 0x80;
                d[3] = 16;
                copy_prefix(&mut d[4..], name);
                reply(c, &d, alloc)
            }
            _ => c.fail(Sense::INVALID_FIELD_IN_CDB),
        }
        return;
    }
    let mut d = [0u8; 36];
    d[2] = 0x05; // SPC-3
    d[3] = 0x02;
    d[4] = 31;
    d[7] = 0x02; // CMDQUE
    copy_prefix(&mut d[8..], b"SCST_TST");
    copy_prefix(&mut d[16..], name);
    copy_prefix(&mut d[32..], b"0001");
    reply(c, &d, alloc);
}

fn mode_sense(c: &mut Cmd, cdb: &[u8], ten: bool) {
    let page = cdb.get(2).map_or(0, |b| b & 0x3f);
    let alloc = if ten { be(cdb, 7, 2) } else { be(cdb, 4, 1) };
    // Caching page: WCE=0 (write through), RCD=0.
    let caching = [
        0x08u8, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    let body: &[u8] = if page == 0x08 || page == 0x3f {
        &caching
    } else {
        &[]
    };
    let mut d = [0u8; 8 + 20];
    let hdr = if ten { 8 } else { 4 };
    let total = hdr + body.len();
    if ten {
        copy_prefix(&mut d, &((total - 2) as u16).to_be_bytes());
    } else {
        d[0] = (total - 1) as u8;
    }
    copy_prefix(d.get_mut(hdr..).unwrap_or(&mut []), body);
    reply(c, d.get(..total).unwrap_or(&[]), alloc);
}

fn capacity(c: &mut Cmd, cdb: &[u8], blocks: u64) {
    let last = blocks.saturating_sub(1);
    if cdb.first() == Some(&0x25) {
        let mut d = [0u8; 8];
        copy_prefix(
            &mut d,
            &(last.min(u64::from(u32::MAX)) as u32).to_be_bytes(),
        );
        copy_prefix(&mut d[4..], &(BLOCK as u32).to_be_bytes());
        reply(c, &d, 8);
    } else {
        let mut d = [0u8; 32];
        copy_prefix(&mut d, &last.to_be_bytes());
        copy_prefix(&mut d[8..], &(BLOCK as u32).to_be_bytes());
        reply(c, &d, be(cdb, 10, 4));
    }
}

/// READ/WRITE: LBA and block count by CDB size; the core has checked the
/// transfer length against the buffer.
fn rw(c: &mut Cmd, cdb: &[u8], ram: &Mutex<VVec<u8>>) {
    let op = cdb.first().copied().unwrap_or(0);
    let lba = match op {
        0x08 | 0x0a => be(cdb, 1, 3) & 0x1f_ffff,
        0x28 | 0x2a => be(cdb, 2, 4),
        _ => be(cdb, 2, 8),
    };
    let write = matches!(op, 0x0a | 0x2a | 0x8a);
    let len = c.buffer().len() as u64;
    let mut disk = ram.lock();
    let start = lba.saturating_mul(BLOCK);
    let Some(end) = start.checked_add(len).filter(|&e| e <= disk.len() as u64) else {
        return c.fail(Sense::LBA_OUT_OF_RANGE);
    };
    let (s, e) = (start as usize, end as usize);
    let Some(area) = disk.get_mut(s..e) else {
        return c.fail(Sense::LBA_OUT_OF_RANGE);
    };
    if write {
        copy_prefix(area, c.buffer());
    } else {
        if !broken_reads() {
            copy_prefix(c.buffer(), area);
        }
        c.set_resp_len(len as u32);
    }
}

unsafe extern "C" fn exec(cmd: *mut ScstCmd) -> c_int {
    // SAFETY: the core passes a live command.
    let Some(mut c) = (unsafe { Cmd::from_raw(cmd) }) else {
        return SCST_EXEC_COMPLETED;
    };
    let q = ASYNC.load(Ordering::Acquire);
    if !q.is_null() {
        // SAFETY: published while the queue and its thread live; the
        // thread stops only after the devices are gone.
        let q = unsafe { &*q };
        if q.cmds.lock().push(cmd as usize, GFP_KERNEL).is_ok() {
            q.pending.fetch_add(1, Ordering::AcqRel);
            if let Some(t) = thread() {
                t.wake();
            }
            return SCST_EXEC_NOT_COMPLETED;
        }
    }
    run(&mut c);
    SCST_EXEC_COMPLETED
}

/// Emulates the command on its device.
fn run(c: &mut Cmd) {
    let Some(disk) = disk(c.dev_id()) else {
        return c.fail(Sense::LUN_NOT_READY);
    };
    let ram = &disk.ram;
    let blocks = ram.lock().len() as u64 / BLOCK;
    let mut cdb = [0u8; 16];
    copy_prefix(&mut cdb, c.cdb());
    match cdb[0] {
        0x00 | 0x35 | 0x91 | 0x1b | 0x2f | 0x1e => {}
        0x03 => reply(
            c,
            &[0x70, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            be(&cdb, 4, 1),
        ),
        0x12 => inquiry(c, &cdb, &disk.name),
        // MODE SELECT: parameters are accepted and ignored, but the other
        // initiators are told they changed.
        0x15 | 0x55 => c.mode_params_changed(),
        0x1a => mode_sense(c, &cdb, false),
        0x5a => mode_sense(c, &cdb, true),
        0x25 => capacity(c, &cdb, blocks),
        0x9e if cdb[1] & 0x1f == 0x10 => capacity(c, &cdb, blocks),
        0x08 | 0x0a | 0x28 | 0x2a | 0x88 | 0x8a => rw(c, &cdb, ram),
        _ => c.fail(Sense::INVALID_OPCODE),
    }
}

static DEV_TYPE: ScstDevType = ScstDevType {
    name: c"test_disk".as_ptr(),
    type_: 0,
    threads_num: 0,
    flags: SCST_DEV_VIRTUAL,
    parse: Some(parse),
    alloc_data_buf: None,
    exec: Some(exec),
    dev_done: None,
    attach: None,
    detach: None,
    attach_tgt: Some(attach_tgt),
    detach_tgt: Some(detach_tgt),
    task_mgmt_fn: Some(task_mgmt_fn),
    trace_flags: &TRACE,
};

/// Initiators whose name starts with this are refused in `attach_tgt`.
const REFUSED: &[u8] = b"refuse-attach";

/// What `attach_tgt` stores as the I_T_L's private pointer: checked in
/// `detach_tgt`.
static TGT_MARK: u8 = 0;

fn tgt_mark() -> *mut core::ffi::c_void {
    core::ptr::addr_of!(TGT_MARK).cast_mut().cast()
}

unsafe extern "C" fn attach_tgt(t: *mut ScstTgtDev) -> c_int {
    // SAFETY: the core passes the handle of this call.
    let t = unsafe { TgtDevRef::from_raw(t) };
    if t.initiator().as_bytes().starts_with(REFUSED) {
        pr_info!("attach_tgt: refusing {} LUN {}\n", t.initiator(), t.lun());
        return EACCES.to_errno();
    }
    t.set_priv(tgt_mark());
    pr_info!(
        "attach_tgt: {} LUN {} device {}\n",
        t.initiator(),
        t.lun(),
        t.dev_id()
    );
    0
}

unsafe extern "C" fn detach_tgt(t: *mut ScstTgtDev) {
    // SAFETY: the core passes the handle of this call.
    let t = unsafe { TgtDevRef::from_raw(t) };
    let kept = if t.priv_() == tgt_mark() {
        "kept"
    } else {
        "lost"
    };
    pr_info!(
        "detach_tgt: {} LUN {} device {}, private data {}\n",
        t.initiator(),
        t.lun(),
        t.dev_id(),
        kept
    );
}

unsafe extern "C" fn task_mgmt_fn(m: *mut ScstMgmtCmd, t: *mut ScstTgtDev) -> c_int {
    // SAFETY: the core passes the handles of this call.
    let (m, t) = unsafe { (MgmtRef::from_raw(m), TgtDevRef::from_raw(t)) };
    pr_info!(
        "task_mgmt_fn: function {} for {} LUN {}\n",
        m.func(),
        t.initiator(),
        t.lun()
    );
    0
}

/// The completion thread, published with the queue.
static THREAD: AtomicPtr<KThread> = AtomicPtr::new(core::ptr::null_mut());

fn thread() -> Option<&'static KThread> {
    let p = THREAD.load(Ordering::Acquire);
    // SAFETY: non-null while `TestDisk` owns the thread.
    (!p.is_null()).then(|| unsafe { &*p })
}

struct TestDisk {
    // Dropped in this order: the devices, then the completion thread, the
    // handler, the RAM.
    vdevs: KVec<VirtualDeviceRegistration>,
    async_: Option<(Arc<AsyncQueue>, Pin<KBox<KThread>>)>,
    _dev: DevDriverRegistration,
    disks: Pin<KBox<KVec<Disk>>>,
}

impl kernel::Module for TestDisk {
    fn init(module: &'static ThisModule) -> Result<Self> {
        // SAFETY: reads this module's parameters, set before init.
        let (mb, n) = unsafe { (scst_test_disk_size_mb(), scst_test_disk_devices()) };
        if !(1..=1024).contains(&mb) || !(1..=MAX_DEVICES as u32).contains(&n) {
            pr_err!(
                "size_mb={} (1..=1024) or devices={} (1..={}) out of range\n",
                mb,
                n,
                MAX_DEVICES
            );
            return Err(EINVAL);
        }
        let dev = DevDriverRegistration::new(&DEV_TYPE, module)?;
        let mut disks = KVec::with_capacity(n as usize, GFP_KERNEL)?;
        let mut vdevs = KVec::with_capacity(n as usize, GFP_KERNEL)?;
        for i in 0..n {
            let name = CString::try_from_fmt(fmt!("testdisk{}", i))?;
            let data = VVec::from_elem(0u8, mb as usize * 1024 * 1024, GFP_KERNEL)?;
            let ram = KBox::pin_init(new_mutex!(data), GFP_KERNEL)?;
            let mut padded = [b' '; 16];
            copy_prefix(&mut padded, name.as_bytes());
            let vdev = VirtualDeviceRegistration::new(&DEV_TYPE, &name)?;
            disks.push(
                Disk {
                    id: vdev.id(),
                    name: padded,
                    ram,
                },
                GFP_KERNEL,
            )?;
            vdevs.push(vdev, GFP_KERNEL)?;
        }
        let disks = KBox::pin(disks, GFP_KERNEL)?;
        DISKS.store(&*disks as *const _ as *mut _, Ordering::Release);
        // SAFETY: reads this module's parameter, set before init.
        let delay_ms = unsafe { scst_test_disk_delay_ms() };
        let async_ = if delay_ms > 0 {
            let q = Arc::pin_init(
                pin_init!(AsyncQueue { cmds <- new_mutex!(KVec::new()), pending: AtomicUsize::new(0) }),
                GFP_KERNEL,
            )?;
            let q2 = q.clone();
            let t = KBox::pin(
                KThread::run(kernel::c_str!("test_disk_done"), move || {
                    completion_thread(q2)
                })?,
                GFP_KERNEL,
            )?;
            THREAD.store(&*t as *const _ as *mut _, Ordering::Release);
            ASYNC.store(&*q as *const _ as *mut _, Ordering::Release);
            Some((q, t))
        } else {
            None
        };
        Ok(TestDisk {
            vdevs,
            async_,
            _dev: dev,
            disks,
        })
    }
}

impl Drop for TestDisk {
    fn drop(&mut self) {
        while let Some(last) = self.vdevs.len().checked_sub(1) {
            drop(scst_rs::vec::remove(&mut self.vdevs, last));
        }
        // No command arrives now; the thread finishes the queued ones
        // before it stops.
        ASYNC.store(core::ptr::null_mut(), Ordering::Release);
        THREAD.store(core::ptr::null_mut(), Ordering::Release);
        drop(self.async_.take());
        DISKS.store(core::ptr::null_mut(), Ordering::Release);
        let _ = &self.disks;
    }
}
