//! Data buffers: page-aligned (O_DIRECT needs it, and the module may
//! pin them one day), the ones given to the module by address kept in a
//! table so that an address coming back is checked before it is used.

use std::alloc::{self, Layout};
use std::collections::HashMap;
use std::sync::Mutex;

const ALIGN: usize = 4096;

/// One aligned allocation.
struct Block {
    ptr: *mut u8,
    layout: Layout,
}

// SAFETY: the block is plain memory; who uses it is decided by the
// command it belongs to (one thread at a time).
unsafe impl Send for Block {}

impl Block {
    fn new(len: usize) -> Option<Block> {
        let layout = Layout::from_size_align(len.max(1), ALIGN).ok()?;
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe { alloc::alloc_zeroed(layout) };
        (!ptr.is_null()).then_some(Block { ptr, layout })
    }

    fn len(&self) -> usize {
        self.layout.size()
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { alloc::dealloc(self.ptr, self.layout) }
    }
}

/// The buffers handed to the module (ALLOC_MEM), by address.
#[derive(Default)]
pub struct Buffers {
    live: Mutex<HashMap<u64, Block>>,
}

impl Buffers {
    /// A new buffer of `len` bytes; its address.
    pub fn alloc(&self, len: usize) -> Option<u64> {
        let b = Block::new(len)?;
        let p = b.ptr as u64;
        self.live.lock().ok()?.insert(p, b);
        Some(p)
    }

    /// Frees the buffer at `p`; false if there is none.
    pub fn free(&self, p: u64) -> bool {
        self.live
            .lock()
            .map(|mut l| l.remove(&p).is_some())
            .unwrap_or(false)
    }

    /// The first `len` bytes of the buffer at `p`, if it is one of ours
    /// and that long.
    ///
    /// # Safety
    ///
    /// No other reference to the buffer exists while the slice does,
    /// and the slice is gone before the buffer is freed: the buffer
    /// belongs to one command, handled by one thread, and is freed only
    /// once the command is answered.
    pub unsafe fn slice<'a>(&self, p: u64, len: usize) -> Option<&'a mut [u8]> {
        let l = self.live.lock().ok()?;
        let b = l.get(&p)?;
        if b.len() < len {
            return None;
        }
        // SAFETY: the block lives until `free`, which the module asks
        // for only after the command is over (contract for the rest).
        Some(unsafe { std::slice::from_raw_parts_mut(b.ptr, len) })
    }
}

/// A thread's own buffer for data it returns, grown on demand.
pub struct ThreadBuf {
    block: Option<Block>,
}

impl ThreadBuf {
    pub fn new() -> ThreadBuf {
        ThreadBuf { block: None }
    }

    /// `len` bytes of it (zeroed), or `None` if out of memory.
    pub fn get(&mut self, len: usize) -> Option<&mut [u8]> {
        if self.block.as_ref().is_none_or(|b| b.len() < len) {
            self.block = Some(Block::new(len.next_power_of_two())?);
        }
        let b = self.block.as_ref()?;
        // SAFETY: the block is this thread's; `&mut self` makes the slice
        // its only view.
        let s = unsafe { std::slice::from_raw_parts_mut(b.ptr, len) };
        s.fill(0);
        Some(s)
    }

    /// Its address (what an EXEC reply names).
    pub fn addr(&self) -> u64 {
        self.block.as_ref().map_or(0, |b| b.ptr as u64)
    }
}
