//! Per-thread reuse of the kernels' and the fused ops' working buffers: every step asks for
//! the same sizes, so after the first step no buffer is allocated (and no fresh page is touched).

use std::cell::RefCell;

const MAX_KEPT: usize = 64;

thread_local! {
    static FREE: RefCell<Vec<Vec<f32>>> = const { RefCell::new(Vec::new()) };
}

/// A buffer of exactly `len` values; its contents are whatever it last held.
pub fn take(len: usize) -> Vec<f32> {
    FREE.with(|f| {
        let mut f = f.borrow_mut();
        match f.iter().rposition(|v| v.len() == len) {
            Some(i) => f.swap_remove(i),
            None => vec![0.0; len],
        }
    })
}

/// A buffer holding a copy of `src`.
pub fn copy_of(src: &[f32]) -> Vec<f32> {
    let mut v = take(src.len());
    v.copy_from_slice(src);
    v
}

/// Returns buffers for later steps.
pub fn give(bufs: impl IntoIterator<Item = Vec<f32>>) {
    FREE.with(|f| {
        let mut f = f.borrow_mut();
        for b in bufs {
            if f.len() < MAX_KEPT && !b.is_empty() {
                f.push(b);
            }
        }
    });
}
