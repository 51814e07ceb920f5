// SPDX-License-Identifier: GPL-2.0

//! What is registered with the core and configured in it: target drivers,
//! device handlers, devices and security groups, all under one mutex.
//!
//! Lock order: `Shared::registry` is taken by /proc callbacks, and
//! `proc_remove` waits for running callbacks, so no /proc entry is ever
//! removed while `registry` is held: entries leave the lists under the lock
//! and are dropped after it is released.  `Shared::threads` is never taken
//! together with `registry`.

use crate::names::{check_name, peripheral_type_name};
use crate::proc::{self, GroupFiles, ModuleDir};
use crate::proc_cmd::Hctl;
use crate::scst_rs::api::abi::{
    ModulePtr, ScstDevType, ScstTgtTemplate, SCST_DEV_FLAGS_ALL, SCST_TGT_FLAGS_ALL,
    SCST_TGT_NO_PROC_ENTRY,
};
use crate::scst_rs::{
    irqlock::{new_irq_spinlock, IrqSpinLock},
    procfs::ProcDir,
    sys::ModuleRef,
    vec,
};
use crate::sessions::{Session, Target};
use crate::threads::ThreadPool;
use core::ffi::c_int;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use kernel::{
    new_mutex,
    prelude::*,
    str::{CStr, CString},
    sync::{
        lock::{mutex::MutexBackend, Guard},
        Arc, Mutex,
    },
};

/// A registered target template.
pub(crate) struct TemplateEntry {
    pub(crate) tmpl: &'static ScstTgtTemplate,
    pub(crate) name: CString,
    pub(crate) dir: Option<ModuleDir>,
}

/// A registered device handler.
pub(crate) struct HandlerEntry {
    pub(crate) dev_type: &'static ScstDevType,
    /// The module that registered it.
    pub(crate) owner: Owner,
    pub(crate) name: CString,
    pub(crate) dir: ModuleDir,
}

/// The module that registered something, as an identity.
#[derive(Clone, Copy)]
pub(crate) struct Owner(pub(crate) ModulePtr);

// SAFETY: a module pointer is an identity, used from any thread.
unsafe impl Send for Owner {}

/// The handler a device is attached to.
#[derive(Clone, Copy)]
pub(crate) struct Attached {
    pub(crate) dev_type: &'static ScstDevType,
    /// The handler's module.
    pub(crate) owner: Owner,
}

/// A device known to the core: a virtual one registered by its handler, or
/// a SCSI device of the midlayer (which may have no handler).
pub(crate) struct DeviceEntry {
    /// Unique while the core is loaded; never reused.
    pub(crate) id: u32,
    /// A virtual device's name, or a real one's "H:C:I:L".
    pub(crate) name: CString,
    pub(crate) handler: Option<Attached>,
    /// A real device's address and identity in the midlayer.
    pub(crate) real: Option<(Hctl, usize)>,
    /// SCSI peripheral device type.
    pub(crate) type_: i32,
    /// The session holding an SPC-2 reservation of the device.
    pub(crate) reserved_by: Option<Arc<Session>>,
    /// The handler's private pointer, set in its `attach` (an address).
    pub(crate) priv_: usize,
    /// Which of the device's commands a submitter may process (said by
    /// its handler in `attach`).
    pub(crate) nowait: Nowait,
}

/// Which of a device's commands a submitter (`SCST_CONTEXT_SUBMIT`) may
/// process; the others go to the SCST threads at once.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct Nowait {
    /// All (`scst_dev_set_nowait`): the handler does the device's I/O
    /// without waiting for it.
    pub(crate) all: bool,
    /// READs (`scst_dev_set_nowait_reads`) and WRITEs
    /// (`scst_dev_set_nowait_writes`): the handler tries them without
    /// waiting and asks for a thread (`SCST_EXEC_NEED_THREAD`) when it
    /// would wait.
    pub(crate) reads: bool,
    pub(crate) writes: bool,
}

