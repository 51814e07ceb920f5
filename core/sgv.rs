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
//! A reused buffer holds an earlier command's data.  It is zeroed only
//! with CONFIG_SCST_STRICT_SECURITY, as in SCST: handlers return only the
//! bytes they wrote, but one that claims more (NULLIO reads) returns stale
//! data.  Fresh allocations are always zeroed.

use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::{new_mutex, prelude::*, sync::Mutex};

const MIN_SHIFT: u32 = 12;
const CLASSES: usize = 11;
/// Class names in /proc/scsi_tgt/sgv.
const LABELS: [&str; CLASSES] = ["4K", "8K", "16K", "32K", "64K", "128K", "256K", "512K", "1M", "2M", "4M"];
/// Free buffers kept per class.
const KEEP: usize = 32;

/// A command's data buffer.
pub(crate) struct Buf {
    data: KVVec<u8>,
    len: usize,
}

impl Buf {
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
}

/// The class serving `len` bytes, if any.
fn class_of(len: usize) -> Option<usize> {
    let shift = len.max(1).next_power_of_two().trailing_zeros().max(MIN_SHIFT);
    let c = (shift - MIN_SHIFT) as usize;
    (c < CLASSES).then_some(c)
}

fn class_size(c: usize) -> usize {
    1 << (MIN_SHIFT as usize + c)
}

#[pin_data]
pub(crate) struct Sgv {
    #[pin]
    free: Mutex<[KVec<KVVec<u8>>; CLASSES]>,
    hits: [AtomicU64; CLASSES + 1],
    totals: [AtomicU64; CLASSES + 1],
    in_flight: AtomicU64,
    max: u64,
    busy: AtomicU64,
}

impl Sgv {
    pub(crate) fn new(max_bytes: u64) -> impl PinInit<Self> {
        pin_init!(Self {
            free <- new_mutex!([const { KVec::new() }; CLASSES]),
            hits: [const { AtomicU64::new(0) }; CLASSES + 1],
            totals: [const { AtomicU64::new(0) }; CLASSES + 1],
            in_flight: AtomicU64::new(0),
            max: max_bytes,
            busy: AtomicU64::new(0),
        })
    }

    /// Reserves `bytes` of the limit, or says why not.
    fn reserve(&self, bytes: u64) -> Result<(), NoBuf> {
        let mut cur = self.in_flight.load(Ordering::Relaxed);
        loop {
            if cur > 0 && cur.saturating_add(bytes) > self.max {
                self.busy.fetch_add(1, Ordering::Relaxed);
                return Err(NoBuf::Limit);
            }
            match self.in_flight.compare_exchange_weak(cur, cur + bytes, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return Ok(()),
                Err(now) => cur = now,
            }
        }
    }

    /// A buffer of `len` bytes.
    pub(crate) fn alloc(&self, len: usize) -> Result<Buf, NoBuf> {
        let class = class_of(len);
        let cap = class.map_or(len, class_size);
        self.reserve(cap as u64)?;
        let slot = class.unwrap_or(CLASSES);
        if let Some(t) = self.totals.get(slot) {
            t.fetch_add(1, Ordering::Relaxed);
        }
        let cached = class.and_then(|c| self.free.lock().get_mut(c).and_then(|l| pop(l)));
        let data = match cached {
            Some(mut d) => {
                if let Some(h) = self.hits.get(slot) {
                    h.fetch_add(1, Ordering::Relaxed);
                }
                if cfg!(CONFIG_SCST_STRICT_SECURITY) {
                    d.iter_mut().for_each(|b| *b = 0);
                }
                d
            }
            None => KVVec::from_elem(0u8, cap, GFP_KERNEL).map_err(|_| {
                self.in_flight.fetch_sub(cap as u64, Ordering::Relaxed);
                NoBuf::NoMemory
            })?,
        };
        Ok(Buf { data, len })
    }

    /// Returns a command's buffer.
    pub(crate) fn free(&self, buf: Buf) {
        let cap = buf.data.len();
        self.in_flight.fetch_sub(cap as u64, Ordering::Relaxed);
        let Some(c) = class_of(cap).filter(|&c| class_size(c) == cap) else { return };
        let mut free = self.free.lock();
        if let Some(list) = free.get_mut(c) {
            if list.len() < KEEP {
                // Without memory for the list slot the buffer is simply freed.
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
        )
    }
}
