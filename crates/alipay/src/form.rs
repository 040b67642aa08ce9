//! `application/x-www-form-urlencoded` decoding for what Alipay sends us (return URLs and notify
//! bodies), strict enough to verify signatures over: `+` is a space, every `%XX` is decoded exactly
//! once, pairs keep their order and duplicates survive (the caller rejects them), and the bytes are
//! decoded with the `charset` parameter's encoding (UTF-8, or GBK/GB18030 for some notifies).
//!
//! Lenient parsers (`url::form_urlencoded`, Python's `parse_qs`) replace bad escapes and bad bytes
//! silently; a verifier must not, because a silently "repaired" value is not the value Alipay signed
//! and the tester would only see an unexplained signature mismatch.

use std::fmt;

use encoding_rs::{Encoding, GB18030, GBK, UTF_8};

/// The charsets Alipay uses for callbacks. Anything else is refused rather than guessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Charset {
    #[serde(rename = "utf-8")]
    Utf8,
    /// `gbk` and `gb2312` (GB2312 is a subset of GBK, and Alipay's `gb2312` pages send GBK bytes).
    #[serde(rename = "gbk")]
    Gbk,
    #[serde(rename = "gb18030")]
    Gb18030,
}

impl Charset {
    /// Maps a `charset` parameter value; case-insensitive as HTTP charsets are.
    pub fn from_label(label: &str) -> Option<Charset> {
        match label.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Some(Charset::Utf8),
            "gbk" | "gb2312" | "gb_2312" | "cp936" => Some(Charset::Gbk),
            "gb18030" => Some(Charset::Gb18030),
            _ => None,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Charset::Utf8 => "utf-8",
            Charset::Gbk => "gbk",
            Charset::Gb18030 => "gb18030",
        }
    }

    pub(crate) fn encoding(&self) -> &'static Encoding {
        match self {
            Charset::Utf8 => UTF_8,
            Charset::Gbk => GBK,
            Charset::Gb18030 => GB18030,
        }
    }

    /// The string as bytes in this charset, or `None` when it holds a character the charset
    /// cannot represent (then nobody can have signed it in this charset).
    pub(crate) fn encode(&self, s: &str) -> Option<Vec<u8>> {
        if *self == Charset::Utf8 {
            return Some(s.as_bytes().to_vec());
        }
        let (bytes, _, had_errors) = self.encoding().encode(s);
        (!had_errors).then(|| bytes.into_owned())
    }
}

impl fmt::Display for Charset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One `key=value` pair: decoded, and as it appeared in the input (still encoded).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FormField {
    pub key: String,
    pub value: String,
    pub raw_key: String,
    pub raw_value: String,
}

/// A decoded form, pairs in input order, duplicates kept.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Form {
    pub fields: Vec<FormField>,
    pub charset: Charset,
    /// The `charset` value as sent; `None` when absent (UTF-8 assumed, as Alipay does).
    pub charset_declared: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error(
        "the input is empty: paste the whole return URL, its query string (after '?'), or the notify body"
    )]
    Empty,
    #[error(
        "this is a URL without a query string: paste the whole address Alipay redirected to, including everything after '?'"
    )]
    UrlWithoutQuery,
    #[error(
        "not form data ({0}): expected key=value pairs joined by '&', as in a return URL or notify body"
    )]
    NotAForm(String),
    #[error(
        "invalid %-escape {snippet:?} in {field}: '%' must be followed by two hex digits; the input was cut or edited by hand"
    )]
    BadPercent { field: String, snippet: String },
    #[error("unsupported charset {0:?}: Alipay sends utf-8 or gbk (gb2312, gb18030 accepted too)")]
    UnknownCharset(String),
    #[error(
        "the charset parameter appears more than once with different values ({0}): refusing to guess the encoding"
    )]
    ConflictingCharset(String),
    #[error(
        "the value of {field} is not valid {charset} after %-decoding: the charset parameter does not match how the values were encoded"
    )]
    BadEncoding { field: String, charset: Charset },
    #[error("the input was mangled by an HTML renderer ({found}): {fix}")]
    HtmlMangled { found: String, fix: String },
}