impl Nowait {
    /// None: every command goes to a thread.
    pub(crate) const NEVER: Self = Self {
        all: false,
        reads: false,
        writes: false,
    };

    /// Whether a submitter may process a command with this opcode.
    pub(crate) fn covers(self, opcode: u8) -> bool {
        self.all
            || (self.reads && crate::cdb::is_read(opcode))
            || (self.writes && crate::cdb::is_write(opcode))
    }
}

/// A device as a LUN of a group.  While a device is exported, its
/// handler's module cannot be unloaded.
pub(crate) struct LunEntry {
    pub(crate) lun: u64,
    pub(crate) dev_id: u32,
    pub(crate) read_only: bool,
    pub(crate) _pin: ModuleRef,
}

/// A security group: the LUNs its initiators see and the names that bind
/// initiators to it.
pub(crate) struct Group {
    pub(crate) name: CString,
    pub(crate) luns: KVec<LunEntry>,
    pub(crate) names: KVec<CString>,
    pub(crate) _files: Option<GroupFiles>,
}

/// Everything registered with and configured in the core.
pub(crate) struct Registry {
    pub(crate) templates: KVec<TemplateEntry>,
    pub(crate) handlers: KVec<HandlerEntry>,
    pub(crate) devices: KVec<DeviceEntry>,
    pub(crate) groups: KVec<Group>,
    pub(crate) targets: KVec<Arc<Target>>,
    pub(crate) sessions: KVec<Arc<Session>>,
    pub(crate) uas: KVec<crate::nexus::PendingUa>,
    /// Handler state per session and LUN (`tgt_dev`).
    pub(crate) tgt_devs: KVec<KBox<crate::tgt_dev::TgtDev>>,
    pub(crate) last_dev_id: u32,
}

impl Registry {
    fn name_taken(&self, name: &CStr) -> bool {
        let same = |n: &CString| n.as_bytes() == name.as_bytes();
        self.templates.iter().any(|t| same(&t.name)) || self.handlers.iter().any(|h| same(&h.name))
    }

    pub(crate) fn device(&self, id: u32) -> Option<&DeviceEntry> {
        self.devices.iter().find(|d| d.id == id)
    }

    pub(crate) fn group_index(&self, name: &[u8]) -> Option<usize> {
        self.groups.iter().position(|g| g.name.as_bytes() == name)
    }

    /// The group named `name`.
    pub(crate) fn group(&self, name: &[u8]) -> Option<&Group> {
        self.groups.iter().find(|g| g.name.as_bytes() == name)
    }
}

/// The registry's mutex, and its generation: how many times the mutex was
/// taken by someone who may have changed the registry.  Caches of registry
/// data (a session's routes, see `routes`) are stamped with it.
///
/// # Invariants
///
/// `gen` moves only while `mutex` is held, right after it is taken by
/// [`RegistryLock::lock`]; it starts at 1.
#[pin_data]
pub(crate) struct RegistryLock {
    #[pin]
    mutex: Mutex<Registry>,
    gen: AtomicU64,
}

/// The registry, locked.
pub(crate) type RegistryGuard<'a> = Guard<'a, Registry, MutexBackend>;

impl RegistryLock {
    fn new(reg: Registry) -> impl PinInit<Self> {
        pin_init!(Self { mutex <- new_mutex!(reg), gen: AtomicU64::new(1) })
    }

    /// Takes the registry, to read or change it: every cache stamped
    /// before is stale from now on.
    pub(crate) fn lock(&self) -> RegistryGuard<'_> {
        let g = self.mutex.lock();
        self.gen.fetch_add(1, Ordering::SeqCst);
        g
    }

    /// Reads the registry, leaving caches valid (`f` cannot change it).
    pub(crate) fn read<R>(&self, f: impl FnOnce(&Registry) -> R) -> R {
        f(&self.mutex.lock())
    }

    /// The generation now (stable while the caller holds the registry).
    pub(crate) fn gen(&self) -> u64 {
        self.gen.load(Ordering::SeqCst)
    }
}

