//! The experiment menu and the settings form.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use super::{footer, theme};
use crate::app::{form, layout, App, MENU_EXTRA};
use crate::presets::PRESETS;
use crate::train::RunConfig;

fn header(f: &mut Frame, area: Rect, app: &App, title: &str) {
    let r = Rect { height: 1, ..area };
    let [l, rr] = Layout::horizontal([
        Constraint::Min(20),
        Constraint::Length((app.data.status.chars().count() as u16 + 1).min(area.width / 2)),
    ])
    .areas(r);
    // Both sides are shortened on purpose, with a gap between them, rather than run together.
    let text = super::shorten(&app.data.status, rr.width.saturating_sub(1) as usize);
    let status = if app.data.loading {
        Span::styled(text, theme::key())
    } else {
        Span::styled(text, theme::dim())
    };
    f.render_widget(
        Paragraph::new(Span::styled(
            super::shorten(title, l.width.saturating_sub(2) as usize),
            theme::title(),
        )),
        l,
    );
    f.render_widget(
        Paragraph::new(status).alignment(ratatui::layout::Alignment::Right),
        rr,
    );
}

/// One line per setting that matters.
pub fn settings_lines(c: &RunConfig) -> Vec<Line<'static>> {
    let variants: Vec<&str> = c.variants.iter().map(|v| v.label()).collect();
    let mut v = vec![
        kv("dataset", c.dataset.title().to_string()),
        kv("variants", variants.join(", ")),
        kv(
            "network",
            format!("{}×100 {}, init {}", c.depth, c.activation, c.init),
        ),
        kv(
            "optimizer",
            format!(
                "{} lr {}{}",
                c.optimizer,
                c.lr,
                if c.momentum > 0.0 {
                    format!(" momentum {}", c.momentum)
                } else {
                    String::new()
                }
            ),
        ),
        kv("batch", c.batch_size.to_string()),
        kv(
            "length",
            match c.steps {
                Some(s) => format!("{s} steps"),
                None => format!("{} epochs", c.epochs),
            },
        ),
        kv(
            "seed",
            format!("{} ({} seed(s) per variant)", c.seed, c.seeds),
        ),
    ];
    if let Some(s) = &c.sweep {
        let vals: Vec<String> = s.values.iter().map(|x| x.to_string()).collect();
        v.push(kv(
            "sweep",
            format!("{} = {}", s.param.as_str(), vals.join(", ")),
        ));
    }
    if let Some(l) = c.split.train_limit {
        v.push(kv("train images", l.to_string()));
    }
    if c.probe_every > 0 {
        v.push(kv("probes", format!("every {} steps", c.probe_every)));
    }
    v
}

fn kv(k: &str, v: String) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{k:<13}"), theme::dim()),
        Span::raw(v),
    ])
}

pub fn draw_menu(f: &mut Frame, area: Rect, app: &App) {
    header(f, area, app, "bnlab — plain net vs BatchNorm, side by side");
    let list = layout::menu_list(area);
    let block_area = layout::bordered(list);
    f.render_widget(Block::bordered().title(" Experiments "), block_area);
    let names: Vec<String> = PRESETS
        .iter()
        .map(|p| p.title.to_string())
        .chain(MENU_EXTRA.iter().map(|s| format!("» {s}")))
        .collect();
    let off = layout::scroll_offset(app.menu, list.height);
    let lines: Vec<Line> = names
        .iter()
        .enumerate()
        .skip(off)
        .take(list.height as usize)
        .map(|(i, n)| {
            let style = if i == app.menu {
                theme::selected()
            } else if i >= PRESETS.len() {
                theme::dim()
            } else {
                Style::default()
            };
            Line::from(Span::styled(
                format!(" {n:<w$}", w = list.width as usize - 1),
                style,
            ))
        })
        .collect();
    f.render_widget(Paragraph::new(lines), list);

    let detail = Rect {
        x: block_area.x + block_area.width + 1,
        y: block_area.y,
        width: area.width.saturating_sub(block_area.width + 1),
        height: block_area.height,
    };
    let mut lines = Vec::new();
    if let Some(p) = PRESETS.get(app.menu) {
        lines.push(Line::from(Span::styled(p.title, theme::title())));
        lines.push(Line::from(Span::styled(
            format!("preset: {}", p.name),
            theme::dim(),
        )));
        lines.push(Line::default());
        lines.push(Line::from(vec![
            Span::styled("Claim  ", theme::key()),
            Span::raw(p.claim),
        ]));
        lines.push(Line::from(vec![
            Span::styled("Look at  ", theme::key()),
            Span::raw(p.look_at),
        ]));
        lines.push(Line::default());
        lines.extend(settings_lines(&p.config(app.data.best)));
        lines.push(Line::default());
        lines.push(Line::from(Span::styled(
            "Enter: settings and start",
            theme::dim(),
        )));
    } else if app.menu == PRESETS.len() {
        lines.push(Line::from(Span::styled("Saved runs", theme::title())));
        lines.push(Line::from(format!(
            "Browse the runs in {}/, open one to see its curves, or overlay two.",
            app.runs_dir.display()
        )));
    } else {
        lines.push(Line::from(Span::styled("About BatchNorm", theme::title())));
        lines.push(Line::from(
            "What BatchNorm computes, why γ and β are there, what happens at inference, and which experiment tests each claim.",
        ));
    }
    if let Some(run) = &app.run {
        lines.push(Line::default());
        let what = if run.is_running() {
            "in progress"
        } else {
            "open"
        };
        lines.push(Line::from(Span::styled(
            format!("Run {what}: {} (v or Tab to return to it)", run.label),
            theme::key(),
        )));
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(" Details ")),
        detail,
    );
    if let Some(note) = &app.data.note {
        let r = Rect {
            y: area.y + area.height.saturating_sub(2),
            height: 1,
            ..area
        };
        f.render_widget(Paragraph::new(Span::styled(note.clone(), theme::dim())), r);
    }
    footer(
        f,
        area,
        app,
        "↑↓ move  Enter open  b saved runs  a about BN  ? help  q quit",
    );
}

