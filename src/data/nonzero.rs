//! Each image's non-zero pixels, found once per subset. About four in five MNIST pixels are 0,
//! and evaluation reads the same validation images hundreds of times per run, so the first
//! layer at inference walks these short lists instead of all 784 pixels (see
//! `model::pixel_input`).

/// A non-zero pixel: its position in the image and its value.
pub type Pixel = (u16, u8);

/// Above this fraction of non-zero inputs, reading only the non-zero ones no longer pays: the
/// dense product is as fast at one half (Fashion-MNIST's pixels) and MNIST's are one fifth.
pub const MAX_DENSITY: f64 = 0.4;

#[derive(Clone, Default)]
pub struct NonzeroPixels {
    /// Image `i`'s pixels are `items[starts[i]..starts[i + 1]]`.
    starts: Vec<u32>,
    items: Vec<Pixel>,
}

impl NonzeroPixels {
    pub fn of<'a>(images: impl Iterator<Item = &'a [u8]>) -> Self {
        let mut starts = vec![0];
        let mut items = Vec::new();
        for image in images {
            assert!(
                image.len() <= usize::from(u16::MAX) + 1,
                "an image fits u16 positions"
            );
            items.extend(
                image
                    .iter()
                    .enumerate()
                    .filter(|(_, &v)| v != 0)
                    .map(|(p, &v)| (p as u16, v)),
            );
            starts.push(u32::try_from(items.len()).expect("under 4 G non-zero pixels"));
        }
        items.shrink_to_fit();
        Self { starts, items }
    }

    pub fn len(&self) -> usize {
        self.starts.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Image `i`'s non-zero pixels, in pixel order.
    pub fn get(&self, i: usize) -> &[Pixel] {
        &self.items[self.starts[i] as usize..self.starts[i + 1] as usize]
    }
}

impl std::fmt::Debug for NonzeroPixels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "NonzeroPixels({} images, {} pixels)",
            self.len(),
            self.items.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_each_image_s_non_zero_pixels_in_order() {
        let a = [0u8, 3, 0, 0, 255, 1];
        let b = [0u8; 6];
        let c = [9u8, 0, 0, 0, 0, 7];
        let nz = NonzeroPixels::of([&a[..], &b, &c].into_iter());
        assert_eq!(nz.len(), 3);
        assert_eq!(nz.get(0), &[(1, 3), (4, 255), (5, 1)]);
        assert!(nz.get(1).is_empty());
        assert_eq!(nz.get(2), &[(0, 9), (5, 7)]);
    }
}
