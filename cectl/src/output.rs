//! How data is printed: a table for people, JSON or NDJSON for scripts, coloured only where
//! colour is wanted (`--color`, `NO_COLOR`, a terminal). Everything here writes to stdout;
//! diagnostics go to stderr through [`warn`].

use std::io::IsTerminal;
use std::io::Write as _;

use anstyle::{AnsiColor, Style};
use serde_json::Value;

use crate::exit::Failure;

/// The `-o` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned text for people
    Table,
    /// JSON documents, pretty-printed
    Json,
    /// One compact JSON document per line
    Ndjson,
    /// A ready-to-paste curl command line (`cectl build` only)
    Curl,
}

/// The `--color` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    /// On a terminal unless `NO_COLOR` is set
    Auto,
    /// Always, even into a pipe
    Always,
    /// Never
    Never,
}

impl ColorWhen {
    /// Makes every later write through `anstream` follow this choice.
    pub fn apply(self) {
        let choice = match self {
            Self::Auto => anstream::ColorChoice::Auto,
            Self::Always => anstream::ColorChoice::Always,
            Self::Never => anstream::ColorChoice::Never,
        };
        choice.write_global();
    }
}

/// The output format a command uses, and whether it was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output {
    /// The format in force: the one asked for, or table on a terminal and JSON otherwise.
    pub format: Format,
    /// Whether `-o` was given.
    pub explicit: bool,
}

impl Output {
    /// The format asked for, or table on a terminal and JSON otherwise.
    pub fn resolve(asked: Option<Format>) -> Self {
        let format = asked.unwrap_or_else(|| {
            if std::io::stdout().is_terminal() {
                Format::Table
            } else {
                Format::Json
            }
        });
        Self {
            format,
            explicit: asked.is_some(),
        }
    }

    /// The format, refusing `-o curl`, which only `cectl build` prints.
    ///
    /// # Errors
    /// A usage [`Failure`] for `curl`.
    pub fn data_format(self) -> Result<Format, Failure> {
        if self.format == Format::Curl {
            return Err(Failure::usage(
                "-o curl is only for `cectl build`; use table, json or ndjson",
            ));
        }
        Ok(self.format)
    }

    /// Prints one document in this format: pretty JSON for table and json, one line for ndjson.
    pub fn print_value(self, value: &Value) {
        match self.format {
            Format::Ndjson => print_line(value),
            _ => print_json(value),
        }
    }

    /// Prints a list: a JSON array for json, one line per item for ndjson; `table` for table.
    pub fn print_list(self, items: &[Value], table: impl FnOnce(&[Value]) -> Table) {
        match self.format {
            Format::Ndjson => items.iter().for_each(print_line),
            Format::Json | Format::Curl => print_json(&Value::Array(items.to_vec())),
            Format::Table => table(items).print(),
        }
    }
}

/// Bold, for table headers and labels.
pub const BOLD: Style = Style::new().bold();
/// Green, for good verdicts.
pub const GOOD: Style = AnsiColor::Green.on_default();
/// Red, for bad verdicts.
pub const BAD: Style = AnsiColor::Red.on_default().bold();
/// Dimmed, for secondary text.
pub const DIM: Style = Style::new().dimmed();
const KEY: Style = AnsiColor::Blue.on_default().bold();
const STRING: Style = AnsiColor::Green.on_default();
const NUMBER: Style = AnsiColor::Cyan.on_default();
const LITERAL: Style = AnsiColor::Yellow.on_default();

/// `text` in `style` (plain when colour is off: `anstream` strips it).
pub fn paint(style: Style, text: impl std::fmt::Display) -> String {
    format!("{style}{text}{style:#}")
}

/// Prints `value` as pretty JSON on stdout, coloured where colour is on.
pub fn print_json(value: &Value) {
    let mut out = String::new();
    colour_json(value, 0, &mut out);
    anstream::println!("{out}");
}

/// Prints `value` as one line of JSON on stdout.
pub fn print_line(value: &Value) {
    let mut stdout = anstream::stdout();
    let _ = writeln!(stdout, "{value}");
}

/// A line on stderr, prefixed `cectl: `.
pub fn warn(message: impl std::fmt::Display) {
    anstream::eprintln!("cectl: {message}");
}