pub fn draw_form(f: &mut Frame, area: Rect, app: &App) {
    let form = &app.form;
    let p = &PRESETS[form.preset.min(PRESETS.len() - 1)];
    header(f, area, app, &format!("{} — settings", p.title));
    let claim = layout::form_claim(p.claim);
    let at = layout::form(area, &claim, form.fields.len());
    f.render_widget(Block::bordered().title(" Experiment settings "), at.block);
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("Claim: ", theme::key()),
            Span::raw(p.claim),
        ]))
        .wrap(Wrap { trim: false }),
        at.claim,
    );
    // One line per field, so that a click on a line picks its field; a hint too long for
    // the line goes under the fields.
    let mut hint_below = None;
    let lines: Vec<Line> = form
        .fields
        .iter()
        .enumerate()
        .map(|(i, fld)| {
            let focused = i == form.focus;
            let line = field_line(
                fld,
                focused,
                form.error
                    .as_ref()
                    .is_some_and(|e| e.field == Some(fld.key)),
            );
            if focused && line.width() + fld.hint.chars().count() + 2 > at.fields.width as usize {
                hint_below = Some(fld.hint);
                line
            } else if focused {
                let mut line = line;
                line.push_span(Span::styled(format!("  {}", fld.hint), theme::dim()));
                line
            } else {
                line
            }
        })
        .collect();
    f.render_widget(Paragraph::new(lines), at.fields);
    let mut lines = Vec::new();
    if let Some(h) = hint_below {
        lines.push(Line::from(Span::styled(format!("  {h}"), theme::dim())));
    }
    lines.push(Line::default());
    if let Some(s) = &form.base.sweep {
        let vals: Vec<String> = s.values.iter().map(|x| x.to_string()).collect();
        lines.push(Line::from(Span::styled(
            format!(
                "This preset sweeps {} over {} (one pair of nets per value; it overrides that field).",
                s.param.as_str(),
                vals.join(", ")
            ),
            theme::dim(),
        )));
    }
    match &form.error {
        Some(e) => lines.push(Line::from(Span::styled(
            format!("✗ {}", e.message),
            Style::default()
                .fg(theme::VERMILION)
                .add_modifier(Modifier::BOLD),
        ))),
        None => lines.push(Line::from(Span::styled(
            "Enter starts training",
            theme::key(),
        ))),
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), at.tail);
    footer(
        f,
        area,
        app,
        "↑↓ field  ←→ choose  type to edit  Enter start  Esc back  ? help",
    );
}

/// A field's label and value.
fn field_line(fld: &form::Field, focused: bool, err: bool) -> Line<'static> {
    let value = match &fld.value {
        form::Value::Choice(..) => format!("‹ {} ›", fld.display()),
        form::Value::Text(t) if focused => format!("{t}▏"),
        form::Value::Text(t) => t.clone(),
    };
    let vstyle = if err {
        Style::default()
            .fg(theme::VERMILION)
            .add_modifier(Modifier::BOLD)
    } else if focused {
        theme::selected()
    } else {
        Style::default()
    };
    Line::from(vec![
        Span::styled(
            format!("{} {:<14} ", if focused { "▶" } else { " " }, fld.label),
            if focused {
                theme::title()
            } else {
                theme::dim()
            },
        ),
        Span::styled(format!("{value:<22}"), vstyle),
    ])
}
