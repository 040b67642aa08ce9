//! Random mutations of peer-signed callbacks and gateway responses. An input whose signed content
//! changed must be refused; the test asserts that none was accepted.
//!
//! "Signed content changed" is decided by an oracle written here, independent of the code under
//! test: it decodes the mutated input by Alipay's rules and compares what a signature would cover
//! (canonical string / raw response text) and the signature bytes with the original's. Mutations
//! that leave both unchanged (a reordered pair, `%3a` for `%3A`, an empty extra parameter) may be
//! accepted or refused; they are counted, not judged.
//!
//! `PAYDESK_MUTATIONS` sets the count (default 20,000, a few seconds in debug), spread over all
//! cores; `PAYDESK_MUTATION_SEED` the seed. `scripts/soak.sh` runs 1,000,000 in release.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use alipay::callback::verify_callback;
use alipay::response::verify_response;
use alipay::{PublicKey, SignType};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use serde_json::value::RawValue;

const DEFAULT_MUTATIONS: usize = 20_000;
const DEFAULT_SEED: u64 = 0x5E_EDA1_19A7;

/// SplitMix64: tiny, seedable and good enough to pick mutations; keeps failures reproducible
/// from the printed seed without depending on a particular `rand` API.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/peers")
}

fn load(name: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(fixtures().join(name)).unwrap();
    serde_json::from_str::<Value>(&text).unwrap()["vectors"]
        .as_array()
        .unwrap()
        .clone()
}

// ---------------------------------------------------------------------------------------------
// The oracle

/// What a callback's signature covers: the canonical string (in the declared charset) and the
/// signature bytes. `None` when the input cannot be read unambiguously by Alipay's rules (bad
/// escape, undecodable bytes, duplicate key, no or undecodable sign): such input must be refused.
fn callback_content(input: &str) -> Option<(String, Vec<u8>)> {
    let t = input.trim();
    // A URL's query starts at its first '?' (RFC 3986); a bare query or body has no URL prefix.
    let is_url_prefix = |p: &str| {
        let lower = p.get(..8).unwrap_or(p).to_ascii_lowercase();
        lower.starts_with("http://") || lower.starts_with("https://") || !p.contains(['=', '&'])
    };
    let part = match t.find('?') {
        Some(q) if is_url_prefix(&t[..q]) => {
            let rest = &t[q + 1..];
            rest.split_once('#').map_or(rest, |(a, _)| a).trim()
        }
        _ => t,
    };
    let mut raw: Vec<(&str, &str)> = Vec::new();
    for piece in part.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
        if k.is_empty() {
            return None;
        }
        raw.push((k, v));
    }
    let unescape = |s: &str| -> Option<Vec<u8>> {
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'%' => {
                    let h = b.get(i + 1..i + 3)?;
                    if !h.iter().all(u8::is_ascii_hexdigit) {
                        return None;
                    }
                    out.push(u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()?);
                    i += 3;
                }
                b'+' => {
                    out.push(b' ');
                    i += 1;
                }
                c => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        Some(out)
    };
    // The charset must be one label, exactly as Alipay writes it (it is itself signed).
    let mut gbk = false;
    for (k, v) in &raw {
        if unescape(k)? == b"charset" {
            match unescape(v)?.as_slice() {
                b"utf-8" => {}
                b"gbk" => gbk = true,
                _ => return None,
            }
        }
    }
    let decode = |s: &str| -> Option<String> {
        let bytes = unescape(s)?;
        if gbk {
            encoding_rs::GBK
                .decode_without_bom_handling_and_without_replacement(&bytes)
                .map(|c| c.into_owned())
        } else {
            String::from_utf8(bytes).ok()
        }
    };
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in raw {
        if fields.insert(decode(k)?, decode(v)?).is_some() {
            return None;
        }
    }
    let sign: String = fields
        .get("sign")?
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let sig = STANDARD.decode(sign).ok()?;
    // BTreeMap iterates in byte order of the keys: Alipay's sort.
    let canonical = fields
        .iter()
        .filter(|(k, v)| !v.is_empty() && *k != "sign" && *k != "sign_type")
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    Some((canonical, sig))
}

