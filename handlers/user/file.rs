// SPDX-License-Identifier: GPL-2.0

//! /dev/scst_user: one open file serves at most one device.  Every
//! argument is read from user space once, into kernel memory, and
//! checked before use.

use crate::abi::*;
use crate::dev::{timer_name, UserDev};
use crate::queue::Handle;
use crate::scst_rs::kthread::{self, KThread};
use crate::scst_rs::miscdev::{poll, Ioctl, MiscFile, PollTable};
use crate::scst_rs::ratelimit::Ratelimit;
use crate::wire::{self, DevDesc};
use core::mem::offset_of;
use kernel::{
    new_mutex,
    prelude::*,
    str::CString,
    sync::{Arc, ArcBorrow, Mutex},
    uaccess::UserSlice,
};

/// Longest version or license string read.
const MAX_STR: usize = 64;
/// Most commands one REPLY_AND_GET_MULTI fetches.
const MAX_MULTI: usize = 64;

/// The device's node.
pub(crate) struct UserFile;

/// The device of an open file and the thread that times its commands
/// out.
struct Served {
    dev: Arc<UserDev>,
    timer: KThread,
}

/// An open file.
#[pin_data]
pub(crate) struct Fd {
    module: &'static ThisModule,
    #[pin]
    served: Mutex<Option<Served>>,
}

impl Fd {
    fn dev(&self) -> Result<Arc<UserDev>> {
        self.served
            .lock()
            .as_ref()
            .map(|s| s.dev.clone())
            .ok_or(ENODEV)
    }
}

#[vtable]
impl MiscFile for UserFile {
    type Ctx = &'static ThisModule;
    type Data = Arc<Fd>;

    fn open(module: &&'static ThisModule) -> Result<Arc<Fd>> {
        Arc::pin_init(
            pin_init!(Fd {
                module: *module,
                served <- new_mutex!(None),
            }),
            GFP_KERNEL,
        )
    }

    fn release(fd: Arc<Fd>) {
        let served = fd.served.lock().take();
        if let Some(s) = served {
            drop(s.timer);
            s.dev.close();
            pr_info!("{}: unregistered\n", s.dev.name());
        }
    }

    fn ioctl(fd: ArcBorrow<'_, Fd>, req: &Ioctl) -> Result<i32> {
        if req.cmd == SCST_USER_REGISTER_DEVICE {
            return register(&fd, req).map(|()| 0);
        }
        let dev = fd.dev()?;
        match req.cmd {
            SCST_USER_REPLY_AND_GET_CMD => reply_and_get(&dev, req),
            SCST_USER_REPLY_CMD => {
                dev.reply_from(req.arg as u64)?;
                Ok(0)
            }
            SCST_USER_REPLY_AND_GET_MULTI => reply_and_get_multi(&dev, req),
            SCST_USER_GET_OPTIONS => {
                let o = *dev.opt.lock();
                req.user(0, wire::OPT_SIZE)
                    .writer()
                    .write_slice(&wire::encode_opt(&o))?;
                Ok(0)
            }
            SCST_USER_SET_OPTIONS => set_options(&dev, req),
            SCST_USER_GET_EXTENDED_CDB => {
                let mut b = [0u8; 16];
                req.user(0, b.len()).reader().read_slice(&mut b)?;
                let h = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
                let at = offset_of!(scst_user_get_ext_cdb, ext_cdb_buffer);
                let to = u64::from_ne_bytes(b[at..at + 8].try_into().map_err(|_| EINVAL)?);
                dev.extended_cdb(Handle(h), to)?;
                Ok(0)
            }
            SCST_USER_PREALLOC_BUFFER => {
                let mut b = [0u8; 16];
                req.user(0, b.len()).reader().read_slice(&mut b)?;
                let pbuf = u64::from_ne_bytes(b[..8].try_into().map_err(|_| EINVAL)?);
                dev.prealloc(pbuf)?;
                Ok(0)
            }
            SCST_USER_FLUSH_CACHE => Ok(0),
            SCST_USER_DEVICE_CAPACITY_CHANGED => {
                if let Some(id) = dev.id() {
                    crate::scst_rs::api::client::unit_attention(id, 0x2a, 0x09);
                }
                Ok(0)
            }
            SCST_USER_UNREGISTER_DEVICE => {
                dev.unblock();
                Ok(0)
            }
            _ => {
                if dev.complaints.allow() {
                    pr_err!("{}: unknown request {:#x}\n", dev.name(), req.cmd);
                }
                Err(EINVAL)
            }
        }
    }

