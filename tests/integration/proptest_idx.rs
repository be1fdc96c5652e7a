//! The IDX reader on arbitrary and damaged input: never a panic, every error names the file,
//! and valid files round-trip through `encode`/`parse`. Bounded stand-in for the cargo-fuzz
//! targets in fuzz/ (those need nightly and run unbounded).

use std::path::Path;

use proptest::prelude::*;

use bnlab::data::idx::{self, IdxError};

const NAME: &str = "prop-idx3-ubyte";

fn valid_images() -> impl Strategy<Value = (u32, Vec<u8>)> {
    (0u32..4).prop_flat_map(|n| {
        (
            Just(n),
            proptest::collection::vec(any::<u8>(), (n as usize) * 784),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn arbitrary_bytes_never_panic_and_errors_name_the_file(
        bytes in proptest::collection::vec(any::<u8>(), 0..64),
        ndim in 0u8..5,
    ) {
        match idx::parse(&bytes, ndim, Path::new(NAME)) {
            Ok(a) => prop_assert_eq!(idx::encode(&a.dims, &a.data), bytes),
            Err(e) => prop_assert!(e.to_string().contains(NAME), "{}", e),
        }
    }

    #[test]
    fn headers_with_any_dimensions_never_panic(
        dims in proptest::collection::vec(any::<u32>(), 0..4),
        body in proptest::collection::vec(any::<u8>(), 0..32),
    ) {
        let mut bytes = vec![0, 0, 8, dims.len() as u8];
        for d in &dims {
            bytes.extend_from_slice(&d.to_be_bytes());
        }
        bytes.extend_from_slice(&body);
        let r = idx::parse(&bytes, dims.len() as u8, Path::new(NAME));
        let len = dims.iter().try_fold(1u64, |a, &d| a.checked_mul(u64::from(d)));
        prop_assert_eq!(r.is_ok(), len == Some(body.len() as u64));
    }

    #[test]
    fn truncated_or_extended_files_are_rejected((n, pixels) in valid_images(), cut in 1usize..900, extend in any::<bool>()) {
        let good = idx::encode(&[n, 28, 28], &pixels);
        let bad = if extend {
            let mut b = good.clone();
            b.extend(std::iter::repeat_n(0u8, cut));
            b
        } else {
            good[..good.len().saturating_sub(cut)].to_vec()
        };
        let err = idx::parse(&bad, 3, Path::new(NAME)).unwrap_err();
        prop_assert!(err.to_string().contains(NAME));
        prop_assert!(matches!(err, IdxError::Truncated { .. } | IdxError::Trailing { .. } | IdxError::ShortHeader { .. }), "{}", err);
    }

    #[test]
    fn one_corrupted_byte_in_a_pair_never_panics(
        (n, pixels) in valid_images(),
        labels in proptest::collection::vec(0u8..10, 3),
        at in any::<usize>(),
        to in any::<u8>(),
        in_labels in any::<bool>(),
    ) {
        let mut img = idx::encode(&[n, 28, 28], &pixels);
        let mut lab = idx::encode(&[n], &labels[..(n as usize).min(3)]);
        if n == 3 || !in_labels {
            let target = if in_labels { &mut lab } else { &mut img };
            let i = at % target.len();
            target[i] = to;
        }
        match idx::parse_pair(&img, Path::new("prop-images"), &lab, Path::new("prop-labels")) {
            Ok(li) => {
                prop_assert_eq!(li.pixels.len(), li.labels.len() * 784);
                prop_assert!(li.labels.iter().all(|&l| l < 10));
            }
            Err(e) => {
                let m = e.to_string();
                prop_assert!(m.contains("prop-images") || m.contains("prop-labels"), "{}", m);
            }
        }
    }

    #[test]
    fn any_file_named_gz_fails_cleanly(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x-idx1-ubyte.gz");
        std::fs::write(&p, &bytes).unwrap();
        if let Err(e) = bnlab::data::idx_read::read_pair(&p, &p) {
            prop_assert!(e.to_string().contains("x-idx1-ubyte.gz"), "{}", e);
        }
    }
}