/// The top-level members of a JSON object in order, values as raw text.
struct Entries(Vec<(String, Box<RawValue>)>);

impl<'de> serde::Deserialize<'de> for Entries {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Entries;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<Entries, A::Error> {
                let mut v = Vec::new();
                while let Some(e) = m.next_entry::<String, Box<RawValue>>()? {
                    v.push(e);
                }
                Ok(Entries(v))
            }
        }
        d.deserialize_map(V)
    }
}

/// What a response's signature covers, plus the signature bytes and `alipay_cert_sn`. `None` for
/// anything that is not one JSON object with unique keys, the response member and a decodable sign.
fn response_content(body: &str, key: &str) -> Option<(String, Vec<u8>, Option<String>)> {
    let Entries(entries) = serde_json::from_str(body).ok()?;
    let mut seen = std::collections::HashSet::new();
    if !entries.iter().all(|(k, _)| seen.insert(k.as_str())) {
        return None;
    }
    let get = |k: &str| entries.iter().find(|(n, _)| n == k).map(|(_, v)| v.get());
    let raw = get(key)?.to_string();
    let sign: String = serde_json::from_str(get("sign")?).ok()?;
    let sig = STANDARD
        .decode(
            sign.chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect::<String>(),
        )
        .ok()?;
    let cert = match get("alipay_cert_sn") {
        Some(v) => Some(serde_json::from_str::<String>(v).ok()?),
        None => None,
    };
    Some((raw, sig, cert))
}

// ---------------------------------------------------------------------------------------------
// Mutations

/// Bytes worth inserting: structure (`& = % + ?  # "` `\` `{` `}` `,` `:`), whitespace, base64 and
/// hex characters, letters.
const ALPHABET: &[u8] = b"&=%+?#\"\\{},: \t\n/_-.0123456789ABCDEFabcdefXYZxyz";

fn ascii_mutation(rng: &mut Rng, b: &mut Vec<u8>, lo: usize, hi: usize) {
    let hi = hi.max(lo);
    match rng.below(3) {
        0 if hi > lo => {
            let i = lo + rng.below(hi - lo);
            if b[i].is_ascii() {
                // Any of the low seven bits: the result stays ASCII (valid UTF-8).
                b[i] ^= 1 << rng.below(7);
            } else {
                b[i] = ALPHABET[rng.below(ALPHABET.len())];
            }
        }
        1 | 0 => {
            let i = lo + rng.below(hi - lo + 1);
            b.insert(i, ALPHABET[rng.below(ALPHABET.len())]);
        }
        _ if hi > lo => {
            b.remove(lo + rng.below(hi - lo));
        }
        _ => b.insert(lo, ALPHABET[rng.below(ALPHABET.len())]),
    }
}

fn toggle_case(rng: &mut Rng, b: &mut [u8], lo: usize, hi: usize) {
    if hi <= lo {
        return;
    }
    let start = lo + rng.below(hi - lo);
    let end = (start + 1 + rng.below(8)).min(hi);
    for c in &mut b[start..end] {
        if c.is_ascii_alphabetic() {
            *c ^= 0x20;
        }
    }
}

/// Ranges of a form string: (key, value) byte spans of each pair after the prefix.
fn pair_spans(s: &str) -> Vec<((usize, usize), (usize, usize))> {
    let start = s.find('?').map_or(0, |q| q + 1);
    let mut out = Vec::new();
    let mut at = start;
    for piece in s[start..].split('&') {
        let eq = piece.find('=').unwrap_or(piece.len());
        let v0 = (at + eq + 1).min(at + piece.len());
        out.push(((at, at + eq), (v0, at + piece.len())));
        at += piece.len() + 1;
    }
    out
}

