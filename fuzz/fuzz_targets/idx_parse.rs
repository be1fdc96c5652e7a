//! Any bytes given to the IDX reader: never a panic, and every error names the file.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz-idx3-ubyte");
    // The first byte picks the dimension count the caller expects (images 3, labels 1, others).
    let (ndim, bytes) = match data.split_first() {
        Some((d, rest)) => (d % 5, rest),
        None => (3, data),
    };
    match bnlab::data::idx::parse(bytes, ndim, path) {
        Ok(a) => {
            assert_eq!(a.dims.len(), usize::from(ndim));
            let len: u64 = a.dims.iter().map(|&d| u64::from(d)).product();
            assert_eq!(len, a.data.len() as u64);
            assert_eq!(bnlab::data::idx::encode(&a.dims, &a.data), bytes);
        }
        Err(e) => assert!(e.to_string().contains("fuzz-idx3-ubyte"), "{e}"),
    }
    // The gzip path must fail cleanly too.
    let _ = bnlab::data::idx::gunzip(bytes);
});
