//! The one table of key bindings. Dispatch looks keys up here and the help overlay lists
//! this same table, so a key cannot work without being in the help, nor be in the help
//! without working.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a binding matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// This key whatever the modifiers (capitals come with Shift).
    Code(KeyCode),
    Ctrl(char),
    /// Any printable character without Ctrl: typing into a text field.
    AnyChar,
    /// Any key not bound before it in the same context.
    Any,
}

impl Key {
    pub fn matches(self, k: &KeyEvent) -> bool {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        match self {
            Key::Code(c) => k.code == c,
            Key::Ctrl(c) => ctrl && k.code == KeyCode::Char(c),
            Key::AnyChar => !ctrl && matches!(k.code, KeyCode::Char(c) if !c.is_control()),
            Key::Any => true,
        }
    }

    /// A key event that this binding matches, for tests and for the mouse.
    pub fn example(self) -> KeyEvent {
        match self {
            Key::Code(c) => KeyEvent::from(c),
            Key::Ctrl(c) => KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL),
            Key::AnyChar => KeyEvent::from(KeyCode::Char('7')),
            Key::Any => KeyEvent::from(KeyCode::F(5)),
        }
    }

    pub fn label(self) -> String {
        match self {
            Key::Code(c) => match c {
                KeyCode::Up => "↑".into(),
                KeyCode::Down => "↓".into(),
                KeyCode::Left => "←".into(),
                KeyCode::Right => "→".into(),
                KeyCode::PageUp => "PgUp".into(),
                KeyCode::PageDown => "PgDn".into(),
                KeyCode::BackTab => "Shift-Tab".into(),
                KeyCode::Char(' ') => "space".into(),
                KeyCode::Char(c) => c.to_string(),
                other => other.to_string(),
            },
            Key::Ctrl(c) => format!("Ctrl-{}", c.to_ascii_uppercase()),
            Key::AnyChar => "type".into(),
            Key::Any => "other keys".into(),
        }
    }
}

/// Where a binding applies. Keys are looked up in the contexts that [`super::App`] says are
/// active, in order, so an earlier context wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ctx {
    /// Before everything, even text fields.
    Always,
    SaveAs,
    Offer,
    Downloading,
    Help,
    /// A box asking before work is discarded or interrupted.
    Confirm,
    /// The metric picker of the run screen.
    Picker,
    /// Before the screen's own keys.
    Global,
    Menu,
    /// The settings form when a choice field has the focus.
    FormChoice,
    /// The settings form when a text field has the focus.
    FormText,
    Form,
    Run,
    Browser,
    /// The browser's filter field while it takes the keys.
    BrowserFilter,
    About,
    /// After the screen's own keys.
    Fallback,
}

impl Ctx {
    pub fn title(self) -> &'static str {
        match self {
            Ctx::Always | Ctx::Global | Ctx::Fallback => "Everywhere",
            Ctx::SaveAs => "Save elsewhere",
            Ctx::Offer => "Download offer",
            Ctx::Downloading => "Download",
            Ctx::Help => "This help",
            Ctx::Confirm => "Confirmation",
            Ctx::Picker => "Metric picker",
            Ctx::Menu => "Menu",
            Ctx::FormChoice => "Settings: on a choice",
            Ctx::FormText => "Settings: on a number",
            Ctx::Form => "Settings form",
            Ctx::Run => "Run",
            Ctx::Browser => "Saved runs",
            Ctx::BrowserFilter => "Saved runs: typing a filter",
            Ctx::About => "About BatchNorm",
        }
    }
}

/// What a key asks for; the active context's handler says what it means there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    OpenHelp,
    CloseHelp,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Back,
    Open,
    OpenBrowser,
    OpenAbout,
    ToRun,
    Download,
    Cycle(i8),
    Type,
    Erase,
    Start,
    NextView,
    PrevView,
    /// The view numbered by the digit pressed.
    ViewN,
    XAxis,
    LogLoss,
    Raw,
    SmoothMore,
    SmoothLess,
    Pause,
    Stop,
    Restart,
    Export,
    Report,
    NextPoint,
    PrevPoint,
    UnitBands,
    ClearOverlay,
    Mark,
    Rescan,
    /// Order by the next column.
    Sort,
    Reverse,
    /// Start typing into a filter.
    Filter,
    Delete,
    Accept,
    Decline,
    Cancel,
    SaveHere,
    Keep,
    /// Move the chart cursor left (-1) or right (+1).
    Cursor(i8),
    /// Zoom the x-axis in (+1) or out (-1).
    ZoomX(i8),
    PanX(i8),
    ZoomY(i8),
    PanY(i8),
    /// Frame the y-axis on the informative part or on every value.
    YFrame,
    ResetView,
    /// Pick the series that hide and solo act on.
    Target,
    Hide,
    Solo,
    PickMetric,
    StepOnce,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    pub ctx: Ctx,
    pub keys: &'static [Key],
    pub action: Action,
    pub help: &'static str,
}

