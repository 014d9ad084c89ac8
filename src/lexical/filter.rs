//! Metadata filters (`doc_type=law`, `lang=fa`, `year=2015`, `year=2010..2020`,
//! `status=course-note`): parsed once from user input, applied to both retrievers.

use std::collections::BTreeMap;

use serde::Serialize;
use thiserror::Error;

use crate::text::Lang;

/// A filter the user must fix.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum FilterError {
    #[error("filter {0:?} is not KEY=VALUE (for example doc_type=law)")]
    /// Not KEY=VALUE.
    Syntax(String),
    #[error("unknown filter key {0:?}; use doc_type, lang, year or status")]
    /// A key no filter has.
    UnknownKey(String),
    #[error("lang filter must be fa or en, not {0:?}")]
    /// A language other than fa or en.
    BadLang(String),
    #[error("year filter must be a year (2015) or a range (2010..2020), not {0:?}")]
    /// Neither a year nor a year range.
    BadYear(String),
}

/// Filters: values of one key are alternatives (OR), different keys must all hold (AND).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Filters {
    /// Document types to keep (law, regulation, standard, ...).
    pub doc_type: Vec<String>,
    /// Languages to keep.
    pub lang: Vec<Lang>,
    /// Statuses to keep (in force, repealed, draft, ...).
    pub status: Vec<String>,
    /// Inclusive year ranges.
    pub year: Vec<(u32, u32)>,
}

impl Filters {
    /// Parses `KEY=VALUE` items; a value may list alternatives separated by commas.
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<Filters, FilterError> {
        let mut f = Filters::default();
        for item in items {
            let item = item.as_ref();
            let (key, values) = item
                .split_once('=')
                .ok_or_else(|| FilterError::Syntax(item.to_string()))?;
            for value in values.split(',').map(str::trim).filter(|v| !v.is_empty()) {
                match key.trim() {
                    "doc_type" | "type" => f.doc_type.push(value.to_lowercase()),
                    "status" => f.status.push(value.to_lowercase()),
                    "lang" => f.lang.push(
                        Lang::parse(value)
                            .ok_or_else(|| FilterError::BadLang(value.to_string()))?,
                    ),
                    "year" => f.year.push(parse_year(value)?),
                    other => return Err(FilterError::UnknownKey(other.to_string())),
                }
            }
            if values.trim().is_empty() {
                return Err(FilterError::Syntax(item.to_string()));
            }
        }
        Ok(f)
    }

    /// Whether no filter is set, so nothing is excluded.
    pub fn is_empty(&self) -> bool {
        self.doc_type.is_empty()
            && self.lang.is_empty()
            && self.status.is_empty()
            && self.year.is_empty()
    }

    /// Whether a chunk with this metadata passes (used where tantivy is not, e.g. vectors).
    pub fn accepts(
        &self,
        doc_type: &str,
        lang: Lang,
        status: Option<&str>,
        year: Option<u32>,
    ) -> bool {
        (self.doc_type.is_empty() || self.doc_type.iter().any(|t| t == doc_type))
            && (self.lang.is_empty() || self.lang.contains(&lang))
            && (self.status.is_empty()
                || status.is_some_and(|s| self.status.iter().any(|t| t == s)))
            && (self.year.is_empty()
                || year.is_some_and(|y| self.year.iter().any(|&(a, b)| a <= y && y <= b)))
    }

    /// A compact description for JSON output.
    pub fn describe(&self) -> BTreeMap<&'static str, String> {
        let mut m = BTreeMap::new();
        if !self.doc_type.is_empty() {
            m.insert("doc_type", self.doc_type.join(","));
        }
        if !self.lang.is_empty() {
            m.insert(
                "lang",
                self.lang
                    .iter()
                    .map(|l| l.code())
                    .collect::<Vec<_>>()
                    .join(","),
            );
        }
        if !self.status.is_empty() {
            m.insert("status", self.status.join(","));
        }
        if !self.year.is_empty() {
            m.insert(
                "year",
                self.year
                    .iter()
                    .map(|(a, b)| {
                        if a == b {
                            a.to_string()
                        } else {
                            format!("{a}..{b}")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(","),
            );
        }
        m
    }
}

fn parse_year(value: &str) -> Result<(u32, u32), FilterError> {
    let bad = || FilterError::BadYear(value.to_string());
    let digits = crate::text::normalize(value);
    let year = |s: &str| {
        s.trim()
            .parse::<u32>()
            .ok()
            .filter(|y| (1000..=9999).contains(y))
    };
    match digits.split_once("..") {
        Some((a, b)) => {
            let (a, b) = (year(a).ok_or_else(bad)?, year(b).ok_or_else(bad)?);
            if a > b {
                return Err(bad());
            }
            Ok((a, b))
        }
        None => year(&digits).map(|y| (y, y)).ok_or_else(bad),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys_values_and_ranges() {
        let f = Filters::parse(&[
            "doc_type=law,policy",
            "lang=fa",
            "year=2010..2020",
            "status=course-note",
        ])
        .unwrap();
        assert_eq!(f.doc_type, vec!["law", "policy"]);
        assert_eq!(f.lang, vec![Lang::Fa]);
        assert_eq!(f.year, vec![(2010, 2020)]);
        assert!(f.accepts("law", Lang::Fa, Some("course-note"), Some(2015)));
        assert!(!f.accepts("law", Lang::En, Some("course-note"), Some(2015)));
        assert!(!f.accepts("law", Lang::Fa, Some("course-note"), None));
        assert_eq!(
            Filters::parse(&["year=۱۹۷۴"]).unwrap().year,
            vec![(1974, 1974)]
        );
    }

    #[test]
    fn bad_filters_are_explained() {
        assert_eq!(
            Filters::parse(&["doc_type"]),
            Err(FilterError::Syntax("doc_type".into()))
        );
        assert_eq!(
            Filters::parse(&["colour=red"]),
            Err(FilterError::UnknownKey("colour".into()))
        );
        assert_eq!(
            Filters::parse(&["lang=de"]),
            Err(FilterError::BadLang("de".into()))
        );
        assert_eq!(
            Filters::parse(&["year=20x"]),
            Err(FilterError::BadYear("20x".into()))
        );
        assert_eq!(
            Filters::parse(&["year=2020..2010"]),
            Err(FilterError::BadYear("2020..2010".into()))
        );
        assert!(Filters::parse(&["lang="]).is_err());
    }
}
