//! Writing a set out: the participants' handout and the trainer's key, as Markdown (for
//! editing), HTML (self-contained and printable; `dir="rtl"` and `lang="fa"` for Persian) or
//! JSONL (for other tools: the handout holds tasks only, the key whole items that
//! [`super::validate`] can check again).
//!
//! Owns wording in both languages (`labels`), layout and escaping (`markdown`, `html`, and
//! JSONL here); it never looks at the index.

mod html;
mod labels;
mod markdown;

use super::{ExerciseSet, Item, Kind, PassageRef};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
// A doc comment on a clap value becomes its `--help` text.
#[allow(missing_docs)]
pub enum Format {
    Md,
    Html,
    Jsonl,
}

impl Format {
    /// The file extension of the format.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Md => "md",
            Format::Html => "html",
            Format::Jsonl => "jsonl",
        }
    }
}

/// The two files of a set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The participants' handout.
    pub exercises: String,
    /// The trainer's key.
    pub key: String,
}

/// Renders `set` in `format`.
pub fn render(set: &ExerciseSet, format: Format) -> Rendered {
    let l = labels(set.options.lang);
    match format {
        Format::Jsonl => Rendered {
            exercises: jsonl(set, false),
            key: jsonl(set, true),
        },
        Format::Md => Rendered {
            exercises: markdown(set, l, false),
            key: markdown(set, l, true),
        },
        Format::Html => Rendered {
            exercises: html(set, l, false),
            key: html(set, l, true),
        },
    }
}

use html::html;
pub(crate) use labels::{labels, Labels};
use markdown::markdown;

fn crumbs(p: &PassageRef) -> String {
    p.breadcrumb.join(" › ")
}

fn rank_text(r: Option<usize>) -> String {
    r.map_or_else(|| "—".to_string(), |r| r.to_string())
}

/// Items grouped by kind, in handout order, skipping kinds without items.
fn sections(set: &ExerciseSet) -> Vec<(Kind, Vec<&Item>)> {
    Kind::ALL
        .iter()
        .map(|&k| {
            (
                k,
                set.items
                    .iter()
                    .filter(|i| i.body.kind() == k)
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, items)| !items.is_empty())
        .collect()
}

fn subtitle(set: &ExerciseSet, l: &Labels) -> String {
    format!(
        "{}: {} · {} {} · {} {}",
        l.drawn_from,
        set.options.scope(),
        l.seed,
        set.options.seed,
        l.generation,
        set.index_generation
    )
}

fn jsonl(set: &ExerciseSet, key: bool) -> String {
    let mut out = String::new();
    for item in &set.items {
        let value = if key {
            serde_json::to_value(item).unwrap_or_default()
        } else {
            serde_json::json!({
                "id": item.id,
                "kind": item.body.kind().name(),
                "lang": set.options.lang.code(),
                "task": item.body.task_json(),
            })
        };
        out.push_str(&value.to_string());
        out.push('\n');
    }
    out
}
