//! Pixel bytes: scaling them to inputs, and bringing them into cache ahead of use.

use super::dispatch::kernel;

kernel! {
    /// `p / 255` for each pixel: the unit table's values computed in vector registers instead
    /// of looked up one by one (the same IEEE division, so the same bits).
    pub fn scale_pixels(src: &[u8], dst: &mut [f32]) = same_code scale_pixels_scalar;
}

#[inline(always)]
fn scale_pixels_scalar(src: &[u8], dst: &mut [f32]) {
    for (d, &p) in dst.iter_mut().zip(src) {
        *d = f32::from(p) / 255.0;
    }
}

/// Cache lines on this CPU family.
const LINE: usize = 64;

/// Asks the CPU to bring `bytes` into cache while other work runs; a hint with no effect on
/// results (and none where there is no prefetch instruction).
#[inline]
pub fn prefetch(bytes: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    for line in bytes.chunks(LINE) {
        // SAFETY: SSE is part of x86-64, and a prefetch never faults; the pointer is into a
        // live slice anyway.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                line.as_ptr().cast(),
            )
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (bytes, LINE);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::same_bits;

    #[test]
    fn vector_and_scalar_scaling_give_the_same_bits() {
        for n in [0, 1, 7, 8, 9, 15, 16, 17, 31, 784] {
            // Digit-like (mostly 0, some 255) and every value.
            let digit: Vec<u8> = (0..n)
                .map(|i| match (i * 7919) % 10 {
                    0 => 255,
                    1 => (i % 254 + 1) as u8,
                    _ => 0,
                })
                .collect();
            let every: Vec<u8> = (0..n).map(|i| (i * 37 % 256) as u8).collect();
            for src in [digit, every] {
                let (mut fast, mut slow) = (vec![-1.0; n], vec![-1.0; n]);
                scale_pixels(&src, &mut fast);
                scale_pixels_scalar(&src, &mut slow);
                same_bits(&fast, &slow);
                for (&p, &v) in src.iter().zip(&fast) {
                    assert_eq!(v, f32::from(p) / 255.0);
                }
            }
        }
        let all: Vec<u8> = (0..=255).collect();
        let mut out = vec![0.0; 256];
        scale_pixels(&all, &mut out);
        assert_eq!((out[0].to_bits(), out[255]), (0, 1.0), "+0.0, not -0.0");
    }
}
