//! The integration tests as one binary: each test file used to be its own crate that linked
//! dfdx and ratatui again, which made a fresh build several times slower.

mod support;
mod ui_common;

mod bn_reference;
mod bn_small_batch;
mod bounded_inputs;
mod cli_messages;
mod cluster;
mod data_bad_inputs;
mod data_cli;
mod data_fetch;
mod determinism;
mod download_limits;
mod e2e_flows;
mod e2e_tmux;
mod engine;
mod headless_signals;
mod literature;
mod optim_reference;
mod presets;
mod proptest_idx;
mod proptest_runs;
mod rel_http;
mod rel_support;
mod report_discussion;
mod report_landscape;
mod report_metrics;
mod report_run;
mod saves_and_signals;
mod session_control;
mod smooth_reference;
mod structure;
mod ui_browser;
mod ui_compare;
mod ui_keys;
mod ui_render;
mod verdicts;
