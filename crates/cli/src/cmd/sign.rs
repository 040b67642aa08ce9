//! `paydesk sign`: the canonical content of a parameter set and its signature, to compare with
//! what another SDK or the gateway's `isv.invalid-signature` sub_msg shows.

use std::path::PathBuf;

use alipay::sign::{REQUEST_EXCLUDE, canonical_content};
use alipay::{Params, PrivateKey, SignType};
use clap::Args;
use serde::Serialize;

use crate::cmd::{parse_sign_type, read_arg_text};
use crate::ctx::Ctx;
use crate::exit::{CmdResult, Exit, Failure};
use crate::output;
use crate::profile::Overrides;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  paydesk sign --private-key app_private_key.pem 'app_id=2021&method=alipay.trade.query&sign_type=RSA2'
  paydesk sign --private-key app_private_key.pem '{\"app_id\":\"2021\",\"biz_content\":{\"out_trade_no\":\"A1\"}}'
  paydesk sign --private-key app_private_key.pem @params.txt")]
pub struct SignArgs {
    /// The app private key [default: the profile's app_private_key; env PAYDESK_APP_PRIVATE_KEY]
    #[arg(long, value_name = "FILE")]
    private_key: Option<PathBuf>,
    /// RSA2 (SHA256withRSA) or the legacy RSA (SHA1withRSA) [default: the params' sign_type,
    /// else the profile's, else RSA2]
    #[arg(long, value_name = "TYPE", value_parser = parse_sign_type)]
    sign_type: Option<SignType>,
    /// The parameters: a query string (`a=1&b=2`, form-encoded; a URL's query is taken), a JSON
    /// object (numbers and nested objects such as biz_content are signed as the exact JSON text
    /// given), `@FILE`, or `-` for stdin. Everything but `sign` is signed, empty values dropped,
    /// keys sorted, values raw.
    #[arg(value_name = "PARAMS")]
    params: String,
}

#[derive(Serialize)]
struct Signed {
    sign_type: SignType,
    /// The exact string that was signed.
    content: String,
    sign: String,
    /// The parameters with `sign`, form-encoded: ready to append after `?`.
    query: String,
}

pub fn run(ctx: &Ctx, a: SignArgs) -> CmdResult {
    let text = read_arg_text(&a.params)?;
    let params = parse_params(&text)?;
    let r = ctx.resolve(&Overrides {
        app_private_key: a.private_key.clone(),
        ..Overrides::default()
    })?;
    let key_path = r.require_path("app_private_key", &r.profile.app_private_key)?;
    let in_params = match params.get("sign_type").filter(|s| !s.is_empty()) {
        Some(s) => Some(
            s.parse::<SignType>()
                .map_err(|e| Failure::usage(format!("PARAMS: {e}")))?,
        ),
        None => None,
    };
    let sign_type = match (a.sign_type, in_params) {
        (Some(f), Some(p)) if f != p => {
            return Err(Failure::usage(format!(
                "PARAMS say sign_type={p} but --sign-type is {f}: sign_type is itself signed, make them agree"
            )));
        }
        (Some(f), _) => f,
        (None, Some(p)) => p,
        (None, None) => match &r.profile.sign_type {
            Some(s) => s
                .parse()
                .map_err(|e| Failure::usage(format!("profile {:?}: {e}", r.name)))?,
            None => SignType::Rsa2,
        },
    };
    let key = PrivateKey::from_file(key_path)?;
    key.check_for(sign_type, &key_path.display().to_string())?;
    let content = canonical_content(params.iter(), REQUEST_EXCLUDE);
    let sign = key
        .sign(content.as_bytes(), sign_type)
        .map_err(|e| Failure::input(e.to_string()))?;
    let mut with_sign = params.clone();
    with_sign.set("sign", sign.clone());
    let out = Signed {
        sign_type,
        content,
        sign,
        query: with_sign.to_query(),
    };
    if ctx.json {
        output::json(&out);
    } else {
        output::rows(&[
            ("sign_type", out.sign_type.to_string()),
            ("content", out.content.clone()),
            ("sign", out.sign.clone()),
        ]);
    }
    Ok(Exit::Ok)
}