impl FormError {
    /// A stable machine-readable name for the failure (`paydesk verify --json`'s `error.code`,
    /// also what [`crate::CallbackError::code`] reports for a form that does not decode).
    pub fn code(&self) -> &'static str {
        match self {
            FormError::Empty => "empty",
            FormError::UrlWithoutQuery => "url_without_query",
            FormError::NotAForm(_) => "not_a_form",
            FormError::BadPercent { .. } => "bad_percent_escape",
            FormError::UnknownCharset(_) => "unknown_charset",
            FormError::ConflictingCharset(_) => "conflicting_charset",
            FormError::BadEncoding { .. } => "bad_encoding",
            FormError::HtmlMangled { .. } => "html_mangled",
        }
    }
}

/// How `+` and `%XX` are treated. Only [`Decoding::Form`] is used to verify; the others replay the
/// usual mistakes so that a failed verification can say which mistake was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decoding {
    /// The form rules: `+` is a space, `%XX` decoded once.
    Form,
    /// `%XX` decoded once but `+` kept (what a plain percent-decoder does).
    PlusKept,
    /// Nothing decoded: the input had already been decoded once before it reached us.
    AlreadyDecoded,
    /// Decoded twice: the input had been encoded twice.
    Twice,
}

/// The form part of a pasted input: the query of a whole URL (fragment dropped), a bare query
/// (`?` optional) or a notify body, trimmed.
pub fn form_part(input: &str) -> Result<&str, FormError> {
    let t = input.trim();
    if t.is_empty() {
        return Err(FormError::Empty);
    }
    match t.find('?') {
        // A URL or `location.search`: what precedes '?' is a path, never a pair.
        Some(q) if is_url_prefix(&t[..q]) => {
            let rest = &t[q + 1..];
            // The fragment follows the query; a '#' before '?' (hash-mode SPA routes such as
            // `/#/alipay?…`) was already skipped with the prefix.
            let rest = rest.split_once('#').map_or(rest, |(q, _)| q).trim();
            if rest.is_empty() {
                return Err(FormError::UrlWithoutQuery);
            }
            Ok(rest)
        }
        _ => {
            if looks_like_url(t) {
                return Err(FormError::UrlWithoutQuery);
            }
            Ok(t)
        }
    }
}

/// What precedes '?' in a URL or `location.search` (a path, or nothing), as opposed to the first
/// pairs of a body whose value happens to contain '?'.
fn is_url_prefix(prefix: &str) -> bool {
    let lower = prefix.get(..8).unwrap_or(prefix).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://") || !prefix.contains(['=', '&'])
}

fn looks_like_url(t: &str) -> bool {
    let lower = t.get(..8).unwrap_or(t).to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://")) && !t.contains('=')
}

/// Decodes pasted text (a URL, a query or a notify body). Characters typed literally (not
/// %-escaped) are taken as the text they are, whatever the charset.
pub fn parse_form(input: &str) -> Result<Form, FormError> {
    parse_form_as(input, Decoding::Form)
}

/// Decodes a notify body as received on the wire: every byte, escaped or not, is in the charset.
pub fn parse_form_bytes(body: &[u8]) -> Result<Form, FormError> {
    let body = body.trim_ascii();
    if body.is_empty() {
        return Err(FormError::Empty);
    }
    match std::str::from_utf8(body) {
        // The common case (ASCII, or UTF-8 text) behaves exactly like pasted text.
        Ok(s) => parse_form(s),
        Err(_) => decode_pairs(body, Decoding::Form, false),
    }
}

pub(crate) fn parse_form_as(input: &str, mode: Decoding) -> Result<Form, FormError> {
    let part = form_part(input)?;
    check_html_mangling(part)?;
    decode_pairs(part.as_bytes(), mode, true)
}

/// `&times` and `&not` are HTML entities that browsers expand even without ';' in text, so a
/// return URL copied from a rendered page (or from a document such as the platform's own notes)
/// has `×tamp=` and `¬ify_…=` in it. Say so, instead of failing on a garbled `seller_id`.
fn check_html_mangling(part: &str) -> Result<(), FormError> {
    for (found, entity, key) in [
        ("×tamp=", "&times", "&timestamp="),
        ("¬ify_", "&not", "&notify_"),
    ] {
        if part.contains(found) {
            return Err(FormError::HtmlMangled {
                found: found.to_string(),
                fix: format!(
                    "the '{entity}' of '{key}' was shown as an HTML entity; copy the URL from the address bar or a log, or replace '{found}' with '{key}'",
                ),
            });
        }
    }
    if part.split('&').skip(1).any(|p| p.starts_with("amp;")) {
        return Err(FormError::HtmlMangled {
            found: "&amp;".to_string(),
            fix: "the '&' separators are HTML-escaped as '&amp;' (copied from HTML source); replace '&amp;' with '&'".to_string(),
        });
    }
    Ok(())
}

