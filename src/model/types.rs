//! The element type, the device and the batch shapes every model module shares.

use dfdx::prelude::*;

pub type E = f32;
pub type Dev = Cpu;
/// A batch of `N` features with a run-time batch size.
pub type Batch<const N: usize, T = NoneTape> = Tensor<(usize, Const<N>), E, Dev, T>;
pub type Traced = OwnedTape<E, Dev>;
