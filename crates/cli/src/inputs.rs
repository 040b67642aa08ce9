//! The inputs of `paydesk verify`: literal arguments, `@FILE` (one per line) and `-` (stdin, one
//! per line), read lazily in order so that a 100,000-line file never sits in memory twice.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;

use crate::exit::Failure;

/// One input, as bytes: a notify body saved from the wire may be GBK, not UTF-8.
#[derive(Debug, Clone)]
pub struct Item {
    /// 1-based position among all inputs.
    pub index: usize,
    /// `arg 2`, `returns.txt:17`, `stdin:3`.
    pub origin: String,
    pub bytes: Vec<u8>,
}

enum Source {
    Arg(usize, String),
    Lines {
        name: Arc<str>,
        reader: Box<dyn BufRead + Send>,
        line: usize,
    },
}

/// Yields items in argument order, then line order.
pub struct Inputs {
    sources: std::collections::VecDeque<Source>,
    next_index: usize,
    /// Set when a line source breaks mid-way; the caller reports it and exits 2.
    pub read_error: Option<String>,
}

impl Inputs {
    /// Opens every `@FILE` up front, so an unreadable file fails before any output.
    /// No arguments means stdin, unless stdin is a terminal (then nothing would ever arrive).
    pub fn open(args: &[String]) -> Result<Self, Failure> {
        let mut sources = std::collections::VecDeque::new();
        let mut stdin_used = false;
        let args: Vec<String> = if args.is_empty() {
            use std::io::IsTerminal;
            if std::io::stdin().is_terminal() {
                return Err(Failure::usage(
                    "no INPUT: give return URLs or notify bodies as arguments, @FILE (one per line) or - (stdin)",
                ));
            }
            vec!["-".to_string()]
        } else {
            args.to_vec()
        };
        for (i, a) in args.iter().enumerate() {
            if a == "-" {
                if stdin_used {
                    return Err(Failure::usage(
                        "- (stdin) is given twice: stdin can be read only once",
                    ));
                }
                stdin_used = true;
                sources.push_back(Source::Lines {
                    name: "stdin".into(),
                    reader: Box::new(BufReader::new(std::io::stdin())),
                    line: 0,
                });
            } else if let Some(path) = a.strip_prefix('@') {
                if path.is_empty() {
                    return Err(Failure::usage("@ needs a file name: @returns.txt"));
                }
                let f = File::open(path).map_err(|e| {
                    Failure::input(format!("{path}: cannot read the input file: {e}"))
                })?;
                sources.push_back(Source::Lines {
                    name: path.into(),
                    reader: Box::new(BufReader::with_capacity(1 << 16, f)),
                    line: 0,
                });
            } else {
                // A bare file name is a common slip for @FILE; a callback never lacks '='.
                if !a.contains('=') && Path::new(a).is_file() {
                    return Err(Failure::usage(format!(
                        "{a:?} is a file name, not a callback: write @{a} to verify its lines"
                    )));
                }
                sources.push_back(Source::Arg(i + 1, a.clone()));
            }
        }
        Ok(Inputs {
            sources,
            next_index: 1,
            read_error: None,
        })
    }

    /// Up to `max` more items; empty when all sources are used up (or one failed).
    pub fn next_chunk(&mut self, max: usize) -> Vec<Item> {
        let mut out = Vec::with_capacity(max.min(4096));
        while out.len() < max {
            let Some(src) = self.sources.front_mut() else {
                break;
            };
            match src {
                Source::Arg(n, text) => {
                    let item = Item {
                        index: self.next_index,
                        origin: format!("arg {n}"),
                        bytes: std::mem::take(text).into_bytes(),
                    };
                    self.next_index += 1;
                    out.push(item);
                    self.sources.pop_front();
                }
                Source::Lines { name, reader, line } => {
                    let mut buf = Vec::new();
                    match reader.read_until(b'\n', &mut buf) {
                        Ok(0) => {
                            self.sources.pop_front();
                        }
                        Ok(_) => {
                            *line += 1;
                            let t = trim_ascii(&buf);
                            // Blank lines and `#` comments let testers annotate their files.
                            if t.is_empty() || t[0] == b'#' {
                                continue;
                            }
                            let item = Item {
                                index: self.next_index,
                                origin: format!("{name}:{line}"),
                                bytes: t.to_vec(),
                            };
                            self.next_index += 1;
                            out.push(item);
                        }
                        Err(e) => {
                            self.read_error =
                                Some(format!("{name}: read failed after line {line}: {e}"));
                            self.sources.clear();
                        }
                    }
                }
            }
        }
        out
    }

    pub fn exhausted(&self) -> bool {
        self.sources.is_empty()
    }
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let b = b.strip_prefix(b"\xef\xbb\xbf").unwrap_or(b);
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_skip_blanks_and_comments_and_keep_order() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("in.txt");
        std::fs::write(&f, "# header\n\na=1\r\n  b=2  \n# c=3\nd=4").unwrap();
        let args = vec![
            "x=0".to_string(),
            format!("@{}", f.display()),
            "y=9".to_string(),
        ];
        let mut inp = Inputs::open(&args).unwrap();
        let mut all = Vec::new();
        loop {
            let c = inp.next_chunk(2);
            if c.is_empty() {
                break;
            }
            all.extend(c);
        }
        let got: Vec<(usize, String, String)> = all
            .iter()
            .map(|i| {
                (
                    i.index,
                    i.origin.rsplit('/').next().unwrap().to_string(),
                    String::from_utf8(i.bytes.clone()).unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (1, "arg 1".into(), "x=0".into()),
                (2, "in.txt:3".into(), "a=1".into()),
                (3, "in.txt:4".into(), "b=2".into()),
                (4, "in.txt:6".into(), "d=4".into()),
                (5, "arg 3".into(), "y=9".into()),
            ]
        );
        assert!(inp.exhausted());
    }

    #[test]
    fn missing_file_and_bare_file_name_are_usage_errors() {
        let e = Inputs::open(&["@/no/such/file".to_string()]).err().unwrap();
        assert!(
            e.message.contains("cannot read the input file"),
            "{}",
            e.message
        );
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("returns.txt");
        std::fs::write(&f, "a=1\n").unwrap();
        let e = Inputs::open(&[f.display().to_string()]).err().unwrap();
        assert!(e.message.contains("write @"), "{}", e.message);
    }
}
