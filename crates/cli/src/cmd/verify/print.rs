//! The human view of verdicts. Everything that came from the input (origin file names included)
//! goes through [`alipay::visible::visible`]: a field holding CR/LF, ANSI escapes or bidi
//! overrides is shown escaped on the line it belongs to, so it can neither hide the verdict nor
//! print a fake one. The verdict is the first word of its line, never after input text.

use std::io::Write;

use alipay::callback::FieldBreakdown;
use alipay::visible::visible;

use super::judge::{Verdict, kind_name};
use crate::output;

fn facts(v: &Verdict) -> String {
    let mut s = String::new();
    let mut push = |k: &str, x: &str| {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(k);
        s.push('=');
        s.push_str(&visible(x));
    };
    if let Some(r) = &v.response {
        for (k, x) in [
            ("code", &r.business.code),
            ("sub_code", &r.business.sub_code),
            ("sub_msg", &r.business.sub_msg),
        ] {
            if let Some(x) = x {
                push(k, x);
            }
        }
    }
    for (k, x) in [
        ("out_trade_no", &v.out_trade_no),
        ("total_amount", &v.total_amount),
        ("trade_status", &v.trade_status),
        ("trade_no", &v.trade_no),
    ] {
        if let Some(x) = x {
            push(k, x);
        }
    }
    s
}

/// `VERDICT kind origin detail`: the verdict first, then what the input says.
pub fn write_compact(out: &mut impl Write, v: &Verdict) -> std::io::Result<()> {
    let detail = match &v.error {
        Some(e) => {
            let claims = facts(v);
            if claims.is_empty() {
                visible(&e.message).into_owned()
            } else {
                format!("{} [claims {claims}]", visible(&e.message))
            }
        }
        None => match &v.note {
            Some(n) => format!("{} (note: {n})", facts(v)),
            None => facts(v),
        },
    };
    writeln!(
        out,
        "{:<7} {:<8} {:<24} {detail}",
        v.verdict,
        kind_name(v.kind),
        visible(&v.origin),
    )
}

pub fn write_detailed(out: &mut impl Write, v: &Verdict) -> std::io::Result<()> {
    let summary = match &v.error {
        Some(e) => visible(&e.message).into_owned(),
        None => facts(v),
    };
    writeln!(
        out,
        "{:<7} [{}] {} ({}) {summary}",
        v.verdict,
        v.index,
        visible(&v.origin),
        kind_name(v.kind)
    )?;
    if let Some(n) = &v.note {
        writeln!(out, "  note: {n}")?;
    }
    if let Some(r) = &v.response {
        if let Some(k) = &r.key {
            writeln!(out, "  answer {}", visible(k))?;
        }
        let b = &r.business;
        let show = |x: &Option<String>| visible(x.as_deref().unwrap_or("-")).into_owned();
        writeln!(
            out,
            "  business result: code {} ({}), msg {}, sub_code {}, sub_msg {}{}",
            show(&b.code),
            r.meaning,
            show(&b.msg),
            show(&b.sub_code),
            show(&b.sub_msg),
            if v.valid {
                ""
            } else {
                " — as claimed, not verified"
            }
        )?;
        if let Some(sn) = &r.alipay_cert_sn {
            writeln!(out, "  alipay_cert_sn {}", visible(sn))?;
        }
    }
    if let Some(b) = &v.breakdown {
        writeln!(
            out,
            "  kind {}, charset {}{}, sign_type {}{}",
            kind_name(Some(b.kind.into())),
            b.charset,
            if b.charset_declared.is_none() {
                " (assumed)"
            } else {
                ""
            },
            visible(b.sign_type.as_deref().unwrap_or("RSA2")),
            if b.sign_type_defaulted {
                " (assumed)"
            } else {
                ""
            },
        )?;
        write_fields(out, &b.fields)?;
        for n in &b.notes {
            writeln!(out, "  note: {}", visible(n))?;
        }
        if !v.valid {
            writeln!(out, "  signed content: {}", visible(&b.canonical))?;
        }
    }
    for c in &v.checks {
        writeln!(
            out,
            "  check {:<10} expected {:?}, got {:?}: {}",
            c.field,
            visible(&c.expected),
            visible(c.got.as_deref().unwrap_or("")),
            if c.ok { "ok" } else { "MISMATCH" }
        )?;
    }
    writeln!(out)
}

fn write_fields(out: &mut impl Write, fields: &[FieldBreakdown]) -> std::io::Result<()> {
    let names: Vec<String> = fields
        .iter()
        .map(|f| visible(&f.name).into_owned())
        .collect();
    let w = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    writeln!(out, "  {:<w$}  {:<6}  value", "field", "signed")?;
    for (f, name) in fields.iter().zip(&names) {
        let shown = if f.name == "sign" {
            output::ellipsize(&f.decoded, 24)
        } else {
            f.decoded.clone()
        };
        writeln!(
            out,
            "  {name:<w$}  {:<6}  {}",
            if f.signed { "yes" } else { "no" },
            visible(&shown)
        )?;
        // sign and sign_type are plainly "not signed"; their note would only repeat that.
        if let Some(n) = &f.note
            && f.name != "sign"
            && f.name != "sign_type"
        {
            writeln!(out, "  {:<w$}  {:<6}  ({n})", "", "")?;
        }
    }
    Ok(())
}