fn mutate_callback(rng: &mut Rng, original: &str) -> String {
    let mut s = original.to_string();
    for _ in 0..1 + rng.below(2) {
        let spans = pair_spans(&s);
        let start = s.find('?').map_or(0, |q| q + 1);
        let sign_i = spans
            .iter()
            .position(|((k0, k1), _)| &s[*k0..*k1] == "sign");
        let pick = match sign_i {
            // A quarter of the value mutations go to the signature.
            Some(i) if rng.chance(25) => i,
            _ => rng.below(spans.len()),
        };
        let ((k0, k1), (v0, v1)) = spans[pick];
        let mut b = std::mem::take(&mut s).into_bytes();
        match rng.below(10) {
            0..=3 => ascii_mutation(rng, &mut b, v0, v1),
            4 => ascii_mutation(rng, &mut b, k0, k1),
            5 => {
                let (lo, hi) = if rng.chance(50) { (k0, k1) } else { (v0, v1) };
                toggle_case(rng, &mut b, lo, hi)
            }
            6 => {
                // Duplicate a pair, as is or with a changed value, at the end or the front.
                let mut pair = b[k0..v1].to_vec();
                if rng.chance(50) && pair.len() > k1 - k0 + 1 {
                    let plen = pair.len();
                    ascii_mutation(rng, &mut pair, k1 - k0 + 1, plen);
                }
                if rng.chance(50) {
                    b.push(b'&');
                    b.extend(pair);
                } else {
                    pair.push(b'&');
                    b.splice(start..start, pair);
                }
            }
            7 => {
                // Reorder: same content, another order.
                let body = String::from_utf8(b[start..].to_vec()).unwrap();
                let mut pieces: Vec<&str> = body.split('&').collect();
                for i in (1..pieces.len()).rev() {
                    pieces.swap(i, rng.below(i + 1));
                }
                let joined = pieces.join("&");
                b.truncate(start);
                b.extend(joined.as_bytes());
            }
            _ => {
                // Anywhere, separators and URL prefix included.
                let n = b.len();
                ascii_mutation(rng, &mut b, 0, n);
            }
        }
        s = String::from_utf8(b).expect("ASCII mutations of ASCII input");
    }
    s
}

fn mutate_response(rng: &mut Rng, original: &str, signed: &str, key: &str) -> Option<String> {
    let mut b = original.as_bytes().to_vec();
    let at = original.find(signed)?;
    let sign_at = original.find("\"sign\"")?;
    let sign_v0 = sign_at + original[sign_at + 6..].find('"')? + 7;
    let sign_v1 = sign_v0 + original[sign_v0..].find('"')?;
    let key_at = original.find(&format!("\"{key}\""))? + 1;
    match rng.below(10) {
        0..=3 => ascii_mutation(rng, &mut b, at, at + signed.len()),
        4 => ascii_mutation(rng, &mut b, sign_v0, sign_v1),
        5 => ascii_mutation(rng, &mut b, key_at, key_at + key.len()),
        6 => toggle_case(rng, &mut b, at, at + signed.len()),
        7 => {
            // Duplicate the response member (as is, or forged) or the sign.
            let member = if rng.chance(60) {
                let mut v = signed.as_bytes().to_vec();
                if rng.chance(50) {
                    let n = v.len();
                    ascii_mutation(rng, &mut v, 0, n);
                }
                format!("\"{key}\":{}", String::from_utf8(v).ok()?)
            } else {
                original[sign_at..=sign_v1].to_string()
            };
            let close = original.rfind('}')?;
            if rng.chance(50) {
                b.splice(close..close, format!(",{member}").into_bytes());
            } else {
                let open = original.find('{')? + 1;
                b.splice(open..open, format!("{member},").into_bytes());
            }
        }
        8 => {
            // Reorder the members: same content.
            let Entries(mut e) = serde_json::from_str(original).ok()?;
            for i in (1..e.len()).rev() {
                e.swap(i, rng.below(i + 1));
            }
            let parts: Vec<String> = e
                .iter()
                .map(|(k, v)| format!("{}:{}", Value::from(k.as_str()), v.get()))
                .collect();
            b = format!("{{{}}}", parts.join(",")).into_bytes();
        }
        _ => {
            let n = b.len();
            ascii_mutation(rng, &mut b, 0, n);
        }
    }
    // A mutation inside a multi-byte character is not text: pick another.
    String::from_utf8(b).ok()
}

// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Tally {
    tried: AtomicUsize,
    changed: AtomicUsize,
    unchanged: AtomicUsize,
    unchanged_accepted: AtomicUsize,
    accepted_changed: AtomicUsize,
    callbacks: AtomicUsize,
    responses: AtomicUsize,
}

struct Corpus {
    key: PublicKey,
    callbacks: Vec<(String, (String, Vec<u8>))>,
    responses: Vec<Response>,
}

struct Response {
    body: String,
    signed: String,
    method: String,
    key: String,
    sign_type: SignType,
    cert_sn: Option<String>,
    content: (String, Vec<u8>, Option<String>),
}

fn corpus() -> Corpus {
    let alipay_key = PublicKey::from_file(fixtures().join("test_alipay_public_key.pem")).unwrap();
    let callbacks = load("callbacks.json")
        .iter()
        .map(|v| {
            let input = v["input"].as_str().unwrap().to_string();
            let content = callback_content(&input).expect("the oracle reads every original");
            assert_eq!(
                content.0,
                v["canonical"].as_str().unwrap(),
                "oracle canonical for {}",
                v["id"]
            );
            // Every original must verify, or its mutations' rejections prove nothing.
            verify_callback(&input, &alipay_key).unwrap_or_else(|e| panic!("{}: {e}", v["id"]));
            (input, content)
        })
        .collect();
    let responses = load("responses.json")
        .iter()
        .map(|v| {
            let body = v["body"].as_str().unwrap().to_string();
            let key = v["response_key"].as_str().unwrap().to_string();
            let content = response_content(&body, &key).expect("the oracle reads every original");
            assert_eq!(content.0, v["signed_text"].as_str().unwrap());
            let r = Response {
                signed: v["signed_text"].as_str().unwrap().to_string(),
                method: v["method"].as_str().unwrap().to_string(),
                sign_type: v["sign_type"].as_str().unwrap().parse().unwrap(),
                cert_sn: v["alipay_cert_sn"].as_str().map(String::from),
                body,
                key,
                content,
            };
            verify_response(
                &r.body,
                &r.method,
                &alipay_key,
                r.sign_type,
                r.cert_sn.as_deref(),
            )
            .unwrap_or_else(|e| panic!("{}: {e}", v["id"]));
            r
        })
        .collect();
    Corpus {
        key: alipay_key,
        callbacks,
        responses,
    }
}

fn run(
    corpus: &Corpus,
    seed: u64,
    count: usize,
    tally: &Tally,
    failures: &std::sync::Mutex<Vec<String>>,
) {
    let mut rng = Rng(seed);
    let mut done = 0;
    while done < count {
        if rng.chance(50) {
            let (orig, content) = &corpus.callbacks[rng.below(corpus.callbacks.len())];
            let m = mutate_callback(&mut rng, orig);
            let same = callback_content(&m).as_ref() == Some(content);
            let accepted = verify_callback(&m, &corpus.key).is_ok();
            tally.callbacks.fetch_add(1, Ordering::Relaxed);
            judge(tally, failures, same, accepted, &m);
        } else {
            let r = &corpus.responses[rng.below(corpus.responses.len())];
            let Some(m) = mutate_response(&mut rng, &r.body, &r.signed, &r.key) else {
                continue;
            };
            let same = response_content(&m, &r.key).as_ref() == Some(&r.content);
            let accepted = verify_response(
                &m,
                &r.method,
                &corpus.key,
                r.sign_type,
                r.cert_sn.as_deref(),
            )
            .is_ok();
            tally.responses.fetch_add(1, Ordering::Relaxed);
            judge(tally, failures, same, accepted, &m);
        }
        done += 1;
    }
}

