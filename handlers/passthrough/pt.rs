// SPDX-License-Identifier: GPL-2.0

//! What every pass-through handler module shares (each includes this file):
//! a real SCSI device attached to a handler, the CDB decoded with the
//! device's block size, the command sent to the device as it is through a
//! block-layer passthrough request, and the device's status, sense and
//! residual returned unchanged.  The `*_perf` handlers answer READ and
//! WRITE themselves.  See docs/passthrough.md.
//!
//! A device's state is its `PtDev`, the handler's device data (see
//! rust/api/handler.rs) from `attach` to `detach`.

use crate::fixups;
use crate::scst_rs::{
    api::{
        cmd::{Cmd, Context, Direction},
        dev::DevRef,
        handler::{self, DevHandler, Exec, Registration},
    },
    scsi::{device_type, op, Sense, Status},
    scsi_exec::{self, ExecDone, Outcome, ScsiDev},
};
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::prelude::*;

/// A real device attached to one of this module's handlers.
pub(crate) struct PtDev {
    sdev: ScsiDev,
    /// Block length for decoding CDBs: disks, MO and CD-ROMs learn it from
    /// READ CAPACITY, tapes from the mode block descriptor (0: variable).
    block_size: AtomicU32,
    /// Commands refused for the device's transfer limits (logged the 1st,
    /// 2nd, 4th, 8th, ... time: an initiator repeating one is no flood).
    refused: AtomicU32,
}

/// The handler of peripheral type `T`; `PERF` for the variant that skips
/// READ and WRITE.
pub(crate) struct Pt<const T: u8, const PERF: bool>;

#[vtable]
impl<const T: u8, const PERF: bool> DevHandler for Pt<T, PERF> {
    type DevData = KBox<PtDev>;

    // `exec` does not wait for the device; threads only block while the
    // device's queue is full.
    const THREADS: u32 = 2;
    // With CONFIG_SCST_ALLOW_PASSTHROUGH_IO_SUBMIT_IN_SIRQ the core may
    // call `exec` in atomic context, which then allocates without sleeping.
    const EXEC_ATOMIC: bool = cfg!(CONFIG_SCST_ALLOW_PASSTHROUGH_IO_SUBMIT_IN_SIRQ);
    const DEV_DONE_ATOMIC: bool = true;

    fn attach(d: &DevRef) -> Result<KBox<PtDev>> {
        attach::<T>(d)
    }

    fn parse(c: &Cmd, dev: &PtDev) -> Result {
        c.decode(block_size(T, dev))
    }

    fn exec(c: Cmd, dev: &PtDev) -> Exec {
        exec::<T, PERF>(c, dev)
    }

    fn dev_done(c: &mut Cmd, dev: &PtDev) {
        dev_done::<T>(c, dev)
    }
}

/// A pass-through handler module: `pt_module!(Type, "module", "description",
/// DEVICE_TYPE, "handler" [, "perf handler"])` at the crate root after
/// `mod pt` gives the module and its registration.
macro_rules! pt_module {
    ($ty:ident, $name:tt, $desc:tt, $t:ident, $handler:tt $(, $perf:tt)?) => {
        ::kernel::prelude::module! {
            type: $ty,
            name: $name,
            author: "SCST-rs developers",
            description: $desc,
            license: "GPL",
        }

        struct $ty {
            _handlers: pt::Handlers<{ scst_rs::scsi::device_type::$t }>,
        }

        impl ::kernel::Module for $ty {
            fn init(module: &'static ::kernel::ThisModule) -> ::kernel::error::Result<Self> {
                let perf: Option<&'static ::kernel::str::CStr> = None $(.or(Some(::kernel::c_str!($perf))))?;
                Ok(Self {
                    _handlers: pt::Handlers::register(::kernel::c_str!($handler), perf, module)?,
                })
            }
        }
    };
}

/// The registrations of a module's handlers, unregistered when dropped.
pub(crate) struct Handlers<const T: u8> {
    _main: Registration<Pt<T, false>>,
    _perf: Option<Registration<Pt<T, true>>>,
}

impl<const T: u8> Handlers<T> {
    /// Registers handler `name`, and `perf` (the `*_perf` variant) if given.
    pub(crate) fn register(
        name: &'static CStr,
        perf: Option<&'static CStr>,
        module: &'static ThisModule,
    ) -> Result<Self> {
        let main = Registration::new(name, T, module)?;
        let perf = perf.map(|p| Registration::new(p, T, module)).transpose()?;
        Ok(Self {
            _main: main,
            _perf: perf,
        })
    }
}

/// The device of a command outside the handler's callbacks (its
/// completion).
fn pt_dev<const T: u8>(c: &Cmd) -> Option<&PtDev> {
    // SAFETY: the commands `Done<T>` gets are ones `exec` of `Pt<T, _>`
    // submitted, still in flight; `Pt<T, true>`'s device data is the same
    // type as `Pt<T, false>`'s.
    unsafe { handler::dev_data::<Pt<T, false>>(c) }
}