/// The core's shared state.
#[pin_data]
pub(crate) struct Shared {
    #[pin]
    pub(crate) registry: RegistryLock,
    #[pin]
    pub(crate) threads: Mutex<ThreadPool>,
    /// Commands waiting for an SCST thread.
    pub(crate) work: Arc<crate::work::WorkQueue>,
    /// Devices executing a command (CONFIG_SCST_STRICT_SERIALIZING).
    #[pin]
    pub(crate) serial: IrqSpinLock<crate::serial::Serial>,
    /// Commands held by CONFIG_SCST_DEBUG_TM.
    #[pin]
    pub(crate) tm_dbg: IrqSpinLock<crate::tm_dbg::TmDbg>,
    /// Task management waiting for `scst_tmd`.
    pub(crate) tm_jobs: Arc<crate::mgmt::JobQueue>,
    /// Session (un)registrations waiting for `scst_mgmtd`.
    pub(crate) session_jobs: Arc<crate::mgmt::JobQueue>,
    /// Command buffers and the memory limit.
    #[pin]
    pub(crate) sgv: crate::sgv::Sgv,
    /// The core's trace level (`trace::` bits).
    pub(crate) trace: AtomicU32,
    pub(crate) proc_root: ProcDir,
    pub(crate) groups_dir: ProcDir,
}

/// Reads and checks a registered name: `who` names the registering module
/// and `what` the kind of object, for the log line on refusal.
///
/// # Safety
///
/// `p` is null or a NUL-terminated string valid for the call.
pub(crate) unsafe fn checked_name(
    p: *const core::ffi::c_char,
    who: &CStr,
    what: &str,
    check: fn(&[u8]) -> core::result::Result<&str, crate::names::NameError>,
) -> Result<CString> {
    if p.is_null() {
        pr_err!("{}: {} without a name refused\n", who, what);
        return Err(EINVAL);
    }
    // SAFETY: non-null and NUL-terminated (function contract).
    let raw = unsafe { CStr::from_char_ptr(p.cast()) };
    match check(raw.as_bytes()) {
        Ok(_) => Ok(CString::try_from(raw)?),
        Err(e) => {
            pr_err!("{}: {} name refused: {}\n", who, what, e);
            Err(EINVAL)
        }
    }
}

/// Most threads one driver or handler may ask for (`threads_num`).
const MAX_OWN_THREADS: c_int = 64;

