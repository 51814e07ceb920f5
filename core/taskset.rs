// SPDX-License-Identifier: GPL-2.0

//! The task set of one session: its commands in the order they arrived,
//! which of them may start, and the queue limit.
//!
//! Task attributes (SAM-4 8.6), per I_T_L nexus as in SCST (each
//! session has its own task set per LUN):
//! - SIMPLE (and untagged) starts once every older ORDERED and HEAD OF
//!   QUEUE command of the LUN has completed;
//! - ORDERED starts once every older command of the LUN has completed;
//! - HEAD OF QUEUE starts at once.
//!
//! "Completed" means the device is done with it (`complete`); the entry
//! stays, counting against the limit, until the command is freed
//! (`leave`).  Storage is a fixed number of slots given at creation:
//! nothing allocates, so every operation is usable in atomic context
//! under a spinlock.
//!
//! `no_std` and free of the `kernel` crate: host tests reach it.

/// Most commands one session may have in flight (all LUNs).
pub const SESSION_TASKS: usize = 256;
/// Most commands one I_T_L nexus may have in flight; beyond it the
/// initiator gets TASK SET FULL (SCST's per-LUN default).
pub const LUN_TASKS: usize = 64;

/// A command's task attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attr {
    Simple,
    Ordered,
    HeadOfQueue,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Entered, not yet asked to start.
    Queued,
    /// Asked to start and refused: waits for `complete` of another.
    Parked,
    Started,
    Completed,
}

/// A command in the set.
pub struct Task<K> {
    key: K,
    lun: u64,
    attr: Attr,
    state: State,
}

/// The set is full for this command: answer TASK SET FULL.
#[derive(Debug, PartialEq, Eq)]
pub struct Full;

/// Where a task set keeps its commands: a fixed number of slots.
pub trait Slots<K> {
    fn slots(&self) -> &[Option<Task<K>>];
    fn slots_mut(&mut self) -> &mut [Option<Task<K>>];
}

impl<K, const N: usize> Slots<K> for [Option<Task<K>>; N] {
    fn slots(&self) -> &[Option<Task<K>>] {
        self
    }

    fn slots_mut(&mut self) -> &mut [Option<Task<K>>] {
        self
    }
}

/// One session's commands in arrival order.
pub struct TaskSet<K, S: Slots<K>> {
    tasks: S,
    len: usize,
    per_lun: usize,
    _key: core::marker::PhantomData<K>,
}

impl<K, S: Slots<K>> TaskSet<K, S> {
    /// An empty set in `slots` (all `None`) allowing `per_lun` commands
    /// per LUN.
    pub fn new(slots: S, per_lun: usize) -> Self {
        Self {
            tasks: slots,
            len: 0,
            per_lun,
            _key: core::marker::PhantomData,
        }
    }

    fn live(&self) -> impl Iterator<Item = &Task<K>> {
        self.tasks.slots().iter().take(self.len).flatten()
    }

    fn index(&self, is: impl Fn(&K) -> bool) -> Option<usize> {
        self.tasks
            .slots()
            .iter()
            .take(self.len)
            .position(|t| t.as_ref().is_some_and(|t| is(&t.key)))
    }

    fn slot(&self, i: usize) -> Option<&Task<K>> {
        self.tasks.slots().get(i)?.as_ref()
    }

    fn slot_mut(&mut self, i: usize) -> Option<&mut Task<K>> {
        self.tasks.slots_mut().get_mut(i)?.as_mut()
    }

    /// Commands in the set (of every state).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every command in the set, oldest first: key, LUN, and whether it
    /// has completed (its status is on its way to the initiator).
    pub fn keys(&self) -> impl Iterator<Item = (&K, u64, bool)> {
        self.live()
            .map(|t| (&t.key, t.lun, t.state == State::Completed))
    }

    /// Adds a newly received command.
    pub fn enter(&mut self, key: K, lun: u64, attr: Attr) -> Result<(), Full> {
        if self.live().filter(|t| t.lun == lun).count() >= self.per_lun {
            return Err(Full);
        }
        let slot = self.tasks.slots_mut().get_mut(self.len).ok_or(Full)?;
        *slot = Some(Task {
            key,
            lun,
            attr,
            state: State::Queued,
        });
        self.len += 1;
        Ok(())
    }