fn judge(
    tally: &Tally,
    failures: &std::sync::Mutex<Vec<String>>,
    same: bool,
    accepted: bool,
    input: &str,
) {
    tally.tried.fetch_add(1, Ordering::Relaxed);
    if same {
        tally.unchanged.fetch_add(1, Ordering::Relaxed);
        if accepted {
            tally.unchanged_accepted.fetch_add(1, Ordering::Relaxed);
        }
        return;
    }
    tally.changed.fetch_add(1, Ordering::Relaxed);
    if accepted {
        tally.accepted_changed.fetch_add(1, Ordering::Relaxed);
        let mut f = failures.lock().unwrap();
        if f.len() < 10 {
            f.push(input.to_string());
        }
    }
}

fn env_number(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.replace(['_', ','], "");
    Some(match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).unwrap_or_else(|_| panic!("{name}={v}")),
        None => v.parse().unwrap_or_else(|_| panic!("{name}={v}")),
    })
}

#[test]
fn the_oracle_sees_real_changes() {
    // The oracle must itself tell a changed input from an unchanged one, or the property below
    // would pass vacuously.
    let c = corpus();
    let (orig, content) = &c.callbacks[0];
    assert_eq!(callback_content(orig).as_ref(), Some(content));
    let reordered = {
        let (pre, q) = orig
            .split_once('?')
            .map_or(("", orig.as_str()), |(a, b)| (a, b));
        let mut p: Vec<&str> = q.split('&').collect();
        p.reverse();
        format!(
            "{}{}{}",
            pre,
            if pre.is_empty() { "" } else { "?" },
            p.join("&")
        )
    };
    assert_eq!(callback_content(&reordered).as_ref(), Some(content));
    assert_ne!(
        callback_content(&orig.replacen("1579.00", "1579.01", 1)).as_ref(),
        Some(content)
    );
    assert_eq!(callback_content(&format!("{orig}&trade_no=x")), None);
    let r = &c.responses[0];
    assert_eq!(response_content(&r.body, &r.key).as_ref(), Some(&r.content));
    assert_ne!(
        response_content(&r.body.replacen("10000", "10001", 1), &r.key).as_ref(),
        Some(&r.content)
    );
}

#[test]
fn random_mutations_of_signed_inputs_are_never_accepted() {
    let count = env_number("PAYDESK_MUTATIONS").map_or(DEFAULT_MUTATIONS, |n| n as usize);
    let seed = env_number("PAYDESK_MUTATION_SEED").unwrap_or(DEFAULT_SEED);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(count.max(1));
    let corpus = corpus();
    let tally = Tally::default();
    let failures = std::sync::Mutex::new(Vec::new());
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let share = count / threads + usize::from(t < count % threads);
            let (corpus, tally, failures) = (&corpus, &tally, &failures);
            s.spawn(move || {
                run(
                    corpus,
                    seed ^ (t as u64).wrapping_mul(0x9E37_79B9),
                    share,
                    tally,
                    failures,
                )
            });
        }
    });
    let elapsed = t0.elapsed();
    let g = |a: &AtomicUsize| a.load(Ordering::Relaxed);
    println!(
        "mutations: {} ({} callbacks, {} responses) on {threads} threads, seed {seed:#x}, {:.1} s; \
         signed content changed: {}, accepted: {}; unchanged: {} (accepted {})",
        g(&tally.tried),
        g(&tally.callbacks),
        g(&tally.responses),
        elapsed.as_secs_f64(),
        g(&tally.changed),
        g(&tally.accepted_changed),
        g(&tally.unchanged),
        g(&tally.unchanged_accepted),
    );
    let f = failures.into_inner().unwrap();
    assert_eq!(
        g(&tally.accepted_changed),
        0,
        "accepted with changed signed content:\n{}",
        f.join("\n")
    );
    assert_eq!(g(&tally.tried), count);
    // Most mutations must actually change something, or the test proves little.
    assert!(
        g(&tally.changed) * 10 >= count * 7,
        "too few effective mutations"
    );
}
