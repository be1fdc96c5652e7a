//! The peak FP32 multiply-add rate's kernels: independent accumulators that keep the FMA
//! units busy with no memory traffic, on the widest vectors the CPU has.

use super::dispatch::{has, kernel, Feature};

/// Independent accumulators: enough to cover the FMA latency on two ports.
pub const ACC: usize = 12;

/// The instruction set `fma_burst` runs on this CPU and the `f32` lanes of each multiply-add.
pub fn fma_isa() -> (&'static str, usize) {
    // The same order as `fma_burst`'s versions.
    if has(Feature::Avx512f) {
        ("avx512f", 16)
    } else if has(Feature::Avx2Fma) {
        ("avx2+fma", 8)
    } else {
        ("scalar", 1)
    }
}

kernel! {
    /// `n` rounds of `ACC` multiply-adds on `fma_isa()`'s vectors; the result only keeps the
    /// work from being optimized away.
    pub fn fma_burst(n: u64) -> f32 =
        Avx512f => x86::fma512,
        Avx2Fma => x86::fma256,
        _ => scalar;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_version_computes_the_same_sums() {
        // Each lane runs the same recurrence, so a version's result is lanes × the scalar one.
        let n = 1000;
        let (_, lanes) = fma_isa();
        let want = scalar(n) * lanes as f32;
        let got = fma_burst(n);
        assert!((got - want).abs() <= 1e-4 * want, "{got} vs {want}");
        assert_eq!(
            fma_burst(0),
            (ACC * lanes) as f32,
            "no rounds: the starting ones"
        );
    }
}
