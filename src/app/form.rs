//! The settings form: a preset's config shown as editable fields, turned back into a
//! validated `RunConfig` with an error that names the field.

use crate::data::source::ALL_DATASETS as DATASETS;
use crate::data::DatasetName;
use crate::model::{Activation, Init, Variant, DEEP_DEPTH, SHALLOW_DEPTH};
use crate::presets::PRESETS;
use crate::train::{Field as Setting, OptimizerKind, RunConfig};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKey {
    Dataset,
    Plain,
    Placement,
    Activation,
    Optimizer,
    Lr,
    BatchSize,
    Epochs,
    InitSigma,
    Seed,
    Seeds,
    Depth,
    ProbeEvery,
}

/// A setting of the form that cannot be used: the field at fault (None when the form does
/// not show it) and why.
#[derive(Debug, Clone, PartialEq)]
pub struct FormError {
    pub field: Option<FieldKey>,
    pub message: String,
}

impl FormError {
    pub fn at(field: FieldKey, message: String) -> Self {
        FormError {
            field: Some(field),
            message,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// One of a fixed list of choices, by position.
    Choice(Vec<String>, usize),
    Text(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub key: FieldKey,
    pub label: &'static str,
    pub value: Value,
    pub hint: &'static str,
}

impl Field {
    pub fn display(&self) -> String {
        match &self.value {
            Value::Choice(c, i) => c.get(*i).cloned().unwrap_or_default(),
            Value::Text(t) => t.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    /// Position of the preset in `PRESETS`.
    pub preset: usize,
    pub base: RunConfig,
    pub fields: Vec<Field>,
    pub focus: usize,
    /// The field that is wrong and why.
    pub error: Option<FormError>,
    /// The choices of the "compared with" field: the nets trained beside the plain one.
    pub others: Vec<Vec<Variant>>,
}

/// What the plain net can be compared with: each other variant of `Variant::ALL` alone, the
/// preset's own set when it has several, or nothing. Built from `Variant::ALL`, so a new
/// variant is offered without a change here.
fn other_choices(preset: &[Variant]) -> Vec<Vec<Variant>> {
    let mut v: Vec<Vec<Variant>> = Variant::ALL
        .iter()
        .filter(|&&x| x != Variant::Plain)
        .map(|&x| vec![x])
        .collect();
    let own: Vec<Variant> = preset
        .iter()
        .copied()
        .filter(|&x| x != Variant::Plain)
        .collect();
    if !v.contains(&own) {
        v.push(own);
    }
    v.push(Vec::new());
    v
}

fn others_label(vs: &[Variant]) -> String {
    if vs.is_empty() {
        return "nothing (plain alone)".into();
    }
    // Several long labels would not fit the row: a set is named by its short names.
    if let [one] = vs {
        return one.label().to_string();
    }
    let names: Vec<&str> = vs.iter().map(|v| v.as_str()).collect();
    names.join(" + ")
}
const ACTIVATIONS: [Activation; 3] = [Activation::Sigmoid, Activation::Relu, Activation::Tanh];
const OPTIMIZERS: [OptimizerKind; 2] = [OptimizerKind::Sgd, OptimizerKind::Adam];

fn choice<T: PartialEq>(all: &[T], v: &T, names: Vec<String>) -> Value {
    Value::Choice(names, all.iter().position(|x| x == v).unwrap_or(0))
}

fn fmt_num(v: f64) -> String {
    let s = format!("{v}");
    if s.len() > 10 {
        format!("{v:.6}")
    } else {
        s
    }
}

impl Form {
    /// The form of preset `preset` on `dataset`; `available` marks datasets found on disk.
    pub fn new(preset: usize, dataset: DatasetName, available: &[DatasetName]) -> Self {
        let p = &PRESETS[preset.min(PRESETS.len() - 1)];
        let c = p.config(dataset);
        let ds_names = DATASETS
            .iter()
            .map(|d| {
                if available.contains(d) {
                    d.as_str().to_string()
                } else {
                    format!("{d} (not found)")
                }
            })
            .collect();
        let others = other_choices(&c.variants);
        let own: Vec<Variant> = c
            .variants
            .iter()
            .copied()
            .filter(|&x| x != Variant::Plain)
            .collect();
        let placement = others.iter().position(|o| *o == own).unwrap_or(0);
        let sigma = c.init.to_text();
        let text = |s: String| Value::Text(s);
        let fields = vec![
            Field {
                key: FieldKey::Dataset,
                label: "dataset",
                value: choice(&DATASETS, &c.dataset, ds_names),
                hint: "d downloads a missing dataset; mnist-5k is built in",
            },
            Field {
                key: FieldKey::Plain,
                label: "plain net",
                value: Value::Choice(
                    vec!["yes".into(), "no".into()],
                    usize::from(!c.variants.contains(&Variant::Plain)),
                ),
                hint: "train the net without BatchNorm as the baseline",
            },
            Field {
                key: FieldKey::Placement,
                label: "compared with",
                value: Value::Choice(others.iter().map(|o| others_label(o)).collect(), placement),
                hint: "the net(s) trained beside the plain one, on the same batches",
            },
            Field {
                key: FieldKey::Activation,
                label: "activation",
                value: choice(
                    &ACTIVATIONS,
                    &c.activation,
                    ACTIVATIONS.iter().map(|a| a.to_string()).collect(),
                ),
                hint: "non-linearity of the hidden layers",
            },
            Field {
                key: FieldKey::Optimizer,
                label: "optimizer",
                value: choice(
                    &OPTIMIZERS,
                    &c.optimizer,
                    OPTIMIZERS.iter().map(|o| o.to_string()).collect(),
                ),
                hint: "plain SGD is the paper's setting",
            },
            Field {
                key: FieldKey::Lr,
                label: "learning rate",
                value: text(fmt_num(c.lr)),
                hint: "a positive number, at most 100",
            },
            Field {
                key: FieldKey::BatchSize,
                label: "batch size",
                value: text(c.batch_size.to_string()),
                hint: "whole number, 1 to 10000",
            },
            Field {
                key: FieldKey::Epochs,
                label: "epochs",
                value: text(fmt_num(c.epochs)),
                hint: "passes over the training set, may be fractional",
            },
            Field {
                key: FieldKey::InitSigma,
                label: "init sigma",
                value: text(sigma),
                hint: "`default` (uniform ±1/√fan_in) or the std of Gaussian weights",
            },
            Field {
                key: FieldKey::Seed,
                label: "seed",
                value: text(c.seed.to_string()),
                hint: "one number reproduces the run",
            },
            Field {
                key: FieldKey::Seeds,
                label: "seeds",
                value: text(c.seeds.to_string()),
                hint: "runs per variant; curves show the mean and the min-max band",
            },
            Field {
                key: FieldKey::ProbeEvery,
                label: "probe interval",
                value: text(c.probe_every.to_string()),
                hint: "steps between internal probes (Internals view); 0 turns them off",
            },
            Field {
                key: FieldKey::Depth,
                label: "hidden layers",
                value: Value::Choice(
                    vec![SHALLOW_DEPTH.to_string(), DEEP_DEPTH.to_string()],
                    usize::from(c.depth == DEEP_DEPTH),
                ),
                hint: "3 is the paper's net, 10 shows vanishing gradients",
            },
        ];
        Self {
            preset,
            base: c,
            fields,
            focus: 0,
            error: None,
            others,
        }
    }

    pub fn field(&self, key: FieldKey) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    pub fn move_focus(&mut self, delta: isize) {
        let n = self.fields.len() as isize;
        self.focus = (self.focus as isize + delta).rem_euclid(n) as usize;
    }

    /// Left/right on a choice field.
    pub fn cycle(&mut self, delta: isize) {
        if let Some(Field {
            value: Value::Choice(c, i),
            ..
        }) = self.fields.get_mut(self.focus)
        {
            let n = c.len() as isize;
            *i = (*i as isize + delta).rem_euclid(n) as usize;
            self.error = None;
        }
    }

    pub fn focused_is_text(&self) -> bool {
        matches!(
            self.fields.get(self.focus).map(|f| &f.value),
            Some(Value::Text(_))
        )
    }

    pub fn type_char(&mut self, ch: char) {
        if let Some(Field {
            value: Value::Text(t),
            ..
        }) = self.fields.get_mut(self.focus)
        {
            if t.len() < 24 && !ch.is_control() {
                t.push(ch);
                self.error = None;
            }
        }
    }

    pub fn backspace(&mut self) {
        if let Some(Field {
            value: Value::Text(t),
            ..
        }) = self.fields.get_mut(self.focus)
        {
            t.pop();
            self.error = None;
        }
    }

    fn text(&self, key: FieldKey) -> String {
        self.field(key)
            .map(|f| f.display().trim().to_string())
            .unwrap_or_default()
    }

    /// The row of `key` on the form, if the form shows it.
    pub fn row_of(&self, key: FieldKey) -> Option<usize> {
        self.fields.iter().position(|f| f.key == key)
    }

    fn choice_index(&self, key: FieldKey) -> usize {
        match self.fields.iter().find(|f| f.key == key).map(|f| &f.value) {
            Some(Value::Choice(_, i)) => *i,
            _ => 0,
        }
    }

    /// The dataset chosen.
    pub fn dataset(&self) -> DatasetName {
        match self.field(FieldKey::Dataset).map(|f| &f.value) {
            Some(Value::Choice(_, i)) => DATASETS[(*i).min(DATASETS.len() - 1)],
            _ => self.base.dataset,
        }
    }

    /// The config the form describes, or the field that is wrong and why.
    pub fn to_config(&self, available: &[DatasetName]) -> Result<RunConfig, FormError> {
        let mut c = self.base.clone();
        let dataset = self.dataset();
        if !available.contains(&dataset) {
            return Err(FormError::at(
                FieldKey::Dataset,
                format!(
                    "{dataset} was not found on this machine: get it with `bnlab data fetch {dataset}` or start bnlab with --data-dir DIR; mnist-5k is always available"
                ),
            ));
        }
        if dataset != c.dataset {
            // Epoch counts are tuned per dataset size; keep the user's number but the preset's split.
            c.dataset = dataset;
            if dataset != DatasetName::Mnist5k {
                c.split.val_size = None;
            }
        }
        let plain = self.choice_index(FieldKey::Plain) == 0;
        let mut variants = Vec::new();
        if plain {
            variants.push(Variant::Plain);
        }
        if let Some(o) = self.others.get(self.choice_index(FieldKey::Placement)) {
            variants.extend(o.iter().copied());
        }
        if variants.is_empty() {
            return Err(FormError::at(
                FieldKey::Placement,
                "nothing to train: keep the plain net or choose a net to compare with".into(),
            ));
        }
        c.variants = variants;
        c.activation = ACTIVATIONS[self.choice_index(FieldKey::Activation).min(2)];
        c.optimizer = OPTIMIZERS[self.choice_index(FieldKey::Optimizer).min(1)];
        c.depth = if self.choice_index(FieldKey::Depth) == 1 {
            DEEP_DEPTH
        } else {
            SHALLOW_DEPTH
        };
        let number = |key, what: &str| -> Result<f64, FormError> {
            let t = self.text(key);
            if t.is_empty() {
                return Err(FormError::at(
                    key,
                    format!("{what} is empty: type a number"),
                ));
            }
            t.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| FormError::at(key, format!("{what}: `{t}` is not a number")))
        };
        let whole = |key, what: &str| -> Result<u64, FormError> {
            let t = self.text(key);
            if t.is_empty() {
                return Err(FormError::at(
                    key,
                    format!("{what} is empty: type a whole number"),
                ));
            }
            t.parse::<u64>()
                .map_err(|_| FormError::at(key, format!("{what}: `{t}` is not a whole number ≥ 0")))
        };
        c.lr = number(FieldKey::Lr, "learning rate")?;
        c.batch_size = whole(FieldKey::BatchSize, "batch size")? as usize;
        c.epochs = number(FieldKey::Epochs, "epochs")?;
        c.steps = None;
        let st = self.text(FieldKey::InitSigma);
        c.init = Init::from_text(&st).ok_or_else(|| {
            FormError::at(
                FieldKey::InitSigma,
                format!("init: `{st}` is none of `default`, a sigma, `glorot` or `he` (`he*2` for a gain)"),
            )
        })?;
        c.seed = whole(FieldKey::Seed, "seed")?;
        c.split.seed = c.seed;
        c.seeds = whole(FieldKey::Seeds, "seeds")? as usize;
        c.probe_every = whole(FieldKey::ProbeEvery, "probe interval")?;
        c.validate().map_err(|e| {
            let key = match e.field {
                Setting::Lr => Some(FieldKey::Lr),
                Setting::BatchSize => Some(FieldKey::BatchSize),
                Setting::Epochs | Setting::Steps => Some(FieldKey::Epochs),
                Setting::InitSigma => Some(FieldKey::InitSigma),
                Setting::Seeds => Some(FieldKey::Seeds),
                Setting::Variants => Some(FieldKey::Placement),
                Setting::Depth => Some(FieldKey::Depth),
                _ => None,
            };
            let label = key
                .and_then(|k| self.field(k))
                .map_or(e.field.key(), |f| f.label);
            FormError {
                field: key,
                message: format!("{label}: {}", e.message),
            }
        })?;
        if let (Some(limit), DatasetName::Mnist5k) = (c.split.train_limit, c.dataset) {
            if c.batch_size > limit {
                return Err(FormError::at(
                    FieldKey::BatchSize,
                    format!(
                        "batch size {} is larger than the {limit} training images",
                        c.batch_size
                    ),
                ));
            }
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [DatasetName; 3] = DATASETS;

    #[test]
    fn untouched_form_gives_the_preset_config() {
        let f = Form::new(0, DatasetName::Mnist5k, &ALL);
        let c = f.to_config(&ALL).unwrap();
        assert_eq!(c, PRESETS[0].config(DatasetName::Mnist5k));
    }

    #[test]
    fn bad_learning_rate_names_the_field() {
        let mut f = Form::new(0, DatasetName::Mnist5k, &ALL);
        f.focus = f.fields.iter().position(|x| x.key == FieldKey::Lr).unwrap();
        f.backspace();
        f.backspace();
        f.backspace();
        f.type_char('x');
        let e = f.to_config(&ALL).unwrap_err();
        assert_eq!(e.field, Some(FieldKey::Lr));
        assert!(e.message.contains("not a number"), "{}", e.message);
    }

    #[test]
    fn one_compared_net_is_named_in_full_and_a_set_by_short_names() {
        assert_eq!(others_label(&[Variant::Bn]), "BN (before act.)");
        assert_eq!(
            others_label(&[Variant::Bn, Variant::BnOnly, Variant::BnFrozen]),
            "bn + bn-only + bn-frozen"
        );
        assert_eq!(others_label(&[]), "nothing (plain alone)");
    }
}
