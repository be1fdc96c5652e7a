//! Colours: one Okabe–Ito colour per variant (told apart with the common colour-vision
//! deficiencies), used for every widget that shows that variant.

use ratatui::style::{Color, Modifier, Style};

use crate::model::Variant;
use crate::palette;
use crate::train::Status;

pub const VERMILION: Color = Color::Rgb(0xD5, 0x5E, 0x00);
pub const SKY: Color = Color::Rgb(0x56, 0xB4, 0xE9);
pub const YELLOW: Color = Color::Rgb(0xF0, 0xE4, 0x42);
pub const MUTED: Color = Color::Gray;

pub fn variant(v: Variant) -> Color {
    let (r, g, b) = palette::rgb(v);
    Color::Rgb(r, g, b)
}

/// The variant's colour at `k` of its brightness. A chart keeps one colour per cell and no
/// modifiers, so a faint line must be a darker colour rather than a dim style.
fn shade(v: Variant, k: f64) -> Color {
    let (r, g, b) = palette::rgb(v);
    let f = |c: u8| (f64::from(c) * k).round() as u8;
    Color::Rgb(f(r), f(g), f(b))
}

/// The seeds' own lines and the min-max band under a mean.
pub fn faint(v: Variant) -> Color {
    shade(v, 0.45)
}

/// An overlaid saved run.
pub fn overlay(v: Variant) -> Color {
    shade(v, 0.7)
}

/// The symbol drawn next to a variant's name, so colour is not the only cue.
pub fn variant_mark(v: Variant) -> &'static str {
    palette::mark(v)
}

pub fn status(s: Status) -> Style {
    let st = Style::default();
    match s {
        Status::Pending => st.fg(MUTED),
        Status::Running => st.fg(Color::White).add_modifier(Modifier::BOLD),
        Status::Paused => st.fg(YELLOW).add_modifier(Modifier::BOLD),
        Status::Finished => st.fg(SKY).add_modifier(Modifier::BOLD),
        Status::Diverged => st.fg(VERMILION).add_modifier(Modifier::BOLD),
        Status::Failed => st
            .fg(Color::Red)
            .add_modifier(Modifier::BOLD | Modifier::REVERSED),
        Status::Interrupted => st.fg(MUTED).add_modifier(Modifier::BOLD),
    }
}

pub fn title() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

pub fn key() -> Style {
    Style::default().fg(YELLOW).add_modifier(Modifier::BOLD)
}

pub fn dim() -> Style {
    Style::default().fg(MUTED)
}

pub fn selected() -> Style {
    Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
}

/// A sequential palette (dark to bright, perceptually ordered, readable with colour-vision
/// deficiencies) for heat strips.
pub const HEAT: [Color; 8] = [
    Color::Rgb(0x44, 0x01, 0x54),
    Color::Rgb(0x46, 0x33, 0x7E),
    Color::Rgb(0x36, 0x5C, 0x8D),
    Color::Rgb(0x27, 0x7F, 0x8E),
    Color::Rgb(0x1F, 0xA1, 0x87),
    Color::Rgb(0x4A, 0xC1, 0x6D),
    Color::Rgb(0x9F, 0xDA, 0x3A),
    Color::Rgb(0xFD, 0xE7, 0x25),
];