fn exec<const T: u8, const PERF: bool>(mut c: Cmd, pd: &PtDev) -> Exec {
    let dev = pd.sdev;
    let dir = c.data_direction();
    let op = c.cdb().first().copied().unwrap_or(0);
    let (buf, len) = {
        let b = c.buffer();
        (b.as_mut_ptr(), b.len() as u32)
    };
    if PERF && fixups::perf_skips(T, op) {
        // Pretend: a read returns the buffer as it was allocated.
        if dir == Direction::Read {
            c.set_resp_len(len);
        }
        return Exec::Done(c);
    }
    if dir == Direction::Bidi {
        pr_err!(
            "opcode 0x{:02x}: bidirectional commands are not passed through\n",
            op
        );
        c.fail(Sense::INVALID_OPCODE);
        return Exec::Done(c);
    }
    if !dev.fits(buf, len) {
        limit_refused(&c, pd, op, buf, len);
        return Exec::Done(c);
    }
    // Not in process context (the core says which: a guess from the CPU's
    // state would miss an RCU read-side section), the request is taken
    // without waiting for a free one.
    let atomic =
        cfg!(CONFIG_SCST_ALLOW_PASSTHROUGH_IO_SUBMIT_IN_SIRQ) && c.context() != Context::Direct;
    let timeout = fixups::timeout_ms(T, op);
    // From here on the command may complete at any time: `Done` has it.
    let c = match dev.submit_cmd::<Done<T>>(c, timeout, atomic) {
        Ok(()) => return Exec::Later,
        Err((c, e)) => {
            refused(&c, pd, op, buf, len, e);
            c
        }
    };
    Exec::Done(c)
}

/// The device took no request for the command: why, as sense or status.
fn refused(c: &Cmd, pd: &PtDev, op: u8, buf: *const u8, len: u32, e: Error) {
    match e {
        e if e == EINVAL => limit_refused(c, pd, op, buf, len),
        // The device is being removed: the LUN is going.
        e if e == ENODEV => c.fail(Sense::LUN_NOT_SUPPORTED),
        // No request free: the initiator retries.
        _ => c.set_status(Status::BUSY, &[]),
    }
}

/// A transfer the device's queue cannot take in one request (too long or
/// too many segments): refused, with the message SCST users know.
fn limit_refused(c: &Cmd, pd: &PtDev, op: u8, buf: *const u8, len: u32) {
    let n = pd.refused.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
    if n.is_power_of_two() {
        pr_err!(
            "Unable to complete command due to SG IO count limitation (opcode 0x{:02x}: {} bytes in {} pages; the device takes {} bytes in {} pages; refusal {})\n",
            op,
            len,
            scsi_exec::pages_spanned(buf, len),
            pd.sdev.max_bytes(),
            pd.sdev.max_pages(),
            n
        );
    }
    c.fail(Sense::INVALID_FIELD_IN_CDB);
}

/// The device answered: its status, sense and residual become the
/// command's, unchanged.
struct Done<const T: u8>;

impl<const T: u8> ExecDone for Done<T> {
    fn done(mut c: Cmd, o: &Outcome<'_>) {
        let len = c.buffer().len() as u32;
        match o.host_byte() {
            0 => {
                if c.data_direction() == Direction::Read {
                    let fixed = fixed_block::<T>(&c);
                    c.set_resp_len(bytes_read::<T>(o, len, fixed));
                }
                c.set_status(Status(o.status()), o.sense);
            }
            // DID_NO_CONNECT, DID_BAD_TARGET: the device is gone.
            0x01 | 0x04 => c.fail(Sense::LUN_NOT_SUPPORTED),
            // DID_TIME_OUT: LOGICAL UNIT COMMUNICATION TIME-OUT.
            0x03 => c.fail(Sense::LUN_COMMUNICATION_TIMEOUT),
            // DID_BUS_BUSY, DID_RESET, DID_SOFT_ERROR, DID_IMM_RETRY,
            // DID_REQUEUE, DID_TRANSPORT_DISRUPTED: try again later.
            0x02 | 0x08 | 0x0b | 0x0c | 0x0d | 0x0e => c.set_status(Status::BUSY, &[]),
            // Anything else: INTERNAL TARGET FAILURE.
            _ => c.fail(Sense::INTERNAL_TARGET_FAILURE),
        }
        c.done(Context::Atomic);
    }
}

/// A tape READ's block length if its FIXED bit is set (the residue in
/// its sense data counts blocks then).
fn fixed_block<const T: u8>(c: &Cmd) -> Option<u32> {
    let fixed = T == device_type::TAPE && c.cdb().get(1).is_some_and(|b| b & 0x01 != 0);
    fixed.then(|| pt_dev::<T>(c).map_or(0, |d| d.block_size.load(Ordering::Relaxed)))
}