impl Shared {
    pub(crate) fn new(
        proc_root: ProcDir,
        groups_dir: ProcDir,
        threads: ThreadPool,
        work: Arc<crate::work::WorkQueue>,
        jobs: (Arc<crate::mgmt::JobQueue>, Arc<crate::mgmt::JobQueue>),
        max_cmd_mem: u64,
    ) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            registry <- RegistryLock::new(Registry {
                templates: KVec::new(),
                handlers: KVec::new(),
                devices: KVec::new(),
                groups: KVec::new(),
                targets: KVec::new(),
                sessions: KVec::new(),
                uas: KVec::new(),
                tgt_devs: KVec::new(),
                last_dev_id: 0,
            }),
            threads <- new_mutex!(threads),
            work,
            serial <- new_irq_spinlock!(crate::serial::Serial::new()),
            tm_dbg <- new_irq_spinlock!(crate::tm_dbg::TmDbg::new()),
            tm_jobs: jobs.0,
            session_jobs: jobs.1,
            sgv <- crate::sgv::Sgv::new(max_cmd_mem),
            trace: AtomicU32::new(crate::trace::build_default(cfg!(CONFIG_SCST_DEBUG))),
            proc_root,
            groups_dir,
        })
    }

    /// Whether the trace level has `level` (a `trace::` bit).
    pub(crate) fn traced(&self, level: u32) -> bool {
        self.trace_mask() & level != 0
    }

    /// The core's trace level.
    pub(crate) fn trace_mask(&self) -> u32 {
        self.trace.load(core::sync::atomic::Ordering::Relaxed)
    }

    /// Registers a target template; `who` names the registering module.
    fn add_template_entry(&self, tmpl: &'static ScstTgtTemplate, who: &CStr) -> Result {
        // SAFETY: the template's contract makes `name` a valid C string.
        let name = unsafe { checked_name(tmpl.name, who, "target driver", check_name) }?;
        let refuse = |why: &str| {
            pr_err!("{}: target driver {} refused: {}\n", who, &*name, why);
            Err(EINVAL)
        };
        if tmpl.flags & !SCST_TGT_FLAGS_ALL != 0 {
            return refuse("unknown flags");
        }
        if tmpl.detect.is_none() || tmpl.release.is_none() || tmpl.xmit_response.is_none() {
            return refuse("detect(), release() and xmit_response() are required");
        }
        if tmpl.sg_tablesize < 0 || !(0..=MAX_OWN_THREADS).contains(&tmpl.threads_num) {
            return refuse("sg_tablesize negative or threads_num out of range 0..=64");
        }
        let mut reg = self.registry.lock();
        if reg.name_taken(&name) {
            pr_err!("{}: name {} is already registered\n", who, &*name);
            return Err(EEXIST);
        }
        let dir = if tmpl.flags & SCST_TGT_NO_PROC_ENTRY == 0 {
            Some(proc::module_dir(
                &self.proc_root,
                &name,
                None,
                tmpl.trace_flags,
            )?)
        } else {
            None
        };
        reg.templates
            .push(TemplateEntry { tmpl, name, dir }, GFP_KERNEL)?;
        Ok(())
    }

    /// Registers a target template, with the threads it asks for.
    pub(crate) fn add_template(&self, tmpl: &'static ScstTgtTemplate, who: &CStr) -> Result {
        self.with_threads(tmpl.threads_num, || self.add_template_entry(tmpl, who))
    }

    /// Registers a device handler, with the threads it asks for.
    pub(crate) fn add_handler(
        &self,
        dev_type: &'static ScstDevType,
        owner: ModulePtr,
        who: &CStr,
    ) -> Result {
        self.with_threads(dev_type.threads_num, || {
            self.add_handler_entry(dev_type, owner, who)
        })
    }

    /// Starts `n` more threads, then runs `register`; undone if it fails.
    /// (An out-of-range `n` is refused by `register`, so adds none.)
    fn with_threads(&self, n: c_int, register: impl FnOnce() -> Result) -> Result {
        let n = if (0..=MAX_OWN_THREADS).contains(&n) {
            n
        } else {
            0
        };
        self.own_threads(n, true)?;
        let r = register();
        if r.is_err() {
            let _ = self.own_threads(n, false);
        }
        r
    }

    /// Adds (or, with `add` false, removes) the `n` threads a driver or
    /// handler asked for to the pool.
    fn own_threads(&self, n: c_int, add: bool) -> Result {
        let n = u32::try_from(n).unwrap_or(0);
        if n == 0 {
            return Ok(());
        }
        let r = self.threads.lock().change_extra(n, add);
        if r.is_err() {
            pr_err!("could not start {} more SCST threads\n", n);
        }
        r
    }

    /// Unregisters a target template; complains about an unknown one.  The
    /// driver must have unregistered its targets first; any left are
    /// removed here, with a complaint.
    pub(crate) fn remove_template(&self, tmpl: *const ScstTgtTemplate) {
        let left = crate::sessions::remove_targets_of(self, tmpl);
        if left > 0 {
            pr_err!(
                "target driver unregistered with {} targets still registered; removed them\n",
                left
            );
        }
        let removed = {
            let mut reg = self.registry.lock();
            let pos = reg
                .templates
                .iter()
                .position(|t| core::ptr::eq(t.tmpl, tmpl));
            pos.and_then(|i| vec::remove(&mut reg.templates, i))
        };
        match removed {
            Some(e) => {
                let _ = self.own_threads(e.tmpl.threads_num, false);
                trace!(
                    self,
                    crate::trace::MGMT,
                    "target driver {} unregistered\n",
                    &*e.name
                )
            }
            None => pr_err!("unregistering a target driver that is not registered\n"),
        }
    }

    /// Registers a device handler; `who` names the registering module.
    fn add_handler_entry(
        &self,
        dev_type: &'static ScstDevType,
        owner: ModulePtr,
        who: &CStr,
    ) -> Result {
        // SAFETY: the handler's contract makes `name` a valid C string.
        let name = unsafe { checked_name(dev_type.name, who, "device handler", check_name) }?;
        let refuse = |why: &str| {
            pr_err!("{}: device handler {} refused: {}\n", who, &*name, why);
            Err(EINVAL)
        };
        if dev_type.flags & !SCST_DEV_FLAGS_ALL != 0 {
            return refuse("unknown flags");
        }
        if peripheral_type_name(dev_type.type_).is_none() {
            return refuse("peripheral type out of range 0x00..=0x1f");
        }
        if dev_type.parse.is_none() || dev_type.exec.is_none() {
            return refuse("parse() and exec() are required");
        }
        if !(0..=MAX_OWN_THREADS).contains(&dev_type.threads_num) {
            return refuse("threads_num out of range 0..=64");
        }
        let mut reg = self.registry.lock();
        if reg.name_taken(&name) {
            pr_err!("{}: name {} is already registered\n", who, &*name);
            return Err(EEXIST);
        }
        let dir = proc::module_dir(
            &self.proc_root,
            &name,
            Some(dev_type.type_),
            dev_type.trace_flags,
        )?;
        reg.handlers.push(
            HandlerEntry {
                dev_type,
                owner: Owner(owner),
                name,
                dir,
            },
            GFP_KERNEL,
        )?;
        // A pass-through handler takes the unassigned real devices of its type.
        if dev_type.flags & crate::scst_rs::api::abi::SCST_DEV_VIRTUAL == 0 {
            for d in reg
                .devices
                .iter_mut()
                .filter(|d| d.real.is_some() && d.handler.is_none() && d.type_ == dev_type.type_)
            {
                if crate::attach::attach(
                    d,
                    Attached {
                        dev_type,
                        owner: Owner(owner),
                    },
                )
                .is_ok()
                {
                    trace!(
                        self,
                        crate::trace::MGMT,
                        "device {} attached to handler {}\n",
                        &*d.name,
                        dev_type_name(dev_type)
                    );
                }
            }
        }
        Ok(())
    }

    /// Unregisters a device handler; complains about an unknown one.  The
    /// handler's module must have unregistered its devices first; any left
    /// are removed here, with a complaint.
    pub(crate) fn remove_handler(&self, dev_type: *const ScstDevType) {
        let left = crate::devices::remove_all_of(self, dev_type);
        if left > 0 {
            pr_err!(
                "device handler unregistered with {} devices still registered; removed them\n",
                left
            );
        }
        let removed = {
            let mut reg = self.registry.lock();
            let pos = reg
                .handlers
                .iter()
                .position(|h| core::ptr::eq(h.dev_type, dev_type));
            pos.and_then(|i| vec::remove(&mut reg.handlers, i))
        };
        match removed {
            Some(e) => {
                let _ = self.own_threads(e.dev_type.threads_num, false);
                trace!(
                    self,
                    crate::trace::MGMT,
                    "device handler {} unregistered\n",
                    &*e.name
                )
            }
            None => pr_err!("unregistering a device handler that is not registered\n"),
        }
    }
}

/// A registered handler's name.
pub(crate) fn dev_type_name(t: &ScstDevType) -> &CStr {
    // SAFETY: registration checked the name is a valid C string, and the
    // handler stays registered while anything refers to it.
    unsafe { CStr::from_char_ptr(t.name.cast()) }
}

/// The shared state as held by /proc files and the module.
pub(crate) type SharedRef = Arc<Shared>;
