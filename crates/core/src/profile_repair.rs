//! Reading a `paydesk.toml` that is partly broken, and checking a corrected one before it is
//! written. A typo in one profile must not hide the others (in the app's Settings or for the CLI),
//! and the broken one must stay editable, so each profile table is read on its own.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::profile::{Located, Profile, ProfileError, ProfileFile, Resolved, read_text};

/// The profiles that read, and for each one that does not, the problem in words.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lenient {
    pub file: ProfileFile,
    pub broken: BTreeMap<String, String>,
}

/// Every profile that reads; an error only when the file as a whole is not TOML or not a
/// settings file (then the message carries TOML's line and column).
pub fn parse_lenient(text: &str, path: &Path) -> Result<Lenient, ProfileError> {
    let invalid = |msg: String| ProfileError::Invalid {
        path: path.display().to_string(),
        msg,
    };
    let doc: toml::Table =
        toml::from_str(text).map_err(|e| invalid(e.to_string().trim_end().to_string()))?;
    let mut out = Lenient::default();
    for (key, value) in doc {
        if key != "profiles" {
            return Err(invalid(format!(
                "unknown top-level key `{key}`: a settings file holds only [profiles.NAME] tables"
            )));
        }
        let toml::Value::Table(profiles) = value else {
            return Err(invalid(
                "`profiles` must be a table of [profiles.NAME] tables".into(),
            ));
        };
        for (name, v) in profiles {
            match Profile::deserialize(v) {
                Ok(p) => {
                    out.file.profiles.insert(name, p);
                }
                Err(e) => {
                    let msg = e.to_string().trim_end().replace('\n', " ");
                    out.broken
                        .insert(name.clone(), format!("[profiles.{name}]: {msg}"));
                }
            }
        }
    }
    Ok(out)
}

/// [`parse_lenient`] of the file, relative paths anchored as [`ProfileFile::load`] does.
pub fn load_lenient(loc: &Located) -> Result<Lenient, ProfileError> {
    let text = read_text(loc)?;
    let mut l = parse_lenient(&text, &loc.path)?;
    l.file.anchor(&loc.path);
    Ok(l)
}

/// A whole corrected settings text, checked as strictly as opening each profile would: what
/// the app writes only when this passes. Returns every problem, each naming its profile.
pub fn check_text(text: &str, path: &Path, data_dir: &Path) -> Result<ProfileFile, Vec<String>> {
    let file = match ProfileFile::parse(text, path) {
        Ok(f) => f,
        Err(e) => {
            // Name every broken profile, not only the first serde stops at.
            let mut problems = match parse_lenient(text, path) {
                Ok(l) => l.broken.into_values().collect::<Vec<_>>(),
                Err(_) => Vec::new(),
            };
            if problems.is_empty() {
                problems.push(e.to_string());
            }
            return Err(problems);
        }
    };
    let mut anchored = file.clone();
    anchored.anchor(path);
    let problems: Vec<String> = anchored
        .profiles
        .iter()
        .filter_map(|(name, p)| {
            let r = Resolved {
                name: name.clone(),
                file: Some(path.to_path_buf()),
                profile: p.clone(),
            };
            crate::desk_open::validate(&r, data_dir)
                .err()
                .map(|e| e.to_string())
        })
        .collect();
    if problems.is_empty() {
        Ok(file)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"
[profiles.good]
kind = "sandbox"
gateway = "https://openapi-sandbox.dl.alipaydev.com/gateway.do"

[profiles.typo]
kind = "sandbox"
gatway = "https://x"

[profiles.tables]
kind = "sandbox"
[profiles.tables.database]
path = "/tmp/x.sqlite"
[profiles.tables.database.tables]
user = "fg_users"
"#;

    #[test]
    fn a_broken_profile_does_not_hide_the_others() {
        let l = parse_lenient(TEXT, Path::new("p.toml")).unwrap();
        assert_eq!(
            l.file.profiles.keys().collect::<Vec<_>>(),
            ["good", "tables"]
        );
        assert!(l.broken["typo"].contains("gatway"), "{:?}", l.broken);
        // The database table is core's to read: deserialising the profile keeps it as TOML,
        // the strict check reads it.
        let problems = check_text(TEXT, Path::new("/c/p.toml"), Path::new("/d")).unwrap_err();
        assert!(
            problems.iter().any(|p| p.contains("gatway")),
            "{problems:?}"
        );
        let fixed = TEXT.replace("gatway", "gateway");
        let problems = check_text(&fixed, Path::new("/c/p.toml"), Path::new("/d")).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("\"tables\"") && problems[0].contains("user"),
            "{problems:?}"
        );
        let fixed = fixed.replace("user = ", "users = ");
        assert!(check_text(&fixed, Path::new("/c/p.toml"), Path::new("/d")).is_ok());
    }

    #[test]
    fn a_syntax_error_names_the_line() {
        let e = parse_lenient("[profiles.a]\nkind = \n", Path::new("p.toml")).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
    }
}
