//! Human and JSON output. Human output goes to stdout in aligned `label  value` rows; with
//! `--json` each command prints exactly one JSON document (batch verify: JSON lines).

use std::io::Write;

use serde::Serialize;

/// Prints `rows` as two aligned columns.
pub fn rows(rows: &[(&str, String)]) {
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = std::io::stdout().lock();
    for (k, v) in rows {
        // A broken pipe (`| head`) is not worth a panic: stop writing quietly.
        if writeln!(out, "{k:<width$}  {v}").is_err() {
            return;
        }
    }
}

pub fn json<T: Serialize>(value: &T) {
    // Buffered: stdout flushes at every newline, and pretty JSON has one every few bytes (a
    // reconciliation of a million rows is 20 million lines: as many write calls, unbuffered).
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    // Serialising our own plain structs cannot fail; a closed stdout is ignored as above.
    let _ = serde_json::to_writer_pretty(&mut out, value);
    let _ = writeln!(out);
    let _ = out.flush();
}

pub fn line(text: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

/// Warnings go to stderr so they never mix into a link or JSON on stdout.
pub fn warn(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "warning: {text}");
}

/// Shortens long values (signatures, biz_content) for the human view; JSON always has the full text.
pub fn ellipsize(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let head: String = s.chars().take(max.saturating_sub(1)).collect();
    format!("{head}… ({} chars)", s.chars().count())
}
