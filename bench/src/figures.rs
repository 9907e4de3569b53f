//! What a scenario measures: figures (a label, a unit, an optional target and an optional
//! reference figure to divide by) and the samples that runs record for them.

use std::collections::HashMap;

use crate::stats::Summary;

/// How a figure's value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A rate, with what is counted: `events/s`, `orders/s`.
    PerSecond(&'static str),
    /// Milliseconds.
    Millis,
    /// Mebibytes.
    Mebibytes,
    /// CPU seconds per 1,000 deliveries.
    CpuSecondsPerThousand,
}

impl Unit {
    /// The unit as the table's column shows it.
    pub fn label(self) -> &'static str {
        match self {
            Self::PerSecond(what) => what,
            Self::Millis => "ms",
            Self::Mebibytes => "MiB",
            Self::CpuSecondsPerThousand => "CPU s / 1k deliveries",
        }
    }

    /// A value in this unit, with thousands separators for rates.
    pub fn format(self, value: f64) -> String {
        match self {
            Self::PerSecond(_) => thousands(value.round() as i64),
            Self::Millis => {
                if value < 10.0 {
                    format!("{value:.2}")
                } else {
                    format!("{value:.1}")
                }
            }
            Self::Mebibytes => format!("{value:.1}"),
            Self::CpuSecondsPerThousand => format!("{value:.3}"),
        }
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if value < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A goal the figure is compared with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// Met when the median is at least this.
    AtLeast(f64),
    /// Met when the median is below this.
    Below(f64),
}

impl Target {
    /// Whether `value` meets the target.
    pub fn met_by(self, value: f64) -> bool {
        match self {
            Self::AtLeast(t) => value >= t,
            Self::Below(t) => value < t,
        }
    }

    /// The target as text in `unit`: `≥ 8,000`, `< 20.0`.
    pub fn describe(self, unit: Unit) -> String {
        match self {
            Self::AtLeast(t) => format!("≥ {}", unit.format(t)),
            Self::Below(t) => format!("< {}", unit.format(t)),
        }
    }

    /// `value` against the target: `1.23× ✓` (value ÷ target, met) or `0.50× ✗`.
    pub fn verdict(self, value: f64) -> String {
        let t = match self {
            Self::AtLeast(t) | Self::Below(t) => t,
        };
        let mark = if self.met_by(value) { "✓" } else { "✗" };
        if t == 0.0 {
            return mark.to_owned();
        }
        format!("{:.2}× {mark}", value / t)
    }
}

/// A figure shown relative to another one (fan-out against the HTTP floor divided by 1+K).
#[derive(Debug, Clone, PartialEq)]
pub struct Relative {
    /// The id of the figure divided by.
    pub to: String,
    /// What the reference is divided by first.
    pub divisor: f64,
    /// How the note names the reference: `floor/2`.
    pub label: String,
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureSpec {
    /// Stable key (`fanout.k1.events`), used to record samples and to refer to the figure.
    pub id: String,
    /// What the row says.
    pub label: String,
    /// Its unit.
    pub unit: Unit,
    /// The goal, if there is one.
    pub target: Option<Target>,
    /// The reference it is shown against, if any.
    pub relative: Option<Relative>,
}

impl FigureSpec {
    /// A figure with no target and no reference.
    pub fn new(id: impl Into<String>, label: impl Into<String>, unit: Unit) -> Self {
        Self {
            id: id.into(),
            label: label.into(),
            unit,
            target: None,
            relative: None,
        }
    }

    /// The same figure with a target.
    #[must_use]
    pub fn with_target(mut self, target: Target) -> Self {
        self.target = Some(target);
        self
    }

    /// The same figure shown as a share of `to / divisor`.
    #[must_use]
    pub fn relative_to(mut self, to: &str, divisor: f64, label: impl Into<String>) -> Self {
        self.relative = Some(Relative {
            to: to.to_owned(),
            divisor,
            label: label.into(),
        });
        self
    }
}

/// Every figure of a bench run with the samples recorded so far, in the order they were
/// declared, plus the correctness checks the runs made.
#[derive(Debug, Default, Clone)]
pub struct Results {
    specs: Vec<FigureSpec>,
    samples: HashMap<String, Vec<f64>>,
    /// One line per check (`fan-out K=1 run 1: 40,000 delivered, 0 missing`).
    pub checks: Vec<String>,
    /// Checks that failed (events missing, a scenario that could not run).
    pub failures: Vec<String>,
}

impl Results {
    /// Declares a figure (again is harmless); rows appear in declaration order.
    pub fn declare(&mut self, spec: FigureSpec) {
        if !self.specs.iter().any(|s| s.id == spec.id) {
            self.specs.push(spec);
        }
    }

    /// Records one run's value of figure `id`.
    pub fn record(&mut self, id: &str, value: f64) {
        self.samples.entry(id.to_owned()).or_default().push(value);
    }

    /// The samples of `id` so far.
    pub fn samples(&self, id: &str) -> &[f64] {
        self.samples.get(id).map_or(&[], Vec::as_slice)
    }

    /// The summary of `id` so far.
    pub fn summary(&self, id: &str) -> Option<Summary> {
        Summary::of(self.samples(id))
    }

    /// The declared figures, in order.
    pub fn specs(&self) -> &[FigureSpec] {
        &self.specs
    }
}