fn decode_pairs(raw: &[u8], mode: Decoding, text_mode: bool) -> Result<Form, FormError> {
    let pieces: Vec<(&[u8], &[u8])> = raw
        .split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.iter().position(|&b| b == b'=') {
            Some(i) => (&p[..i], &p[i + 1..]),
            None => (p, &p[p.len()..]),
        })
        .collect();
    if pieces.is_empty() {
        return Err(FormError::NotAForm("no key=value pairs".to_string()));
    }
    if !raw.contains(&b'=') {
        return Err(FormError::NotAForm(format!(
            "no '=' in {:?}",
            preview(&String::from_utf8_lossy(raw))
        )));
    }
    if pieces.iter().any(|(k, _)| k.is_empty()) {
        return Err(FormError::NotAForm(
            "a pair has no name before '='".to_string(),
        ));
    }
    let (charset, charset_declared) = find_charset(&pieces)?;

    let mut fields = Vec::with_capacity(pieces.len());
    for (rk, rv) in pieces {
        let raw_key = String::from_utf8_lossy(rk).into_owned();
        let key = decode_component(rk, mode, charset, text_mode, &raw_key)?;
        let value = decode_component(rv, mode, charset, text_mode, &key)?;
        fields.push(FormField {
            key,
            value,
            raw_key,
            raw_value: String::from_utf8_lossy(rv).into_owned(),
        });
    }
    Ok(Form {
        fields,
        charset,
        charset_declared,
    })
}

/// The charset must be known before any value is decoded; its value is ASCII in every charset,
/// so it can be read from the raw bytes.
fn find_charset(pieces: &[(&[u8], &[u8])]) -> Result<(Charset, Option<String>), FormError> {
    let mut declared: Option<String> = None;
    for (k, v) in pieces {
        let key = percent_bytes(k, true).unwrap_or_default();
        if key != b"charset" {
            continue;
        }
        let bytes = percent_bytes(v, true).map_err(|snippet| FormError::BadPercent {
            field: "charset".to_string(),
            snippet,
        })?;
        let label = String::from_utf8_lossy(&bytes).into_owned();
        match &declared {
            Some(prev) if !prev.eq_ignore_ascii_case(&label) => {
                return Err(FormError::ConflictingCharset(format!(
                    "{prev:?} and {label:?}"
                )));
            }
            _ => declared = Some(label),
        }
    }
    match declared {
        None => Ok((Charset::Utf8, None)),
        // An empty charset is dropped from the signature like any empty value; Alipay then means
        // its default, UTF-8.
        Some(l) if l.trim().is_empty() => Ok((Charset::Utf8, Some(l))),
        Some(l) => match Charset::from_label(&l) {
            Some(c) => Ok((c, Some(l))),
            None => Err(FormError::UnknownCharset(l)),
        },
    }
}

/// `%XX` and `+` → bytes; the error carries the offending snippet.
fn percent_bytes(raw: &[u8], plus_space: bool) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'%' => {
                let hex = raw.get(i + 1..i + 3).and_then(|h| {
                    let h = std::str::from_utf8(h).ok()?;
                    // from_str_radix accepts a leading '+', which is not a hex digit here.
                    if !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return None;
                    }
                    u8::from_str_radix(h, 16).ok()
                });
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        let end = (i + 3).min(raw.len());
                        return Err(String::from_utf8_lossy(&raw[i..end]).into_owned());
                    }
                }
            }
            b'+' if plus_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Ok(out)
}

fn decode_component(
    raw: &[u8],
    mode: Decoding,
    charset: Charset,
    text_mode: bool,
    field: &str,
) -> Result<String, FormError> {
    match mode {
        Decoding::AlreadyDecoded => Ok(String::from_utf8_lossy(raw).into_owned()),
        Decoding::Form => decode_once(raw, true, charset, text_mode, field),
        Decoding::PlusKept => decode_once(raw, false, charset, text_mode, field),
        Decoding::Twice => {
            let once = decode_once(raw, true, charset, text_mode, field)?;
            decode_once(once.as_bytes(), true, charset, true, field)
        }
    }
}