/// Bytes a read moved: what the midlayer's residual says, or for a tape
/// read cut short by a filemark, end of medium or a shorter block, what
/// the sense data's residue says (the midlayer's residual is 0 then for
/// many transports).
fn bytes_read<const T: u8>(o: &Outcome<'_>, len: u32, fixed: Option<u32>) -> u32 {
    let moved = len.saturating_sub(o.resid);
    if T != device_type::TAPE || o.status() != Status::CHECK_CONDITION.0 || o.resid != 0 {
        return moved;
    }
    fixups::tape_bytes_read(o.sense, len, fixed).unwrap_or(moved)
}

/// Fixups after a successful command: learn block size changes, report a
/// read-only LUN as write protected.  Atomic context: touches only the
/// command's buffer and the device's atomics.
fn dev_done<const T: u8>(c: &mut Cmd, dev: &PtDev) {
    if c.status() != Status::GOOD {
        return;
    }
    let mut head = [0u8; 2];
    for (d, s) in head.iter_mut().zip(c.cdb()) {
        *d = *s;
    }
    let read_only = c.lun_read_only();
    let n = c.resp_len() as usize;
    let block_size = &dev.block_size;
    let data = c.buffer();
    let data_in = data.get(..n.min(data.len())).unwrap_or(&[]);
    let ten = head[0] == op::MODE_SENSE_10 || head[0] == op::MODE_SELECT_10;
    match (T, head[0]) {
        (
            device_type::DISK | device_type::OPTICAL | device_type::CDROM,
            op::READ_CAPACITY_10 | op::SERVICE_ACTION_IN_16,
        ) => {
            if let Some(bs) = fixups::capacity_block_len(&head, data_in) {
                block_size.store(bs, Ordering::Relaxed);
            }
        }
        (device_type::TAPE, op::MODE_SENSE_6 | op::MODE_SENSE_10) => {
            if let Some(bs) = fixups::mode_block_len(data_in, ten) {
                block_size.store(bs, Ordering::Relaxed);
            }
        }
        // A MODE SELECT's parameter list is the whole (data-out) buffer.
        (device_type::TAPE, op::MODE_SELECT_6 | op::MODE_SELECT_10) => {
            if let Some(bs) = fixups::mode_block_len(data, ten) {
                block_size.store(bs, Ordering::Relaxed);
            }
        }
        (device_type::DISK | device_type::OPTICAL, op::MODE_SENSE_6 | op::MODE_SENSE_10)
            if read_only =>
        {
            let end = n.min(data.len());
            if let Some(d) = data.get_mut(..end) {
                fixups::set_write_protect(d, ten);
            }
        }
        _ => {}
    }
}

/// A device of type `T` is attached: its state, and what it takes.
fn attach<const T: u8>(d: &DevRef) -> Result<KBox<PtDev>> {
    let Some(sdev) = d.scsi_dev() else {
        pr_err!("{}: not a real SCSI device\n", d.name());
        return Err(EINVAL);
    };
    let bs = initial_block_size(T, &sdev);
    let dev = KBox::new(
        PtDev {
            sdev,
            block_size: AtomicU32::new(bs),
            refused: AtomicU32::new(0),
        },
        GFP_KERNEL,
    )?;
    pr_info!(
        "{}: attached (block size {}, at most {} bytes in {} pages per command)\n",
        d.name(),
        bs,
        sdev.max_bytes(),
        sdev.max_pages()
    );
    Ok(dev)
}

/// The block size at attach time.  No command may be sent here (the core
/// holds its registry, which the command path takes: a device exported by
/// scst_local would deadlock), so disks, MO and CD-ROMs take what sd or sr
/// learned, if they have, else 0 (unknown: see `block_size`); tapes start
/// in variable-block mode (0) until a MODE SENSE or MODE SELECT tells,
/// which every tape initiator sends before its first READ or WRITE.
fn initial_block_size(t: u8, sdev: &ScsiDev) -> u32 {
    match t {
        device_type::DISK | device_type::OPTICAL | device_type::CDROM => sdev.sector_size(),
        _ => 0,
    }
}

/// The block size to decode a command with.  For disks, MO and CD-ROMs
/// a 0 (nobody has read the capacity yet) is filled from the midlayer,
/// else taken as 512 (2048 for CD-ROMs); an initiator's READ CAPACITY
/// corrects it before its first READ or WRITE anyway.
fn block_size(t: u8, d: &PtDev) -> u32 {
    let bs = d.block_size.load(Ordering::Relaxed);
    if bs != 0
        || !matches!(
            t,
            device_type::DISK | device_type::OPTICAL | device_type::CDROM
        )
    {
        return bs;
    }
    match d.sdev.sector_size() {
        0 if t == device_type::CDROM => 2048,
        0 => 512,
        n => {
            d.block_size.store(n, Ordering::Relaxed);
            n
        }
    }
}
