//! Request parameters: a sorted map (so the canonical content and the link agree on order).

use std::collections::BTreeMap;

use crate::sign::{REQUEST_EXCLUDE, canonical_content};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(BTreeMap<String, String>);

impl Params {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(&mut self, k: impl Into<String>, v: impl Into<String>) -> &mut Self {
        self.0.insert(k.into(), v.into());
        self
    }

    /// Sets the value only when there is one: optional parameters are simply absent.
    pub fn set_opt(&mut self, k: &str, v: Option<impl Into<String>>) -> &mut Self {
        if let Some(v) = v {
            self.0.insert(k.to_string(), v.into());
        }
        self
    }

    pub fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str)
    }

    pub fn remove(&mut self, k: &str) -> Option<String> {
        self.0.remove(k)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The string that is signed for a request (all but `sign`, empties dropped, sorted, raw).
    pub fn canonical(&self) -> String {
        canonical_content(self.iter(), REQUEST_EXCLUDE)
    }

    /// `k=v&…` with values form-encoded (what goes after `?` in a link or in a POST body).
    pub fn to_query(&self) -> String {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.iter() {
            if !v.is_empty() {
                ser.append_pair(k, v);
            }
        }
        ser.finish()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Params {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        Params(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}
