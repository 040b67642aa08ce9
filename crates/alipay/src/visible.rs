//! Untrusted text made safe to show to a person: what a callback or a response carries is the
//! sender's, and a terminal, a log viewer or a spreadsheet obeys what is in it. CR and LF can
//! start a fake line ("VALID …") or overwrite the real one, ANSI escapes (`ESC[8m`) can hide it,
//! bidi controls (U+202E) can reverse what is read. Every such character is shown as an escape
//! instead (`\r`, `\n`, `\t`, `\u{1b}`, `\u{202e}`), so the text is still all there to read.

use std::borrow::Cow;

/// Characters that change how the text around them is laid out or rendered, without being
/// visible themselves: C0 and C1 controls and DEL, bidi embeddings, overrides, isolates and
/// marks, zero-width characters, line and paragraph separators, the byte-order mark.
pub fn is_hazard(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
        )
}

/// `s` with every [`is_hazard`] character escaped; borrowed when there is none.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_hazard) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if is_hazard(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hazards_are_escaped_and_the_rest_kept() {
        assert!(matches!(visible("路飞学城 total=1.00"), Cow::Borrowed(_)));
        assert_eq!(
            visible("a\r\nVALID\u{1b}[8m\u{202e}x\u{7f}\u{85}\u{200b}\t"),
            "a\\r\\nVALID\\u{1b}[8m\\u{202e}x\\u{7f}\\u{85}\\u{200b}\\t"
        );
        let out = visible("\u{1b}[2K\rVALID");
        assert!(!out.chars().any(is_hazard), "{out}");
    }
}