    fn poll(fd: ArcBorrow<'_, Fd>, table: &PollTable<'_>) -> u32 {
        let Ok(dev) = fd.dev() else {
            return poll::ERR;
        };
        table.wait_on(dev.wait_queue());
        match dev.poll_state() {
            (_, true) => poll::HUP,
            (true, _) => poll::IN,
            _ => 0,
        }
    }
}

/// Reads a NUL-terminated string of at most [`MAX_STR`] bytes.
fn read_str(p: u64, buf: &mut [u8; MAX_STR]) -> Result<&[u8]> {
    for i in 0..MAX_STR {
        let mut c = [0u8; 1];
        UserSlice::new((p as usize).wrapping_add(i), 1)
            .reader()
            .read_slice(&mut c)?;
        if c[0] == 0 {
            return Ok(&buf[..i]);
        }
        buf[i] = c[0];
    }
    Err(EINVAL)
}

/// Refused registrations are logged at this rate at most (any program
/// may try at will).
static REFUSALS: Ratelimit = Ratelimit::new();

/// Logs a refusal, at [`REFUSALS`]' rate.
macro_rules! refuse {
    ($($a:tt)*) => {
        if REFUSALS.allow() {
            pr_err!($($a)*);
        }
    };
}

fn register(fd: &Fd, req: &Ioctl) -> Result {
    let mut b = [0u8; wire::DESC_SIZE];
    req.user(0, b.len()).reader().read_slice(&mut b)?;
    let d = DevDesc::decode(&b);
    let mut sbuf = [0u8; MAX_STR];
    let version = read_str(d.version_str, &mut sbuf)?;
    if version != DEV_USER_VERSION.as_bytes() {
        refuse!(
            "register: the program speaks \"{}\", this module \"{}\": rebuild it against this scst_user.h\n",
            kernel::str::BStr::from_bytes(version),
            DEV_USER_VERSION
        );
        return Err(EINVAL);
    }
    let mut lbuf = [0u8; MAX_STR];
    let license = read_str(d.license_str, &mut lbuf)?;
    if !wire::LICENSES.iter().any(|l| l.as_bytes() == license) {
        refuse!(
            "register: license \"{}\" refused (one of GPL, GPL v2, Dual BSD/GPL, Dual MIT/GPL, Dual MPL/GPL)\n",
            kernel::str::BStr::from_bytes(license)
        );
        return Err(EPERM);
    }
    d.check().map_err(|e| {
        refuse!("register: {:?}\n", e);
        EINVAL
    })?;
    check_supported(&d.opt)?;
    let name = d.name().map_err(|_| EINVAL)?;
    let name = core::str::from_utf8(name).map_err(|_| {
        refuse!("register: the name is not text\n");
        EINVAL
    })?;
    let name = CString::try_from_fmt(kernel::fmt!("{}", name))?;

    let mut served = fd.served.lock();
    if served.is_some() {
        refuse!("register: this file already serves a device\n");
        return Err(EINVAL);
    }
    let dev = UserDev::new(name, d.block_size, d.opt, crate::cmd_timeout())?;
    // Before the device exists: past `attach_scst` every error path must
    // close it.
    let thread_name = timer_name(&dev)?;
    dev.attach_scst(d.type_, fd.module).inspect_err(|e| {
        refuse!("register: {}: refused by the core ({:?})\n", dev.name(), e);
    })?;
    let tdev = dev.clone();
    let timer = KThread::run(&thread_name, move || {
        while !kthread::should_stop() {
            kthread::sleep_for(kthread::ticks_of_ms(1000));
            tdev.expire();
        }
    });
    let timer = match timer {
        Ok(t) => t,
        Err(e) => {
            dev.close();
            return Err(e);
        }
    };
    pr_info!(
        "{}: registered (type {}, block size {})\n",
        dev.name(),
        d.type_,
        d.block_size
    );
    *served = Some(Served { dev, timer });
    Ok(())
}