impl Binding {
    pub fn label(&self) -> String {
        let v: Vec<String> = self.keys.iter().map(|k| k.label()).collect();
        v.join(" ")
    }
}

const fn c(ch: char) -> Key {
    Key::Code(KeyCode::Char(ch))
}
const UP: Key = Key::Code(KeyCode::Up);
const DOWN: Key = Key::Code(KeyCode::Down);
const LEFT: Key = Key::Code(KeyCode::Left);
const RIGHT: Key = Key::Code(KeyCode::Right);
const ENTER: Key = Key::Code(KeyCode::Enter);
const ESC: Key = Key::Code(KeyCode::Esc);
const TAB: Key = Key::Code(KeyCode::Tab);
const BACKTAB: Key = Key::Code(KeyCode::BackTab);
const PGUP: Key = Key::Code(KeyCode::PageUp);
const PGDN: Key = Key::Code(KeyCode::PageDown);
const HOME: Key = Key::Code(KeyCode::Home);
const END: Key = Key::Code(KeyCode::End);
const BACKSPACE: Key = Key::Code(KeyCode::Backspace);
const DELETE: Key = Key::Code(KeyCode::Delete);

const fn b(ctx: Ctx, keys: &'static [Key], action: Action, help: &'static str) -> Binding {
    Binding {
        ctx,
        keys,
        action,
        help,
    }
}

use Action as A;
use Ctx as C;