fn decode_once(
    raw: &[u8],
    plus_space: bool,
    charset: Charset,
    text_mode: bool,
    field: &str,
) -> Result<String, FormError> {
    let bad_encoding = || FormError::BadEncoding {
        field: field.to_string(),
        charset,
    };
    let bad_percent = |snippet| FormError::BadPercent {
        field: field.to_string(),
        snippet,
    };
    // In pasted text with a non-UTF-8 charset, a literal non-ASCII character is already text,
    // while %-escaped bytes are charset bytes: decode the escaped runs separately.
    if text_mode && charset != Charset::Utf8 && !raw.is_ascii() {
        let text = std::str::from_utf8(raw).map_err(|_| bad_encoding())?;
        let mut out = String::with_capacity(raw.len());
        let mut run_start = 0;
        for (i, ch) in text.char_indices() {
            if !ch.is_ascii() {
                let bytes = percent_bytes(&raw[run_start..i], plus_space).map_err(bad_percent)?;
                out.push_str(&decode_bytes(&bytes, charset).ok_or_else(bad_encoding)?);
                out.push(ch);
                run_start = i + ch.len_utf8();
            }
        }
        let bytes = percent_bytes(&raw[run_start..], plus_space).map_err(bad_percent)?;
        out.push_str(&decode_bytes(&bytes, charset).ok_or_else(bad_encoding)?);
        return Ok(out);
    }
    let bytes = percent_bytes(raw, plus_space).map_err(bad_percent)?;
    decode_bytes(&bytes, charset).ok_or_else(bad_encoding)
}

fn decode_bytes(bytes: &[u8], charset: Charset) -> Option<String> {
    if charset == Charset::Utf8 {
        return String::from_utf8(bytes.to_vec()).ok();
    }
    charset
        .encoding()
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|c| c.into_owned())
}

fn preview(s: &str) -> String {
    let mut p: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        p.push('…');
    }
    p
}