fn colour_json(value: &Value, indent: usize, out: &mut String) {
    let pad = |n: usize| "  ".repeat(n);
    match value {
        Value::Null | Value::Bool(_) => out.push_str(&paint(LITERAL, value)),
        Value::Number(_) => out.push_str(&paint(NUMBER, value)),
        Value::String(_) => out.push_str(&paint(STRING, value)),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Array(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                out.push_str(&pad(indent + 1));
                colour_json(item, indent + 1, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            out.push_str(&pad(indent));
            out.push(']');
        }
        Value::Object(map) => {
            out.push_str("{\n");
            for (i, (key, item)) in map.iter().enumerate() {
                out.push_str(&pad(indent + 1));
                out.push_str(&paint(KEY, Value::from(key.as_str())));
                out.push_str(": ");
                colour_json(item, indent + 1, out);
                out.push_str(if i + 1 < map.len() { ",\n" } else { "\n" });
            }
            out.push_str(&pad(indent));
            out.push('}');
        }
    }
}

/// An aligned text table: a bold header row, then rows, columns padded to their widest cell.
#[derive(Debug, Default)]
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers.
    pub fn new(headers: &[&'static str]) -> Self {
        Self {
            headers: headers.to_vec(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (missing cells are blank).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as lines, without colour (what [`Table::print`] prints, unstyled).
    pub fn lines(&self) -> Vec<String> {
        self.render(false)
    }

    /// Prints the table on stdout.
    pub fn print(&self) {
        for line in self.render(true) {
            anstream::println!("{line}");
        }
    }

    fn render(&self, styled: bool) -> Vec<String> {
        let width = |text: &str| text.chars().count();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                if i < widths.len() {
                    widths[i] = widths[i].max(width(cell));
                }
            }
        }
        let line = |cells: Vec<&str>| {
            let last = cells.len().saturating_sub(1);
            let mut text = String::new();
            for (i, cell) in cells.into_iter().enumerate() {
                text.push_str(cell);
                if i < last {
                    text.push_str(&" ".repeat(widths[i] - width(cell) + 2));
                }
            }
            text
        };
        let header = line(self.headers.clone());
        let mut out = vec![if styled { paint(BOLD, header) } else { header }];
        for row in &self.rows {
            let cells = (0..self.headers.len())
                .map(|i| row.get(i).map_or("", String::as_str))
                .collect();
            out.push(line(cells));
        }
        out
    }
}

/// A JSON value as a table cell: strings bare, `null` blank, anything else compact JSON.
pub fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// An object as `field: value` lines (labels bold and aligned), nested objects one level
/// deep as indented lines, anything else as compact JSON; not an object: pretty JSON.
pub fn print_fields(value: &Value) {
    let Some(map) = value.as_object() else {
        return print_json(value);
    };
    let width = map.keys().map(|k| k.chars().count()).max().unwrap_or(0);
    for (key, value) in map {
        let pad = " ".repeat(width - key.chars().count());
        match value {
            Value::Object(inner) if !inner.is_empty() => {
                anstream::println!("{}:", paint(BOLD, key));
                let inner_width = inner.keys().map(|k| k.chars().count()).max().unwrap_or(0);
                for (k, v) in inner {
                    let pad = " ".repeat(inner_width - k.chars().count());
                    anstream::println!("  {k}:{pad} {}", cell(Some(v)));
                }
            }
            _ => anstream::println!("{}:{pad} {}", paint(BOLD, key), cell(Some(value))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_padded_to_their_widest_cell() {
        let mut table = Table::new(&["ID", "SINK"]);
        table.row(vec!["a".into(), "http://x".into()]);
        table.row(vec!["long-id".into(), "h".into()]);
        assert_eq!(
            table.lines(),
            ["ID       SINK", "a        http://x", "long-id  h"]
        );
    }

    #[test]
    fn coloured_json_is_pretty_json_once_stripped() {
        let value = serde_json::json!({"a": [1, true, null, "x"], "b": {}, "c": []});
        let mut out = String::new();
        colour_json(&value, 0, &mut out);
        let plain: String = anstream::adapter::strip_str(&out).to_string();
        assert_eq!(
            plain,
            serde_json::to_string_pretty(&value).expect("serialises")
        );
    }
}
