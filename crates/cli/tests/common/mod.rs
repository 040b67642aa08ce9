//! Running the built `paydesk` binary in a sandbox: its own working directory, HOME and
//! XDG_CONFIG_HOME, and no PAYDESK_* variables from the developer's shell.

#![allow(dead_code)] // each test file uses a different part of this module

pub mod world;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use alipay::sign::{CALLBACK_EXCLUDE, canonical_content};
use alipay::{PrivateKey, SignType};

pub struct Sandbox {
    pub dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", self.stdout))
    }

    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    #[track_caller]
    pub fn expect(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
            env: Vec::new(),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn p(&self, rel: &str) -> String {
        self.path(rel).display().to_string()
    }

    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, text).unwrap();
        p
    }

    pub fn env(&mut self, k: &str, v: &str) -> &mut Self {
        self.env.push((k.into(), v.into()));
        self
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_paydesk"));
        c.args(args).current_dir(self.dir.path());
        for (k, _) in std::env::vars() {
            if k.starts_with("PAYDESK_") {
                c.env_remove(k);
            }
        }
        c.env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join(".config"));
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let mut c = self.command(args);
        c.stdin(Stdio::null());
        Run::from(c.output().unwrap())
    }

    pub fn run_stdin(&self, args: &[&str], input: &str) -> Run {
        let mut c = self.command(args);
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let data = input.to_string();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(data.as_bytes());
        });
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        Run::from(out)
    }

    /// `paydesk keys gen --out DIR`; returns the private key for signing in the test.
    pub fn keys(&self, dir: &str) -> PrivateKey {
        self.run(&["keys", "gen", "--out", dir]).expect(0);
        PrivateKey::from_file(self.path(dir).join("app_private_key.pem")).unwrap()
    }
}

/// A return URL as Alipay would send it, signed with `alipay_key` (sign and sign_type excluded).
pub fn signed_return(alipay_key: &PrivateKey, out_trade_no: &str, amount: &str) -> String {
    let mut fields: Vec<(&str, String)> = vec![
        ("charset", "utf-8".into()),
        ("out_trade_no", out_trade_no.into()),
        ("method", "alipay.trade.page.pay.return".into()),
        ("total_amount", amount.into()),
        ("trade_no", format!("2026112422001{out_trade_no}")),
        ("auth_app_id", "2021000000000001".into()),
        ("version", "1.0".into()),
        ("app_id", "2021000000000001".into()),
        ("seller_id", "2088000000000002".into()),
        ("timestamp", "2026-11-24 12:50:02".into()),
    ];
    let content = canonical_content(
        fields.iter().map(|(k, v)| (*k, v.as_str())),
        CALLBACK_EXCLUDE,
    );
    let sign = alipay_key.sign(content.as_bytes(), SignType::Rsa2).unwrap();
    fields.push(("sign", sign));
    fields.push(("sign_type", "RSA2".into()));
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &fields {
        q.append_pair(k, v);
    }
    format!("https://shop.example/alipay/return?{}", q.finish())
}

pub fn exists(p: &Path) -> bool {
    p.is_file()
}
