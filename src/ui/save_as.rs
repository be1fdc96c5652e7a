//! The "save elsewhere" box, over whatever screen is showing.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::theme;
use crate::app::App;

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let Some(s) = &app.save_as else {
        return;
    };
    let inner = super::popup(f, area, 76, 11, "Save the run elsewhere");
    let lines = vec![
        Line::from(Span::styled("The run could not be saved.", theme::title())),
        Line::from(Span::styled(s.error.clone(), theme::dim())),
        Line::default(),
        Line::from("It is kept in memory. Save it in a new folder under:"),
        Line::from(vec![Span::styled(format!("{}█", s.path), theme::key())]),
        Line::default(),
        Line::from(vec![
            Span::styled("Enter", theme::key()),
            Span::raw(" save there    "),
            Span::styled("Esc", theme::key()),
            Span::raw(" keep it in memory (saved to the temp folder on quit)"),
        ]),
    ];
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
