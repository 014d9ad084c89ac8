//! The web page, compiled into the binary so `envkb serve` works offline: the search, ask,
//! compare and documents views (HTML, CSS, JavaScript), the API docs page, and the Persian
//! font (Vazirmatn, non-Latin subset, under the SIL Open Font License shipped beside it).
//!
//! Owns the bytes and their content types only; the server decides routes and caching.

/// A file of the page.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// The file's bytes, compiled into the binary.
    pub body: &'static [u8],
    pub(crate) content_type: &'static str,
}

const HTML: &str = "text/html; charset=utf-8";

/// Files under `/assets/`, by path.
const ASSETS: &[(&str, Asset)] = &[
    (
        "app.js",
        Asset {
            body: include_bytes!("app.js"),
            content_type: "text/javascript; charset=utf-8",
        },
    ),
    (
        "docs.js",
        Asset {
            body: include_bytes!("docs.js"),
            content_type: "text/javascript; charset=utf-8",
        },
    ),
    (
        "app.css",
        Asset {
            body: include_bytes!("app.css"),
            content_type: "text/css; charset=utf-8",
        },
    ),
    (
        "fonts/Vazirmatn-NL-wght.woff2",
        Asset {
            body: include_bytes!("fonts/Vazirmatn-NL-wght.woff2"),
            content_type: "font/woff2",
        },
    ),
    (
        "favicon.svg",
        Asset {
            body: include_bytes!("favicon.svg"),
            content_type: "image/svg+xml",
        },
    ),
    (
        "fonts/OFL.txt",
        Asset {
            body: include_bytes!("fonts/OFL.txt"),
            content_type: "text/plain; charset=utf-8",
        },
    ),
];

/// The page at `/`.
pub fn index() -> Asset {
    Asset {
        body: include_bytes!("index.html"),
        content_type: HTML,
    }
}

/// The API docs page at `/docs`.
pub fn docs() -> Asset {
    Asset {
        body: include_bytes!("docs.html"),
        content_type: HTML,
    }
}

/// A file under `/assets/`.
pub fn asset(path: &str) -> Option<Asset> {
    ASSETS.iter().find(|(p, _)| *p == path).map(|(_, a)| *a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(a: Asset) -> &'static str {
        std::str::from_utf8(a.body).unwrap()
    }

    #[test]
    fn every_asset_the_pages_reference_is_served() {
        for page in [text(index()), text(docs()), text(asset("app.css").unwrap())] {
            for part in page.split("/assets/").skip(1) {
                let path: String = part
                    .chars()
                    .take_while(|c| !matches!(c, '"' | '\'' | ')' | '?'))
                    .collect();
                assert!(asset(&path).is_some(), "missing asset {path}");
            }
        }
    }

    #[test]
    fn the_font_is_woff2_and_ships_with_its_licence() {
        let font = asset("fonts/Vazirmatn-NL-wght.woff2").unwrap();
        assert_eq!(&font.body[..4], b"wOF2");
        assert!(text(asset("fonts/OFL.txt").unwrap()).contains("SIL Open Font License"));
    }

    #[test]
    fn the_page_is_accessible_and_bilingual_in_its_markup() {
        let html = text(index());
        assert!(html.contains("<html lang=\"fa\" dir=\"rtl\">"));
        assert!(html.contains("name=\"viewport\""));
        // Every input and select has a label.
        for tag in ["<input", "<select", "<textarea"] {
            for part in html.split(tag).skip(1) {
                let id = part
                    .split("id=\"")
                    .nth(1)
                    .and_then(|s| s.split('"').next())
                    .expect("controls have ids");
                assert!(
                    html.contains(&format!("for=\"{id}\""))
                        || part.split('>').next().unwrap().contains("aria-label"),
                    "no label for #{id}"
                );
            }
        }
        let js = text(asset("app.js").unwrap());
        assert!(
            js.contains("fa:") && js.contains("en:"),
            "both UI languages"
        );
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "nothing loads from elsewhere"
        );
    }
}