/// Every key binding of the UI, one line each.
#[rustfmt::skip]
pub static KEYMAP: &[Binding] = &[
    b(C::Always, &[Key::Ctrl('c'), Key::Ctrl('q')], A::Quit, "quit (a running run is saved first)"),
    b(C::SaveAs, &[ENTER], A::SaveHere, "save the run in a new folder there"),
    b(C::SaveAs, &[ESC], A::Keep, "keep the run in memory (temp folder on quit)"),
    b(C::SaveAs, &[BACKSPACE], A::Erase, "delete the last character"),
    b(C::SaveAs, &[Key::AnyChar], A::Type, "type the folder"),
    b(C::Offer, &[c('y'), c('Y'), ENTER], A::Accept, "download the offered dataset"),
    b(C::Offer, &[c('n'), c('N'), ESC], A::Decline, "not now (mnist-5k stays available)"),
    b(C::Offer, &[c('q')], A::Quit, "quit"),
    b(C::Downloading, &[ESC], A::Cancel, "cancel the download (nothing partial is kept)"),
    b(C::Downloading, &[c('q')], A::Quit, "quit"),
    b(C::Help, &[UP, c('k')], A::Up, "scroll up"),
    b(C::Help, &[DOWN, c('j')], A::Down, "scroll down"),
    b(C::Help, &[PGUP], A::PageUp, "a page up"),
    b(C::Help, &[PGDN], A::PageDown, "a page down"),
    b(C::Help, &[HOME], A::Top, "to the top"),
    b(C::Help, &[END], A::Bottom, "to the end"),
    b(C::Help, &[c('q')], A::Quit, "quit"),
    b(C::Help, &[Key::Any], A::CloseHelp, "close this help"),
    b(C::Confirm, &[c('y'), c('Y'), ENTER], A::Accept, "yes, go ahead"),
    b(C::Confirm, &[c('n'), c('N'), ESC], A::Decline, "no, keep things as they are"),
    b(C::Picker, &[UP, c('k')], A::Up, "previous metric"),
    b(C::Picker, &[DOWN, c('j')], A::Down, "next metric"),
    b(C::Picker, &[PGUP], A::PageUp, "a page up"),
    b(C::Picker, &[PGDN], A::PageDown, "a page down"),
    b(C::Picker, &[ENTER], A::Open, "chart the metric on the left"),
    b(C::Picker, &[ESC, c('m')], A::Back, "close the picker"),
    b(C::Global, &[c('?')], A::OpenHelp, "show the keys of this screen"),
    b(C::Menu, &[UP, c('k')], A::Up, "previous entry (mouse: click)"),
    b(C::Menu, &[DOWN, c('j')], A::Down, "next entry"),
    b(C::Menu, &[HOME, c('g')], A::Top, "first entry"),
    b(C::Menu, &[END, c('G')], A::Bottom, "last entry"),
    b(C::Menu, &[ENTER, RIGHT, c('l')], A::Open, "open the experiment's settings"),
    b(C::Menu, &[c('b')], A::OpenBrowser, "saved runs"),
    b(C::Menu, &[c('a')], A::OpenAbout, "About BatchNorm"),
    b(C::Menu, &[TAB, c('v')], A::ToRun, "back to the current run"),
    b(C::Menu, &[c('d')], A::Download, "download full MNIST when it is missing"),
    b(C::Menu, &[ESC], A::Back, "nothing to go back to (q quits)"),
    b(C::FormChoice, &[c('k')], A::Up, "previous field"),
    b(C::FormChoice, &[c('j')], A::Down, "next field"),
    b(C::FormChoice, &[LEFT, c('h')], A::Cycle(-1), "previous choice"),
    b(C::FormChoice, &[RIGHT, c('l'), c(' ')], A::Cycle(1), "next choice"),
    b(C::FormText, &[Key::AnyChar], A::Type, "edit the number"),
    b(C::FormText, &[BACKSPACE], A::Erase, "delete the last character"),
    b(C::Form, &[UP, BACKTAB], A::Up, "previous field"),
    b(C::Form, &[DOWN, TAB], A::Down, "next field"),
    b(C::Form, &[ENTER], A::Start, "check the settings and start training"),
    b(C::Form, &[c('d')], A::Download, "download the chosen dataset if missing"),
    b(C::Form, &[ESC], A::Back, "back to the menu"),
    b(C::Run, &[c(' '), c('p')], A::Pause, "pause / resume"),
    b(C::Run, &[c('.')], A::StepOnce, "while paused: train one more log interval"),
    b(C::Run, &[c('s')], A::Stop, "stop (the run is saved)"),
    b(C::Run, &[c('r')], A::Restart, "restart with the same settings (asks first)"),
    b(C::Run, &[c('e')], A::Export, "export to the runs folder"),
    b(C::Run, &[c('R')], A::Report, "write report.md for the saved run"),
    b(C::Run, &[TAB], A::NextView, "next view"),
    b(C::Run, &[BACKTAB], A::PrevView, "previous view"),
    b(C::Run, &[c('1'), c('2'), c('3'), c('4')], A::ViewN, "curves, signals, internals, about BN"),
    b(C::Run, &[c('x')], A::XAxis, "x-axis: steps, epochs, seconds"),
    b(C::Run, &[c('w')], A::Raw, "raw values"),
    b(C::Run, &[c('+'), c('=')], A::SmoothMore, "more smoothing"),
    b(C::Run, &[c('-')], A::SmoothLess, "less smoothing"),
    b(C::Run, &[c('o'), c('L')], A::LogLoss, "log scale for the left chart (loss)"),
    b(C::Run, &[c('m')], A::PickMetric, "pick the metric of the left chart"),
    b(C::Run, &[LEFT, c('h')], A::Cursor(-1), "cursor left: every series' value there"),
    b(C::Run, &[RIGHT, c('l')], A::Cursor(1), "cursor right"),
    b(C::Run, &[c('z')], A::ZoomX(1), "zoom in on x (around the cursor)"),
    b(C::Run, &[c('Z')], A::ZoomX(-1), "zoom out on x"),
    b(C::Run, &[c('<')], A::PanX(-1), "pan x left"),
    b(C::Run, &[c('>')], A::PanX(1), "pan x right"),
    b(C::Run, &[c('v')], A::ZoomY(1), "zoom in on y"),
    b(C::Run, &[c('V')], A::ZoomY(-1), "zoom out on y"),
    b(C::Run, &[c('K')], A::PanY(1), "pan y up"),
    b(C::Run, &[c('J')], A::PanY(-1), "pan y down"),
    b(C::Run, &[c('f')], A::YFrame, "y: informative part / every value"),
    b(C::Run, &[c('0')], A::ResetView, "reset zoom, pan and cursor"),
    b(C::Run, &[c('t')], A::Target, "pick a variant for H and O"),
    b(C::Run, &[c('H')], A::Hide, "hide / show the picked variant"),
    b(C::Run, &[c('O')], A::Solo, "show only the picked variant / all"),
    b(C::Run, &[c(']'), c('n')], A::NextPoint, "next sweep point (stops following)"),
    b(C::Run, &[c('['), c('N')], A::PrevPoint, "previous sweep point"),
    b(C::Run, &[UP, c('k')], A::Up, "internals: previous layer"),
    b(C::Run, &[DOWN, c('j')], A::Down, "internals: next layer"),
    b(C::Run, &[c('u')], A::UnitBands, "internals: one unit of the last layer"),
    b(C::Run, &[c('c')], A::ClearOverlay, "remove the overlaid runs"),
    b(C::Run, &[ESC], A::Back, "back to where the run was opened from"),
    b(C::Browser, &[UP, c('k')], A::Up, "previous run"),
    b(C::Browser, &[DOWN, c('j')], A::Down, "next run"),
    b(C::Browser, &[PGUP], A::PageUp, "ten runs up"),
    b(C::Browser, &[PGDN], A::PageDown, "ten runs down"),
    b(C::Browser, &[ENTER, RIGHT, c('l')], A::Open, "open the run (with the marked one)"),
    b(C::Browser, &[c(' '), c('m')], A::Mark, "mark runs to overlay on the opened one"),
    b(C::Browser, &[c('s')], A::Sort, "sort: date, preset, dataset, status, acc, seeds"),
    b(C::Browser, &[c('S')], A::Reverse, "reverse the order"),
    b(C::Browser, &[c('/')], A::Filter, "filter: only runs with all the words typed"),
    b(C::Browser, &[c('d'), DELETE], A::Delete, "delete the run's folder (asks first)"),
    b(C::Browser, &[c('r')], A::Rescan, "rescan the folder"),
    b(C::Browser, &[c('R')], A::Report, "write report.md for the selected run"),
    b(C::Browser, &[TAB, c('v')], A::ToRun, "back to the current run"),
    b(C::Browser, &[ESC, LEFT, c('h')], A::Back, "back to the menu"),
    b(C::BrowserFilter, &[Key::AnyChar], A::Type, "type words: preset, dataset, status, lr…"),
    b(C::BrowserFilter, &[BACKSPACE], A::Erase, "delete the last character"),
    b(C::BrowserFilter, &[ENTER], A::Accept, "keep the filter, back to the list"),
    b(C::BrowserFilter, &[ESC], A::Cancel, "clear the filter"),
    b(C::About, &[UP, c('k')], A::Up, "scroll up"),
    b(C::About, &[DOWN, c('j')], A::Down, "scroll down"),
    b(C::About, &[ESC, LEFT, c('h')], A::Back, "back to the menu"),
    b(C::Fallback, &[c('q')], A::Quit, "quit (a running run is saved first)"),
];

