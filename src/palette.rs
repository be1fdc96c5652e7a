//! One colour and one mark per variant, for every place that draws one (the terminal UI, the
//! report's SVGs, the README's pictures), so a variant looks the same everywhere.
//!
//! Colours are Okabe–Ito, told apart with the common colour-vision deficiencies; the mark keeps
//! colour from being the only cue. A variant's entry is chosen by its position in
//! `Variant::ALL`, so a new variant gets the next colour and mark without a new match arm.

use crate::model::Variant;

/// Okabe–Ito, in the order variants take them (plain orange, BN blue, BN-after green, …).
pub const RGB: [(u8, u8, u8); 12] = [
    (0xE6, 0x9F, 0x00),
    (0x00, 0x72, 0xB2),
    (0x00, 0x9E, 0x73),
    (0xCC, 0x79, 0xA7),
    (0xD5, 0x5E, 0x00),
    (0x56, 0xB4, 0xE9),
    (0xF0, 0xE4, 0x42),
    // Past Okabe–Ito's seven (its eighth is black, lost on a dark terminal): grey, then
    // Tol's rose.
    (0xBB, 0xBB, 0xBB),
    (0xCC, 0x66, 0x77),
    // Tol's teal, olive and purple.
    (0x44, 0xAA, 0x99),
    (0x99, 0x99, 0x33),
    (0xAA, 0x44, 0x99),
];

pub const MARKS: [&str; 12] = ["●", "■", "▲", "◆", "▼", "★", "✚", "○", "□", "◇", "△", "▽"];

fn slot(v: Variant) -> usize {
    Variant::ALL
        .iter()
        .position(|&w| w == v)
        .expect("every variant is in Variant::ALL")
}

pub fn rgb(v: Variant) -> (u8, u8, u8) {
    RGB[slot(v) % RGB.len()]
}

pub fn mark(v: Variant) -> &'static str {
    MARKS[slot(v) % MARKS.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_variants_keep_their_colours_and_every_variant_differs() {
        assert_eq!(rgb(Variant::Plain), (0xE6, 0x9F, 0x00));
        assert_eq!(rgb(Variant::Bn), (0x00, 0x72, 0xB2));
        assert_eq!(mark(Variant::BnAfter), "▲");
        let n = Variant::ALL.len().min(RGB.len());
        let colours: std::collections::BTreeSet<_> =
            Variant::ALL[..n].iter().map(|&v| rgb(v)).collect();
        assert_eq!(colours.len(), n);
    }
}