/// Form-encodes `value` as bytes in `charset` (UTF-8 when the charset cannot represent it):
/// what a notify sender does. Used to build test inputs and by the simulator.
pub fn encode_component(value: &str, charset: Charset) -> String {
    let bytes = charset
        .encode(value)
        .unwrap_or_else(|| value.as_bytes().to_vec());
    form_urlencoded::byte_serialize(&bytes).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(f: &Form) -> Vec<(&str, &str)> {
        f.fields
            .iter()
            .map(|x| (x.key.as_str(), x.value.as_str()))
            .collect()
    }

    #[test]
    fn plus_is_space_and_percent_decoded_once() {
        let f = parse_form("timestamp=2022-07-12+12%3A50%3A02&p=a%253Db&s=C%2B%2B").unwrap();
        assert_eq!(
            pairs(&f),
            [
                ("timestamp", "2022-07-12 12:50:02"),
                ("p", "a%3Db"),
                ("s", "C++")
            ]
        );
        assert_eq!(f.charset, Charset::Utf8);
        assert_eq!(f.charset_declared, None);
        assert_eq!(f.fields[0].raw_value, "2022-07-12+12%3A50%3A02");
    }

    #[test]
    fn url_query_fragment_and_whitespace() {
        let f = parse_form("  https://h:3000/alipay?a=1&b=2#top\r\n").unwrap();
        assert_eq!(pairs(&f), [("a", "1"), ("b", "2")]);
        let f = parse_form("?a=1").unwrap();
        assert_eq!(pairs(&f), [("a", "1")]);
        // A path with '=' in it is still a URL.
        let f = parse_form("https://h/p;v=1/alipay?a=1").unwrap();
        assert_eq!(pairs(&f), [("a", "1")]);
        // Hash-mode SPA route: the query sits after the '#'.
        let f = parse_form("http://h/#/alipay?a=1&b=x").unwrap();
        assert_eq!(pairs(&f), [("a", "1"), ("b", "x")]);
        // A '?' inside a bare body's value is data, not a URL separator.
        let f = parse_form("a=what?&b=2").unwrap();
        assert_eq!(pairs(&f), [("a", "what?"), ("b", "2")]);
        assert_eq!(
            parse_form("https://h/alipay"),
            Err(FormError::UrlWithoutQuery)
        );
        assert_eq!(
            parse_form("https://h/alipay?#x"),
            Err(FormError::UrlWithoutQuery)
        );
        assert_eq!(parse_form(" \n "), Err(FormError::Empty));
    }

    #[test]
    fn order_and_duplicates_are_kept() {
        let f = parse_form("b=1&a=2&b=3&flag").unwrap();
        assert_eq!(
            pairs(&f),
            [("b", "1"), ("a", "2"), ("b", "3"), ("flag", "")]
        );
    }

    #[test]
    fn not_a_form() {
        assert!(matches!(
            parse_form("{\"a\":1}"),
            Err(FormError::NotAForm(_))
        ));
        assert!(matches!(parse_form("=x&a=1"), Err(FormError::NotAForm(_))));
        assert!(matches!(parse_form("&&&"), Err(FormError::NotAForm(_))));
    }

    #[test]
    fn bad_percent_escapes_name_the_field() {
        for bad in ["a=%zz", "a=%4", "a=50%", "a=%+1"] {
            match parse_form(bad) {
                Err(FormError::BadPercent { field, .. }) => assert_eq!(field, "a"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn gbk_values_by_charset() {
        let subject = encode_component("路飞学城·课程", Charset::Gbk);
        // 路 is C2 B7 in GBK (E8 B7 AF in UTF-8).
        assert!(subject.starts_with("%C2%B7"), "{subject}");
        let body = format!("charset=gbk&subject={subject}");
        let f = parse_form(&body).unwrap();
        assert_eq!(f.charset, Charset::Gbk);
        assert_eq!(pairs(&f)[1], ("subject", "路飞学城·课程"));
        // The same bytes read as UTF-8 are invalid: a distinct error, not replacement characters.
        let wrong = format!("charset=utf-8&subject={subject}");
        assert_eq!(
            parse_form(&wrong),
            Err(FormError::BadEncoding {
                field: "subject".into(),
                charset: Charset::Utf8
            })
        );
        // Raw GBK bytes on the wire (not escaped) decode too.
        let mut raw = b"charset=GB2312&subject=".to_vec();
        raw.extend_from_slice(&Charset::Gbk.encode("中文").unwrap());
        let f = parse_form_bytes(&raw).unwrap();
        assert_eq!(pairs(&f)[1], ("subject", "中文"));
        // Pasted text with literal CJK and a gbk charset: the literal text stays as typed.
        let f = parse_form(&format!(
            "charset=gbk&s=中{}",
            encode_component("文", Charset::Gbk)
        ))
        .unwrap();
        assert_eq!(pairs(&f)[1], ("s", "中文"));
    }

    #[test]
    fn charset_problems_are_distinct() {
        assert_eq!(
            parse_form("charset=utf-16&a=1"),
            Err(FormError::UnknownCharset("utf-16".into()))
        );
        assert!(matches!(
            parse_form("charset=gbk&a=1&charset=utf-8"),
            Err(FormError::ConflictingCharset(_))
        ));
        assert_eq!(
            parse_form("charset=UTF-8&a=1").unwrap().charset,
            Charset::Utf8
        );
        assert_eq!(
            parse_form("charset=GB18030&a=1").unwrap().charset,
            Charset::Gb18030
        );
    }

    #[test]
    fn html_entity_damage_is_explained() {
        let e = parse_form("seller_id=2088×tamp=2022-07-12+12%3A50%3A02").unwrap_err();
        assert!(matches!(e, FormError::HtmlMangled { .. }), "{e:?}");
        assert!(e.to_string().contains("&timestamp="));
        assert!(matches!(
            parse_form("a=1¬ify_id=2"),
            Err(FormError::HtmlMangled { .. })
        ));
        assert!(matches!(
            parse_form("a=1&amp;b=2"),
            Err(FormError::HtmlMangled { .. })
        ));
    }

    #[test]
    fn replay_modes() {
        let raw = "s=C++&p=a%253Db";
        let kept = parse_form_as(raw, Decoding::PlusKept).unwrap();
        assert_eq!(pairs(&kept), [("s", "C++"), ("p", "a%3Db")]);
        let none = parse_form_as(raw, Decoding::AlreadyDecoded).unwrap();
        assert_eq!(pairs(&none), [("s", "C++"), ("p", "a%253Db")]);
        let twice = parse_form_as(raw, Decoding::Twice).unwrap();
        assert_eq!(pairs(&twice), [("s", "C  "), ("p", "a=b")]);
    }
}
