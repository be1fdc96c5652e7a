//! The element type, the device, the width and the batch shapes every model module shares.

use dfdx::prelude::*;

pub type E = f32;
pub type Dev = Cpu;
/// A batch of `N` features with a run-time batch size.
pub type Batch<const N: usize, T = NoneTape> = Tensor<(usize, Const<N>), E, Dev, T>;
pub type Traced = OwnedTape<E, Dev>;

/// Every hidden layer is this wide.
pub const HIDDEN: usize = 100;

/// A tensor's values by memcpy (dfdx's `as_vec` walks the strides one element at a time).
pub fn values<S: Shape, T>(t: &Tensor<S, E, Dev, T>) -> Vec<E> {
    let mut v = vec![0.0; t.shape().num_elements()];
    t.copy_into(&mut v);
    v
}