/// A query string or a JSON object into parameters. Duplicate keys are refused: which one the
/// gateway would take is exactly the kind of ambiguity that breaks signatures.
pub fn parse_params(text: &str) -> Result<Params, Failure> {
    let t = text.trim();
    if t.is_empty() {
        return Err(Failure::usage(
            "PARAMS is empty: give a query string (a=1&b=2), a JSON object, @FILE or -",
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut params = Params::new();
    let mut add = |k: String, v: String| -> Result<(), Failure> {
        if k.is_empty() {
            return Err(Failure::usage("PARAMS has a parameter with an empty name"));
        }
        if !seen.insert(k.clone()) {
            return Err(Failure::usage(format!(
                "PARAMS has {k:?} twice: a parameter may appear only once"
            )));
        }
        params.set(k, v);
        Ok(())
    };
    if t.starts_with('{') {
        // Not into a map: serde_json's map would silently keep the last of duplicate keys.
        for (k, raw) in parse_json_pairs(t)? {
            let text = raw.get();
            let v = if text.starts_with('"') {
                serde_json::from_str::<String>(text)
                    .map_err(|e| Failure::usage(format!("PARAMS: {k}: {e}")))?
            } else if text == "null" {
                String::new()
            } else {
                // Numbers, objects (biz_content) and arrays are signed as the exact JSON text
                // given: Alipay verifies the string it receives, and a round trip through
                // serde_json would turn 1579.00 into 1579.0 and reorder keys.
                text.to_string()
            };
            add(k, v)?;
        }
    } else {
        let query = match t.split_once('?') {
            Some((before, after)) if before.contains("://") || before.is_empty() => after,
            _ => t,
        };
        let query = query.split('#').next().unwrap_or_default();
        if !query.contains('=') {
            return Err(Failure::usage(format!(
                "PARAMS is neither a query string (k=v&k=v) nor a JSON object: {:?}",
                output::ellipsize(t, 60)
            )));
        }
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            add(k.into_owned(), v.into_owned())?;
        }
    }
    Ok(params)
}

type RawPairs = Vec<(String, Box<serde_json::value::RawValue>)>;

fn parse_json_pairs(t: &str) -> Result<RawPairs, Failure> {
    use serde::de::{Deserializer, MapAccess, Visitor};
    struct Pairs;
    impl<'de> Visitor<'de> for Pairs {
        type Value = RawPairs;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object of parameters")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
            let mut v = Vec::new();
            while let Some(kv) = m.next_entry::<String, Box<serde_json::value::RawValue>>()? {
                v.push(kv);
            }
            Ok(v)
        }
    }
    let mut de = serde_json::Deserializer::from_str(t);
    let pairs = de
        .deserialize_map(Pairs)
        .and_then(|p| de.end().map(|_| p))
        .map_err(|e| Failure::usage(format!("PARAMS is not a valid JSON object: {e}")))?;
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_json_give_the_same_params() {
        let q = parse_params("b=2+3&a=%E4%B8%AD&c=").unwrap();
        assert_eq!(q.get("b"), Some("2 3"));
        assert_eq!(q.get("a"), Some("中"));
        let j = parse_params(r#"{"b":"2 3","a":"中","c":"","n":5,"biz":{"x":"y"}}"#).unwrap();
        assert_eq!(j.get("b"), Some("2 3"));
        assert_eq!(j.get("n"), Some("5"));
        assert_eq!(j.get("biz"), Some(r#"{"x":"y"}"#));
        assert_eq!(q.canonical(), "a=中&b=2 3");
    }

    #[test]
    fn duplicates_and_garbage_are_refused() {
        assert!(
            parse_params("a=1&a=2")
                .unwrap_err()
                .message
                .contains("\"a\" twice")
        );
        assert!(
            parse_params(r#"{"a":"1","a":"2"}"#)
                .unwrap_err()
                .message
                .contains("twice")
        );
        assert!(
            parse_params("{\"a\":")
                .unwrap_err()
                .message
                .contains("not a valid JSON")
        );
        assert!(
            parse_params("hello")
                .unwrap_err()
                .message
                .contains("neither")
        );
        assert!(parse_params("  ").unwrap_err().message.contains("empty"));
        // Numbers and nested objects keep their exact text: no float round trip, no reordering.
        let p =
            parse_params(r#"{"n":1579.00,"biz_content":{"z":1,"total_amount":1579.00}}"#).unwrap();
        assert_eq!(p.get("n"), Some("1579.00"));
        assert_eq!(
            p.get("biz_content"),
            Some(r#"{"z":1,"total_amount":1579.00}"#)
        );
    }

    #[test]
    fn a_url_contributes_its_query() {
        let p = parse_params("https://example.com/gateway.do?x=1&y=2#frag").unwrap();
        assert_eq!(p.canonical(), "x=1&y=2");
    }
}