    /// Whether the command at `i` may start now.
    fn may_start(&self, i: usize) -> bool {
        let Some(me) = self.slot(i) else { return false };
        let older = self
            .tasks
            .slots()
            .iter()
            .take(i)
            .flatten()
            .filter(|t| t.lun == me.lun && t.state != State::Completed);
        match me.attr {
            Attr::HeadOfQueue => true,
            Attr::Ordered => older.count() == 0,
            Attr::Simple => !older.into_iter().any(|t| t.attr != Attr::Simple),
        }
    }

    /// Asks to start the command `is` selects.  `true`: it starts now;
    /// `false`: it is parked, and a later [`complete`](Self::complete)
    /// hands it to its `ready` callback.  A command not in the set starts.
    pub fn start(&mut self, is: impl Fn(&K) -> bool) -> bool {
        let Some(i) = self.index(is) else { return true };
        let ok = self.may_start(i);
        if let Some(t) = self.slot_mut(i) {
            t.state = if ok { State::Started } else { State::Parked };
        }
        ok
    }

    /// The device is done with the command `is` selects: starts the
    /// parked commands that may now start, passing each to `ready`.
    pub fn complete(&mut self, is: impl Fn(&K) -> bool, ready: impl FnMut(&K)) {
        if let Some(t) = self.index(is).and_then(|i| self.slot_mut(i)) {
            t.state = State::Completed;
        }
        self.start_parked(|_| true, ready);
    }

    /// Starts every parked command that `pick` selects and that may start
    /// (or all that `pick` selects if `force`), passing each to `ready`.
    fn start_parked_inner(
        &mut self,
        pick: impl Fn(&K) -> bool,
        force: bool,
        mut ready: impl FnMut(&K),
    ) {
        for i in 0..self.len {
            let parked = self
                .slot(i)
                .is_some_and(|t| t.state == State::Parked && pick(&t.key));
            if parked && (force || self.may_start(i)) {
                if let Some(t) = self.slot_mut(i) {
                    t.state = State::Started;
                    ready(&t.key);
                }
            }
        }
    }

    fn start_parked(&mut self, pick: impl Fn(&K) -> bool, ready: impl FnMut(&K)) {
        self.start_parked_inner(pick, false, ready)
    }

    /// Starts the parked commands `pick` selects regardless of order
    /// (task management aborted them: they will not execute).
    pub fn release_parked(&mut self, pick: impl Fn(&K) -> bool, ready: impl FnMut(&K)) {
        self.start_parked_inner(pick, true, ready)
    }