/// The first binding of `contexts` (in order) that matches `key`.
pub fn resolve(contexts: &[Ctx], key: &KeyEvent) -> Option<&'static Binding> {
    contexts.iter().find_map(|ctx| {
        KEYMAP
            .iter()
            .find(|b| b.ctx == *ctx && b.keys.iter().any(|k| k.matches(key)))
    })
}

/// The bindings of `contexts`, in the order of the contexts, then of the table.
pub fn bindings(contexts: &[Ctx]) -> impl Iterator<Item = &'static Binding> + '_ {
    contexts
        .iter()
        .flat_map(|ctx| KEYMAP.iter().filter(move |b| b.ctx == *ctx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_of_the_help_fits_the_help_box() {
        for b in KEYMAP {
            assert!(
                b.label().chars().count() <= crate::app::layout::KEY_W,
                "{b:?}"
            );
            assert!(
                b.help.chars().count() <= crate::app::layout::TEXT_W,
                "{b:?}"
            );
        }
    }

    #[test]
    fn capitals_and_ctrl_are_told_apart() {
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(
            resolve(&[Ctx::Always], &ctrl_c).unwrap().action,
            Action::Quit
        );
        assert_eq!(resolve(&[Ctx::Always], &KeyCode::Char('c').into()), None);
        let big_r = KeyEvent::new(KeyCode::Char('R'), KeyModifiers::SHIFT);
        assert_eq!(resolve(&[Ctx::Run], &big_r).unwrap().action, Action::Report);
        assert!(!Key::AnyChar.matches(&ctrl_c));
    }
}
