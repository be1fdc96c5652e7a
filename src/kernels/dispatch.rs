//! CPU features, detected once, and the one way the kernels choose their code by them.
//!
//! Every kernel that has a vector version is declared through [`kernel!`]: a safe function
//! that runs the version for the best feature the CPU has and the portable one elsewhere. The
//! detection is cached in an atomic, so after the first call the hot path pays one relaxed
//! load and a bit test.

use std::sync::atomic::{AtomicU8, Ordering};

/// What a kernel version may need beyond baseline x86-64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    Avx2,
    /// AVX2 with fused multiply-add (only the peak-rate kernel fuses).
    Avx2Fma,
    Avx512f,
}

const DETECTED: u8 = 1;
const AVX2: u8 = 2;
const FMA: u8 = 4;
const AVX512F: u8 = 8;

/// 0 until detected, then `DETECTED` and the bits of what the CPU has.
static FEATURES: AtomicU8 = AtomicU8::new(0);

#[inline]
fn features() -> u8 {
    match FEATURES.load(Ordering::Relaxed) {
        0 => detect(),
        f => f,
    }
}

/// Racing threads store the same bits, so a relaxed store is enough.
#[cold]
fn detect() -> u8 {
    #[allow(unused_mut)]
    let mut f = DETECTED;
    #[cfg(target_arch = "x86_64")]
    {
        let bit = |on: bool, b: u8| if on { b } else { 0 };
        f |= bit(std::arch::is_x86_feature_detected!("avx2"), AVX2);
        f |= bit(std::arch::is_x86_feature_detected!("fma"), FMA);
        f |= bit(std::arch::is_x86_feature_detected!("avx512f"), AVX512F);
    }
    FEATURES.store(f, Ordering::Relaxed);
    f
}

/// Whether this CPU runs code compiled for `feature`.
#[inline]
pub fn has(feature: Feature) -> bool {
    let f = features();
    let need = match feature {
        Feature::Avx2 => AVX2,
        Feature::Avx2Fma => AVX2 | FMA,
        Feature::Avx512f => AVX512F,
    };
    f & need == need
}

/// `fn name(args) = Feature => fast, ... _ => slow;` declares a safe kernel `name` that calls
/// the first `fast` whose feature the CPU has, and `slow` otherwise, with the same arguments.
/// Each `fast` must be an `unsafe fn` whose only requirement is its feature (a
/// `#[target_feature]` function that checks its own bounds).
///
/// `fn name(args) = same_code slow;` instead compiles `slow` a second time with AVX2 enabled:
/// for loops that the compiler vectorizes by itself, written once with `#[inline(always)]`.
/// Neither form fuses multiplies and adds unless asked (`Avx2Fma`), so both versions give the
/// same bits.
///
/// Generic parameters go in brackets after the name: `fn sum[I: Iterator](...)`.
macro_rules! kernel {
    (
        $(#[$m:meta])*
        $vis:vis fn $name:ident $([$($g:tt)*])? ($($a:ident: $t:ty),* $(,)?) $(-> $r:ty)?
        = same_code $slow:path;
    ) => {
        $(#[$m])*
        #[inline]
        $vis fn $name $(<$($g)*>)? ($($a: $t),*) $(-> $r)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                fn avx2 $(<$($g)*>)? ($($a: $t),*) $(-> $r)? {
                    $slow($($a),*)
                }
                if $crate::kernels::dispatch::has($crate::kernels::dispatch::Feature::Avx2) {
                    // SAFETY: the CPU has AVX2, the only thing `avx2` needs.
                    return unsafe { avx2($($a),*) };
                }
            }
            $slow($($a),*)
        }
    };
    (
        $(#[$m:meta])*
        $vis:vis fn $name:ident $([$($g:tt)*])? ($($a:ident: $t:ty),* $(,)?) $(-> $r:ty)?
        = $($feature:ident => $fast:path,)+ _ => $slow:path;
    ) => {
        $(#[$m])*
        #[inline]
        $vis fn $name $(<$($g)*>)? ($($a: $t),*) $(-> $r)? {
            $crate::kernels::dispatch::kernel!(@call ($($a),*) $($feature => $fast,)+ _ => $slow)
        }
    };
    // The arguments as one group, so that they repeat once per version.
    (@call $args:tt $($feature:ident => $fast:path,)+ _ => $slow:path) => {{
        $(
            #[cfg(target_arch = "x86_64")]
            if $crate::kernels::dispatch::has($crate::kernels::dispatch::Feature::$feature) {
                // SAFETY: the CPU has the feature, the only thing the fast version needs.
                return unsafe { $fast $args };
            }
        )+
        $slow $args
    }};
}
pub(crate) use kernel;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_is_cached_and_consistent() {
        let first = features();
        assert_ne!(first & DETECTED, 0);
        assert_eq!(features(), first, "the second call reads the cache");
        if has(Feature::Avx2Fma) {
            assert!(has(Feature::Avx2));
        }
        #[cfg(target_arch = "x86_64")]
        assert_eq!(
            has(Feature::Avx2),
            std::arch::is_x86_feature_detected!("avx2")
        );
    }
}
