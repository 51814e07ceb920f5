// SPDX-License-Identifier: GPL-2.0

//! A device's work for its program: a fixed table of slots, each naming
//! one job by a handle (`cmd_h`: slot index and generation, so a stale,
//! foreign or repeated handle matches nothing), and the FIFO of jobs
//! ready to be fetched.
//!
//! A slot is `Free`, `Ready` (queued), `Sent` (the program has it) or
//! `Held`: a thread took its job out to work on it without the lock
//! (copying to or from user space), and puts it back or frees the slot.
//! Whoever takes a job out of the table finishes it.  A job's deadline
//! runs from when it is first queued, through every step, so a program
//! that stops fetching fails its commands as surely as one that stops
//! answering.

use crate::dev::Job;
use kernel::prelude::*;

/// Slots per device: the most jobs one device has at once.  A command
/// beyond it is answered BUSY.
pub(crate) const MAX_SLOTS: usize = 1024;

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Free,
    Ready,
    /// With the program until the reply.
    Sent,
    Held,
}

struct Slot {
    gen: u16,
    state: State,
    job: Option<Job>,
    /// When the job fails unanswered (ticks; `None`: never).
    deadline: Option<u64>,
}

/// A job's handle.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Handle(pub(crate) u32);

impl Handle {
    fn new(idx: usize, gen: u16) -> Self {
        Handle((u32::from(gen) << 16) | idx as u32)
    }

    fn idx(self) -> usize {
        (self.0 & 0xffff) as usize
    }

    fn gen(self) -> u16 {
        (self.0 >> 16) as u16
    }
}

/// Why a reply's handle is refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Stale {
    /// No job has this handle: never given, answered, or timed out.
    Unknown,
    /// The job is not with the program (queued, or being worked on).
    NotSent,
    /// The reply is for another kind of job.
    Subcode,
}

/// The table.
///
/// # Invariants
///
/// Until `closed`, `ready` holds exactly the indices of the `Ready`
/// slots, once each, oldest first (from `head`; closing frees slots
/// without unqueuing them, and `pop` skips those); `free[..nfree]` the
/// indices of the `Free` slots below `slots.len()`.  A `Free` slot has no job; `Ready` and `Sent`
/// slots have one; a `Held` slot's job is out with a thread.
pub(crate) struct Queue {
    slots: KVec<Slot>,
    /// A stack: `free[..nfree]`.
    free: KVec<u16>,
    nfree: usize,
    ready: KVec<u16>,
    head: usize,
    len: usize,
    /// The device is gone: nothing is queued any more.
    pub(crate) closed: bool,
}

impl Queue {
    /// An empty table with room for every slot (no allocation later, so
    /// jobs may be queued in any context).
    pub(crate) fn new() -> Result<Self> {
        Ok(Self {
            slots: KVec::with_capacity(MAX_SLOTS, GFP_KERNEL)?,
            free: KVec::from_elem(0, MAX_SLOTS, GFP_KERNEL)?,
            nfree: 0,
            ready: KVec::from_elem(0, MAX_SLOTS, GFP_KERNEL)?,
            head: 0,
            len: 0,
            closed: false,
        })
    }

    /// Whether a job waits to be fetched.
    pub(crate) fn has_ready(&self) -> bool {
        self.len != 0
    }

    fn alloc(&mut self) -> Option<usize> {
        if self.nfree != 0 {
            self.nfree -= 1;
            return self.free.get(self.nfree).map(|&i| usize::from(i));
        }
        let i = self.slots.len();
        if i >= MAX_SLOTS {
            return None;
        }
        // Within the capacity reserved in `new`: no allocation.
        self.slots
            .push(
                Slot {
                    // Never 0: a handle of 0 means "none" in TASK_MGMT.
                    gen: 1,
                    state: State::Free,
                    job: None,
                    deadline: None,
                },
                GFP_NOWAIT,
            )
            .ok()?;
        Some(i)
    }

    fn release(&mut self, i: usize) {
        if let Some(s) = self.slots.get_mut(i) {
            s.state = State::Free;
            s.job = None;
            s.gen = s.gen.wrapping_add(1).max(1);
            if let Some(f) = self.free.get_mut(self.nfree) {
                *f = i as u16;
                self.nfree += 1;
            }
        }
    }

    fn enqueue(&mut self, i: usize, front: bool) {
        let cap = self.ready.len();
        let at = if front {
            self.head = (self.head + cap - 1) % cap;
            self.head
        } else {
            (self.head + self.len) % cap
        };
        if let Some(r) = self.ready.get_mut(at) {
            *r = i as u16;
            self.len += 1;
        }
    }

