// SPDX-License-Identifier: GPL-2.0

//! The command buffer pool ("SGV cache") and the `scst_max_cmd_mem` limit.
//!
//! Buffers come in power-of-two classes from 4 KiB to 4 MiB; a freed
//! buffer goes back to its class's free list (at most `KEEP` per class),
//! so steady traffic allocates nothing.  Larger buffers are allocated and
//! freed each time.  /proc/scsi_tgt/sgv shows, per class, how many
//! allocations were served from the cache ("Hit") of how many ("Total").
//!
//! All buffers of commands in flight count against `scst_max_cmd_mem`.
//! A buffer that would pass the limit while other commands hold memory is
//! refused, and the command answered BUSY, which initiators retry; a
//! command alone always gets its buffer, so a command larger than the
//! limit cannot starve.
//!
//! Buffers are vmalloc memory, so that a target driver can hand their
//! pages to the network without a copy (iSCSI's Data-In).  Such a buffer
//! is "lent" (`lend`): when its command ends, the network may still hold
//! its pages (unacknowledged data stays queued for retransmission), and a
//! buffer rewritten then would send another command's data.  A lent
//! buffer whose pages are still referenced waits on a second list until
//! they are let go; an allocation that finds its class's free list empty
//! takes one from there that is idle again.
//!
//! A reused buffer holds an earlier command's data.  It is zeroed only
//! with CONFIG_SCST_STRICT_SECURITY, as in SCST: handlers return only the
//! bytes they wrote, but one that claims more (NULLIO reads) returns stale
//! data.  Fresh allocations are always zeroed.

use crate::scst_rs::vec::pages_shared;
use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::{alloc::VVec, new_mutex, prelude::*, sync::Mutex};

const MIN_SHIFT: u32 = 12;
const CLASSES: usize = 11;
/// Class names in /proc/scsi_tgt/sgv.
const LABELS: [&str; CLASSES] = [
    "4K", "8K", "16K", "32K", "64K", "128K", "256K", "512K", "1M", "2M", "4M",
];
/// Free buffers kept per class.
const KEEP: usize = 32;

/// A command's data buffer.
pub(crate) struct Buf {
    data: VVec<u8>,
    len: usize,
    /// Its pages went to the network by reference.
    lent: bool,
}

impl Buf {
    /// The pages may be held by others after the command ends: the buffer
    /// is not reused before they let go.
    pub(crate) fn lend(&mut self) {
        self.lent = true;
    }

