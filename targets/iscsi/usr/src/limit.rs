//! Bounds on the connections iscsi-scstd serves itself (logins and
//! discovery sessions), so that nobody, authenticated or not, can use up
//! its threads and file descriptors or lock other initiators out: at
//! most `PER_ADDRESS` from one address and `TOTAL` in all, each waiting
//! at most `IDLE` for the initiator's next PDU.  A logged-in normal
//! session leaves the daemon for the kernel and is not counted.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Connections served at once from one address.
pub const PER_ADDRESS: usize = 32;
/// Connections served at once in all.
pub const TOTAL: usize = 512;
/// How long a connection may send nothing (or not read) before it is
/// closed; a login or discovery exchange takes milliseconds.
pub const IDLE: Duration = Duration::from_secs(15);

/// Connections being served, by peer address.
#[derive(Default)]
pub struct Limits {
    by_address: Mutex<HashMap<IpAddr, usize>>,
}

/// Why a connection is not served.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    Address,
    Total,
}

/// A connection's place; given back when dropped.
pub struct Slot {
    limits: Arc<Limits>,
    address: IpAddr,
}

impl Limits {
    /// A place for a connection from `address`, if there is one.
    pub fn take(self: &Arc<Self>, address: IpAddr) -> Result<Slot, Refused> {
        let mut m = self.by_address.lock().unwrap_or_else(|e| e.into_inner());
        if m.values().sum::<usize>() >= TOTAL {
            return Err(Refused::Total);
        }
        let n = m.entry(address).or_insert(0);
        if *n >= PER_ADDRESS {
            return Err(Refused::Address);
        }
        *n += 1;
        Ok(Slot {
            limits: self.clone(),
            address,
        })
    }

    /// Connections served now from `address`.
    pub fn count(&self, address: IpAddr) -> usize {
        self.by_address
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&address)
            .copied()
            .unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut m = self
            .limits
            .by_address
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(n) = m.get_mut(&self.address) {
            *n -= 1;
            if *n == 0 {
                m.remove(&self.address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_address_then_total() {
        let l = Arc::new(Limits::default());
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let mut held: Vec<Slot> = (0..PER_ADDRESS).map(|_| l.take(a).unwrap()).collect();
        assert_eq!(l.take(a).err(), Some(Refused::Address));
        // Another address is not locked out.
        let one_b = l.take(b).unwrap();
        drop(one_b);
        held.pop();
        assert_eq!(l.count(a), PER_ADDRESS - 1);
        held.push(l.take(a).unwrap());
        drop(held);
        assert_eq!(l.count(a), 0);
        // The total, over many addresses.
        let many: Vec<Slot> = (0..TOTAL)
            .map(|i| {
                l.take(IpAddr::from([10, 1, (i / 256) as u8, (i % 256) as u8]))
                    .unwrap()
            })
            .collect();
        assert_eq!(l.take(b).err(), Some(Refused::Total));
        drop(many);
        assert!(l.take(b).is_ok());
    }
}
