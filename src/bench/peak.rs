//! This core's peak FP32 multiply-add rate, measured with a kernel that keeps the FMA
//! units busy (independent accumulators, no memory traffic), chosen at run time.

use std::time::Instant;

/// Which instruction set the kernel used and the rate it reached.
pub struct Peak {
    pub isa: &'static str,
    pub gflops: f64,
}

const ACC: usize = 12;

/// Runs for about `seconds` and returns the best rate of a few repetitions.
pub fn measure(seconds: f64) -> Peak {
    let (isa, kernel): (&'static str, fn(u64) -> f32) = pick();
    let lanes = match isa {
        "avx512f" => 16,
        "avx2+fma" => 8,
        _ => 1,
    };
    let mut best = 0f64;
    let mut iters = 1u64 << 16;
    let start = Instant::now();
    while start.elapsed().as_secs_f64() < seconds {
        let t = Instant::now();
        let sink = kernel(iters);
        let dt = t.elapsed().as_secs_f64();
        std::hint::black_box(sink);
        let flops = iters as f64 * (ACC * lanes * 2) as f64;
        best = best.max(flops / dt / 1e9);
        if dt < 0.02 {
            iters *= 2;
        }
    }
    Peak { isa, gflops: best }
}

fn pick() -> (&'static str, fn(u64) -> f32) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return ("avx512f", |n| unsafe { x86::fma512(n) });
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return ("avx2+fma", |n| unsafe { x86::fma256(n) });
        }
    }
    ("scalar", scalar)
}

fn scalar(n: u64) -> f32 {
    let mut acc = [1f32; ACC];
    for _ in 0..n {
        for a in acc.iter_mut() {
            *a = a.mul_add(0.999_999, 1e-7);
        }
    }
    acc.iter().sum()
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::ACC;
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx512f")]
    pub unsafe fn fma512(n: u64) -> f32 {
        let m = _mm512_set1_ps(0.999_999);
        let c = _mm512_set1_ps(1e-7);
        let mut acc = [_mm512_set1_ps(1.0); ACC];
        for _ in 0..n {
            for a in acc.iter_mut() {
                *a = _mm512_fmadd_ps(*a, m, c);
            }
        }
        let mut s = _mm512_setzero_ps();
        for a in acc {
            s = _mm512_add_ps(s, a);
        }
        _mm512_reduce_add_ps(s)
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn fma256(n: u64) -> f32 {
        let m = _mm256_set1_ps(0.999_999);
        let c = _mm256_set1_ps(1e-7);
        let mut acc = [_mm256_set1_ps(1.0); ACC];
        for _ in 0..n {
            for a in acc.iter_mut() {
                *a = _mm256_fmadd_ps(*a, m, c);
            }
        }
        let mut out = [0f32; 8];
        let mut s = _mm256_setzero_ps();
        for a in acc {
            s = _mm256_add_ps(s, a);
        }
        _mm256_storeu_ps(out.as_mut_ptr(), s);
        out.iter().sum()
    }
}