    /// Takes slot `i` out of the FIFO (a queued job that expired).
    fn unqueue(&mut self, i: usize) {
        let cap = self.ready.len();
        let Some(k) = (0..self.len)
            .find(|k| self.ready.get((self.head + k) % cap).copied() == Some(i as u16))
        else {
            return;
        };
        for j in k..self.len - 1 {
            let next = self
                .ready
                .get((self.head + j + 1) % cap)
                .copied()
                .unwrap_or(0);
            if let Some(r) = self.ready.get_mut((self.head + j) % cap) {
                *r = next;
            }
        }
        self.len -= 1;
    }

    /// Queues `job` (at the front: it goes first), to be answered by
    /// `deadline`; gives it back if the device is closed or the table
    /// full.
    pub(crate) fn push(
        &mut self,
        job: Job,
        front: bool,
        deadline: Option<u64>,
    ) -> core::result::Result<(), Job> {
        if self.closed {
            return Err(job);
        }
        let Some(i) = self.alloc() else {
            return Err(job);
        };
        if let Some(s) = self.slots.get_mut(i) {
            s.state = State::Ready;
            s.job = Some(job);
            s.deadline = deadline;
        }
        self.enqueue(i, front);
        Ok(())
    }

    /// Takes the oldest ready job out to deliver it; its slot is `Held`.
    pub(crate) fn pop(&mut self) -> Option<(Handle, Job)> {
        while self.len != 0 {
            let i = usize::from(self.ready.get(self.head).copied().unwrap_or(0));
            self.head = (self.head + 1) % self.ready.len();
            self.len -= 1;
            let Some(s) = self.slots.get_mut(i) else {
                continue;
            };
            if s.state != State::Ready {
                continue;
            }
            let Some(job) = s.job.take() else {
                continue;
            };
            s.state = State::Held;
            return Some((Handle::new(i, s.gen), job));
        }
        None
    }

    /// Puts a held job back: `Sent` (to the program), or `Ready` at the
    /// front.  Gives it back if the device closed meanwhile (the caller
    /// finishes it; the slot is freed).
    pub(crate) fn put_back(
        &mut self,
        h: Handle,
        job: Job,
        sent: bool,
    ) -> core::result::Result<(), Job> {
        let i = h.idx();
        if self.closed {
            self.release(i);
            return Err(job);
        }
        let Some(s) = self.slots.get_mut(i) else {
            return Err(job);
        };
        s.job = Some(job);
        if sent {
            s.state = State::Sent;
        } else {
            s.state = State::Ready;
            self.enqueue(i, true);
        }
        Ok(())
    }

    /// Takes the job the program answers with `h` out (its slot `Held`),
    /// if it has it and `matches` its kind.
    pub(crate) fn take_sent(
        &mut self,
        h: Handle,
        matches: impl Fn(&Job) -> bool,
    ) -> core::result::Result<Job, Stale> {
        let s = self.slots.get_mut(h.idx()).ok_or(Stale::Unknown)?;
        if s.gen != h.gen() || s.state == State::Free {
            return Err(Stale::Unknown);
        }
        if s.state != State::Sent {
            return Err(Stale::NotSent);
        }
        if !s.job.as_ref().is_some_and(matches) {
            return Err(Stale::Subcode);
        }
        s.state = State::Held;
        s.job.take().ok_or(Stale::Unknown)
    }

    /// Looks at a job the program has, without taking it.
    pub(crate) fn peek_sent<R>(&self, h: Handle, f: impl FnOnce(&Job) -> R) -> Option<R> {
        let s = self.slots.get(h.idx())?;
        if s.gen != h.gen() || s.state != State::Sent {
            return None;
        }
        s.job.as_ref().map(f)
    }

    /// Frees a held job's slot: its handle is dead.
    pub(crate) fn done(&mut self, h: Handle) {
        self.release(h.idx());
    }

    /// Takes out one queued or sent job past its deadline (`now` in
    /// ticks), freeing its slot.
    pub(crate) fn expired(&mut self, now: u64) -> Option<Job> {
        let i = self.slots.iter().position(|s| {
            matches!(s.state, State::Ready | State::Sent)
                && s.deadline.is_some_and(|d| now.wrapping_sub(d) as i64 >= 0)
        })?;
        let slot = self.slots.get_mut(i)?;
        let queued = slot.state == State::Ready;
        let job = slot.job.take();
        if queued {
            self.unqueue(i);
        }
        self.release(i);
        job
    }

    /// Takes out one queued or sent job, freeing its slot (the device is
    /// closing: `closed` is set first, so nothing new comes).
    pub(crate) fn drain_one(&mut self) -> Option<Job> {
        let i = self
            .slots
            .iter()
            .position(|s| matches!(s.state, State::Ready | State::Sent))?;
        let job = self.slots.get_mut(i)?.job.take();
        self.release(i);
        job
    }
}