    /// Removes the command `is` selects (it is being freed), returning its
    /// key.  If it had not completed, waiting commands are re-examined.
    pub fn leave(&mut self, is: impl Fn(&K) -> bool, ready: impl FnMut(&K)) -> Option<K> {
        let i = self.index(is)?;
        let len = self.len;
        let t = self.tasks.slots_mut().get_mut(i)?.take()?;
        // Close the gap, keeping the order.
        if let Some(rest) = self.tasks.slots_mut().get_mut(i..len) {
            rest.rotate_left(1);
        }
        self.len -= 1;
        if t.state != State::Completed {
            self.start_parked(|_| true, ready);
        }
        Some(t.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::vec::Vec;

    type Set = TaskSet<u32, [Option<Task<u32>>; 8]>;

    fn set(per_lun: usize) -> Set {
        TaskSet::new([const { None }; 8], per_lun)
    }

    fn started(s: &mut Set, k: u32) -> bool {
        s.start(|x| *x == k)
    }

    fn complete(s: &mut Set, k: u32) -> Vec<u32> {
        let mut v = Vec::new();
        s.complete(|x| *x == k, |x| v.push(*x));
        v
    }

    #[test]
    fn simple_commands_run_together() {
        let mut s = set(8);
        for k in 1..=3 {
            s.enter(k, 0, Attr::Simple).unwrap();
        }
        assert!((1..=3).all(|k| started(&mut s, k)));
    }

    #[test]
    fn ordered_waits_for_older_and_blocks_younger() {
        let mut s = set(8);
        s.enter(1, 0, Attr::Simple).unwrap();
        s.enter(2, 0, Attr::Ordered).unwrap();
        s.enter(3, 0, Attr::Simple).unwrap();
        assert!(started(&mut s, 1));
        assert!(!started(&mut s, 3), "younger SIMPLE waits for the ORDERED");
        assert!(!started(&mut s, 2), "ORDERED waits for the older SIMPLE");
        assert_eq!(complete(&mut s, 1), [2]);
        assert!(s.keys().any(|(k, _, done)| *k == 1 && done));
        assert!(s.keys().any(|(k, _, done)| *k == 2 && !done));
        assert_eq!(complete(&mut s, 2), [3]);
    }

    #[test]
    fn head_of_queue_starts_at_once_and_simple_waits_for_it() {
        let mut s = set(8);
        s.enter(1, 0, Attr::Ordered).unwrap();
        s.enter(2, 0, Attr::HeadOfQueue).unwrap();
        s.enter(3, 0, Attr::Simple).unwrap();
        assert!(started(&mut s, 1));
        assert!(started(&mut s, 2), "HEAD OF QUEUE overtakes");
        assert!(!started(&mut s, 3));
        assert_eq!(
            complete(&mut s, 2),
            Vec::<u32>::new(),
            "the ORDERED still runs"
        );
        assert_eq!(complete(&mut s, 1), [3]);
    }

    #[test]
    fn luns_are_independent() {
        let mut s = set(8);
        s.enter(1, 0, Attr::Ordered).unwrap();
        s.enter(2, 1, Attr::Ordered).unwrap();
        assert!(started(&mut s, 1));
        assert!(started(&mut s, 2), "another LUN's ORDERED does not wait");
    }

    #[test]
    fn leaving_without_completing_releases_waiters() {
        // A command failed before executing (e.g. its data never came).
        let mut s = set(8);
        s.enter(1, 0, Attr::Simple).unwrap();
        s.enter(2, 0, Attr::Ordered).unwrap();
        assert!(!started(&mut s, 2));
        let mut v = Vec::new();
        assert_eq!(s.leave(|x| *x == 1, |x| v.push(*x)), Some(1));
        assert_eq!(v, [2]);
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn limits_per_lun_and_per_session() {
        let mut s = set(2);
        s.enter(1, 0, Attr::Simple).unwrap();
        s.enter(2, 0, Attr::Simple).unwrap();
        assert_eq!(s.enter(3, 0, Attr::Simple), Err(Full));
        for k in 3..9 {
            s.enter(k, u64::from(k), Attr::Simple).unwrap();
        }
        assert_eq!(s.len(), 8);
        assert_eq!(s.enter(9, 9, Attr::Simple), Err(Full), "session array full");
        s.leave(|x| *x == 1, |_| {});
        s.enter(10, 0, Attr::Simple).unwrap();
        let keys: Vec<u32> = s.keys().map(|(k, _, _)| *k).collect();
        assert_eq!(keys, [2, 3, 4, 5, 6, 7, 8, 10], "arrival order kept");
    }

    #[test]
    fn aborted_parked_commands_are_released() {
        let mut s = set(8);
        s.enter(1, 0, Attr::Ordered).unwrap();
        s.enter(2, 0, Attr::Simple).unwrap();
        s.enter(3, 0, Attr::Simple).unwrap();
        assert!(started(&mut s, 1));
        assert!(!started(&mut s, 2));
        assert!(!started(&mut s, 3));
        let mut v = Vec::new();
        s.release_parked(|x| *x == 3, |x| v.push(*x));
        assert_eq!(v, [3]);
        assert_eq!(complete(&mut s, 1), [2]);
    }

    #[test]
    fn unknown_commands_start() {
        let mut s = set(8);
        assert!(started(&mut s, 42));
        assert_eq!(s.leave(|x| *x == 42, |_| {}), None);
    }
}
