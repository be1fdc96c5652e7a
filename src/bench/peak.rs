//! This core's peak FP32 multiply-add rate, measured with a kernel that keeps the FMA
//! units busy (independent accumulators, no memory traffic), on the widest vectors the CPU
//! has (`kernels::peak`).

use std::time::Instant;

use crate::kernels::peak;

/// Which instruction set the kernel used and the rate it reached.
pub struct Peak {
    pub isa: &'static str,
    pub gflops: f64,
}

/// Runs for about `seconds` and returns the best rate of a few repetitions.
pub fn measure(seconds: f64) -> Peak {
    let (isa, lanes) = peak::fma_isa();
    let mut best = 0f64;
    let mut iters = 1u64 << 16;
    let start = Instant::now();
    while start.elapsed().as_secs_f64() < seconds {
        let t = Instant::now();
        let sink = peak::fma_burst(iters);
        let dt = t.elapsed().as_secs_f64();
        std::hint::black_box(sink);
        let flops = iters as f64 * (peak::ACC * lanes * 2) as f64;
        best = best.max(flops / dt / 1e9);
        if dt < 0.02 {
            iters *= 2;
        }
    }
    Peak { isa, gflops: best }
}