/// Options this module does not implement yet are refused by name
/// rather than accepted and ignored.
fn check_supported(o: &scst_user_opt) -> Result {
    if o.parse_type != SCST_USER_PARSE_STANDARD {
        refuse!(
            "register: parse_type {} is not supported yet (only STANDARD)\n",
            o.parse_type
        );
        return Err(EINVAL);
    }
    if o.partial_transfers_type != SCST_USER_PARTIAL_TRANSFERS_NOT_SUPPORTED {
        refuse!("register: partial transfers are not supported\n");
        return Err(EINVAL);
    }
    Ok(())
}

fn set_options(dev: &UserDev, req: &Ioctl) -> Result<i32> {
    let mut b = [0u8; wire::OPT_SIZE];
    req.user(0, b.len()).reader().read_slice(&mut b)?;
    let o = wire::decode_opt(&b);
    wire::check_opt(&o).map_err(|e| {
        refuse!("{}: SET_OPTIONS: {:?}\n", dev.name(), e);
        EINVAL
    })?;
    check_supported(&o)?;
    *dev.opt.lock() = o;
    Ok(0)
}

fn reply_and_get(dev: &UserDev, req: &Ioctl) -> Result<i32> {
    let mut head = [0u8; wire::PREPLY_AT + 8];
    req.user(0, head.len()).reader().read_slice(&mut head)?;
    let preply = wire::preply(&head);
    if preply != 0 {
        dev.reply_from(preply)?;
    }
    // A signal while waiting: with the reply taken, the call must not be
    // restarted with it (SA_RESTART), so EINTR, which is never restarted.
    dev.get_cmd(req, 0, req.nonblock).map_err(|e| {
        if preply != 0 && e == ERESTARTSYS {
            EINTR
        } else {
            e
        }
    })?;
    Ok(0)
}

/// REPLY_AND_GET_MULTI: the replies in order (stopping at the first
/// refused, with `replies_done` saying how far it got), then up to
/// `cmds_cnt` commands, waiting only for the first.
fn reply_and_get_multi(dev: &UserDev, req: &Ioctl) -> Result<i32> {
    type M = scst_user_get_multi;
    let mut h = [0u8; core::mem::size_of::<M>()];
    req.user(0, h.len()).reader().read_slice(&mut h)?;
    let preplies = u64::from_ne_bytes(h[..8].try_into().map_err(|_| EINVAL)?);
    let i16_at = |at: usize| i16::from_ne_bytes([h[at], h[at + 1]]);
    let replies = i16_at(offset_of!(M, replies_cnt));
    let cmds = i16_at(offset_of!(M, cmds_cnt));
    if replies < 0 || cmds < 0 {
        return Err(EINVAL);
    }
    let put_i16 = |at: usize, v: i16| req.user(at, 2).writer().write_slice(&v.to_ne_bytes());
    let mut done = 0i16;
    while done < replies {
        let at = preplies.wrapping_add(done as u64 * wire::REPLY_SIZE as u64);
        if let Err(e) = dev.reply_from(at) {
            put_i16(offset_of!(M, replies_done), done)?;
            put_i16(offset_of!(M, cmds_cnt), 0)?;
            return Err(e);
        }
        done += 1;
    }
    put_i16(offset_of!(M, replies_done), done)?;
    let want = (cmds as usize).min(MAX_MULTI);
    let mut got = 0usize;
    while got < want {
        let at = offset_of!(M, cmds) + got * wire::GET_CMD_SIZE;
        match dev.get_cmd(req, at, req.nonblock || got > 0) {
            Ok(()) => got += 1,
            Err(e) if got == 0 => {
                put_i16(offset_of!(M, cmds_cnt), 0)?;
                // Replies taken: not to be replayed by a restart.
                return Err(if done > 0 && e == ERESTARTSYS {
                    EINTR
                } else {
                    e
                });
            }
            Err(_) => break,
        }
    }
    put_i16(offset_of!(M, cmds_cnt), got as i16)?;
    Ok(0)
}