    /// The bytes the command uses.
    pub(crate) fn as_mut_slice(&mut self) -> &mut [u8] {
        let len = self.len;
        self.data.get_mut(..len).unwrap_or(&mut [])
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

/// Why no buffer was given.
pub(crate) enum NoBuf {
    /// `scst_max_cmd_mem` would be passed: answer BUSY.
    Limit,
    /// The allocator failed: answer BUSY too.
    NoMemory,
    /// The command alone needs more than `scst_max_cmd_mem`: it never
    /// fits, so BUSY would only make the initiator retry for ever.
    TooBig,
}

/// The class serving `len` bytes, if any.
fn class_of(len: usize) -> Option<usize> {
    let shift = len
        .max(1)
        .next_power_of_two()
        .trailing_zeros()
        .max(MIN_SHIFT);
    let c = (shift - MIN_SHIFT) as usize;
    (c < CLASSES).then_some(c)
}

fn class_size(c: usize) -> usize {
    1 << (MIN_SHIFT as usize + c)
}

/// Cached buffers per class: idle ones, and lent ones the network may
/// still hold.
struct Lists {
    free: [KVec<VVec<u8>>; CLASSES],
    lent: [KVec<VVec<u8>>; CLASSES],
}

impl Lists {
    /// An idle buffer of class `c`.
    fn take(&mut self, c: usize) -> Option<VVec<u8>> {
        if let Some(d) = self.free.get_mut(c).and_then(|l| pop(l)) {
            return Some(d);
        }
        // Oldest first: the likeliest to be let go.
        let lent = self.lent.get_mut(c)?;
        let i = lent.iter().position(|d| !pages_shared(d))?;
        crate::scst_rs::vec::remove(lent, i)
    }
}

#[pin_data]
pub(crate) struct Sgv {
    #[pin]
    lists: Mutex<Lists>,
    hits: [AtomicU64; CLASSES + 1],
    totals: [AtomicU64; CLASSES + 1],
    in_flight: AtomicU64,
    max: u64,
    busy: AtomicU64,
    /// Buffers lent to the network, and those of them it still held when
    /// their command ended.
    lent: AtomicU64,
    held: AtomicU64,
    /// Commands whose buffer was the target driver's own scatterlist.
    in_place: AtomicU64,
}

impl Sgv {
    pub(crate) fn new(max_bytes: u64) -> impl PinInit<Self> {
        pin_init!(Self {
            lists <- new_mutex!(Lists { free: [const { KVec::new() }; CLASSES], lent: [const { KVec::new() }; CLASSES] }),
            hits: [const { AtomicU64::new(0) }; CLASSES + 1],
            totals: [const { AtomicU64::new(0) }; CLASSES + 1],
            in_flight: AtomicU64::new(0),
            max: max_bytes,
            busy: AtomicU64::new(0),
            lent: AtomicU64::new(0),
            held: AtomicU64::new(0),
            in_place: AtomicU64::new(0),
        })
    }

    /// Reserves `bytes` of the limit, or says why not.
    fn reserve(&self, bytes: u64) -> Result<(), NoBuf> {
        if bytes > self.max {
            return Err(NoBuf::TooBig);
        }
        let mut cur = self.in_flight.load(Ordering::Relaxed);
        loop {
            if cur.saturating_add(bytes) > self.max {
                self.busy.fetch_add(1, Ordering::Relaxed);
                return Err(NoBuf::Limit);
            }
            match self.in_flight.compare_exchange_weak(
                cur,
                cur + bytes,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(()),
                Err(now) => cur = now,
            }
        }
    }

    /// A command uses its target driver's buffer instead of one of ours.
    pub(crate) fn count_in_place(&self) {
        self.in_place.fetch_add(1, Ordering::Relaxed);
    }

    /// A buffer of `len` bytes.  `clear`: a reused buffer's bytes are
    /// zeroed (data-in the handler may not write in full: another
    /// initiator's data must never reach this one); new ones always are.
    pub(crate) fn alloc(&self, len: usize, clear: bool) -> Result<Buf, NoBuf> {
        let class = class_of(len);
        let cap = class.map_or(len, class_size);
        self.reserve(cap as u64)?;
        let slot = class.unwrap_or(CLASSES);
        if let Some(t) = self.totals.get(slot) {
            t.fetch_add(1, Ordering::Relaxed);
        }
        let cached = class.and_then(|c| self.lists.lock().take(c));
        let data = match cached {
            Some(mut d) => {
                if let Some(h) = self.hits.get(slot) {
                    h.fetch_add(1, Ordering::Relaxed);
                }
                if cfg!(CONFIG_SCST_STRICT_SECURITY) {
                    d.fill(0);
                } else if clear {
                    if let Some(used) = d.get_mut(..len) {
                        used.fill(0);
                    }
                }
                d
            }
            None => VVec::from_elem(0u8, cap, GFP_KERNEL).map_err(|_| {
                self.in_flight.fetch_sub(cap as u64, Ordering::Relaxed);
                NoBuf::NoMemory
            })?,
        };
        Ok(Buf {
            data,
            len,
            lent: false,
        })
    }

    /// Returns a command's buffer.
    pub(crate) fn free(&self, buf: Buf) {
        let cap = buf.data.len();
        self.in_flight.fetch_sub(cap as u64, Ordering::Relaxed);
        let busy = buf.lent && pages_shared(&buf.data);
        if buf.lent {
            self.lent.fetch_add(1, Ordering::Relaxed);
        }
        if busy {
            self.held.fetch_add(1, Ordering::Relaxed);
        }
        let Some(c) = class_of(cap).filter(|&c| class_size(c) == cap) else {
            return;
        };
        let mut lists = self.lists.lock();
        let list = if busy {
            lists.lent.get_mut(c)
        } else {
            lists.free.get_mut(c)
        };
        if let Some(list) = list {
            if list.len() < KEEP {
                // Without memory for the list slot the buffer is simply
                // freed (pages the network holds stay until it lets go).
                let _ = list.push(buf.data, GFP_ATOMIC);
            }
        }
    }
}

fn pop<T>(v: &mut KVec<T>) -> Option<T> {
    let last = v.len().checked_sub(1)?;
    crate::scst_rs::vec::remove(v, last)
}

impl fmt::Display for Sgv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<20} {:<11} {:<11}", "Size", "Hit", "Total")?;
        for c in 0..=CLASSES {
            let hit = self.hits.get(c).map_or(0, |a| a.load(Ordering::Relaxed));
            let total = self.totals.get(c).map_or(0, |a| a.load(Ordering::Relaxed));
            let label = LABELS.get(c).copied().unwrap_or("big");
            writeln!(f, "{:<20} {:<11} {:<11}", label, hit, total)?;
        }
        writeln!(
            f,
            "In flight: {} KiB of {} KiB (scst_max_cmd_mem); BUSY answers: {}",
            self.in_flight.load(Ordering::Relaxed) / 1024,
            self.max / 1024,
            self.busy.load(Ordering::Relaxed)
        )?;
        writeln!(
            f,
            "Lent to the network: {} (still held at the command's end: {})",
            self.lent.load(Ordering::Relaxed),
            self.held.load(Ordering::Relaxed)
        )?;
        writeln!(
            f,
            "Target driver buffers used in place: {}",
            self.in_place.load(Ordering::Relaxed)
        )
    }
}
