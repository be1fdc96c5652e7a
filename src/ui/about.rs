//! "About BatchNorm": what it computes, with the live values of one unit of the running
//! BN net next to the formulas.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use super::{footer, theme};
use crate::app::run_view::RunView;
use crate::app::App;
use crate::train::BnUnit;

pub fn draw_screen(f: &mut Frame, area: Rect, app: &App) {
    let body = Rect {
        height: area.height.saturating_sub(1),
        ..area
    };
    draw_view(f, body, app.run.as_ref(), app.about_scroll);
    footer(f, area, app, "↑↓ scroll  Esc back  ? help  q quit");
}

fn text() -> Vec<Line<'static>> {
    let h = |s: &'static str| Line::from(Span::styled(s, theme::title()));
    let f = |s: &'static str| Line::from(Span::styled(s, theme::key()));
    let p = |s: &'static str| Line::from(s);
    vec![
        h("What is normalized"),
        p("Each feature (each unit of a layer), separately, over the m examples of the mini-batch:"),
        f("  μ_B  = (1/m) Σ x_i"),
        f("  σ²_B = (1/m) Σ (x_i − μ_B)²"),
        f("  x̂    = (x − μ_B) / √(σ²_B + ε)"),
        f("  y    = γ x̂ + β"),
        Line::default(),
        h("Why γ and β"),
        p("Normalizing alone would force every unit to mean 0, variance 1 (for a sigmoid: its linear middle). The learned scale γ and shift β give that freedom back: with γ = √(σ² + ε) and β = μ the layer outputs its input unchanged, so BN can represent the identity and never removes what the net could express."),
        Line::default(),
        h("At inference"),
        p("A test image has no batch. BN keeps running averages during training (momentum 0.1: r ← 0.9 r + 0.1 batch value; the variance is the unbiased one, × m/(m−1)) and uses them instead of the batch statistics, so a prediction does not depend on the other images."),
        Line::default(),
        h("Where it goes"),
        p("The paper puts BN between the linear layer and the non-linearity (variant `bn`); after the activation (`bn-after`) is the common alternative. The bias of the linear layer is redundant before BN (β replaces it)."),
        Line::default(),
        h("The claims, and the experiment that tests each"),
        p("  faster training, stable layer inputs ........ Ioffe & Szegedy 2015  (ioffe2015)"),
        p("  much higher learning rates ................... Higher learning rates  (high-lr)"),
        p("  less sensitive to the initial weight scale ... Bad initialization  (bad-init)"),
        p("  gradients keep flowing in deep sigmoid nets .. Vanishing gradients  (deep)"),
        p("  a regularizing effect ........................ Regularization  (generalization)"),
        p("  a smoother loss landscape .................... Smoother loss landscape  (smoothness)"),
        p("  weak with tiny batches ....................... Where BN is weak  (small-batch)"),
        p("  placement before/after the activation ........ BN before vs after  (placement)"),
    ]
}

/// The latest BN unit of a BN job of the run, if any reported one.
pub fn live_unit(run: Option<&RunView>) -> Option<(String, BnUnit, u64)> {
    let run = run?;
    run.record
        .jobs
        .iter()
        .filter(|j| j.id.variant.has_bn())
        .filter_map(|j| {
            j.bn_unit
                .map(|u| (j.id.variant.as_str().to_string(), u, j.step))
        })
        .max_by_key(|x| x.2)
}

fn unit_lines(run: Option<&RunView>) -> Vec<Line<'static>> {
    let Some((variant, u, step)) = live_unit(run) else {
        return vec![
            Line::from(Span::styled("Live values", theme::title())),
            Line::from("Start a run with a BN variant to see one unit's numbers here, updated at every evaluation."),
        ];
    };
    let n = |k: &str, v: f32| {
        Line::from(vec![
            Span::styled(format!("{k:<14}"), theme::dim()),
            Span::styled(
                format!("{:>10}", super::fmt_val(f64::from(v))),
                Style::default().fg(theme::SKY),
            ),
        ])
    };
    let expect_xhat = (u.x - u.batch_mean) / (u.batch_var + u.epsilon).sqrt();
    vec![
        Line::from(Span::styled("Live values", theme::title())),
        Line::from(Span::styled(
            format!("{variant}, layer {} unit {}, step {step}", u.layer, u.unit),
            theme::dim(),
        )),
        n("μ_B", u.batch_mean),
        n("σ²_B", u.batch_var),
        n("ε", u.epsilon),
        n("γ", u.gamma),
        n("β", u.beta),
        n("running μ", u.running_mean),
        n("running σ²", u.running_var),
        Line::default(),
        Line::from(Span::styled("one example", theme::title())),
        n("x", u.x),
        n("x̂", u.x_hat),
        n("y = γx̂+β", u.y),
        Line::from(Span::styled(
            format!("check: (x−μ)/√(σ²+ε) = {expect_xhat:.4}"),
            theme::dim(),
        )),
    ]
}

pub fn draw_view(f: &mut Frame, area: Rect, run: Option<&RunView>, scroll: u16) {
    let [l, r] = Layout::horizontal([Constraint::Min(40), Constraint::Length(34)]).areas(area);
    f.render_widget(
        Paragraph::new(text())
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .block(Block::bordered().title(" About BatchNorm (Ioffe & Szegedy 2015) ")),
        l,
    );
    f.render_widget(
        Paragraph::new(unit_lines(run)).block(Block::bordered().title(" One BN unit, live ")),
        r,
    );
}
