//! Self-contained HTML reports (compare, calibrate): maud templates, which escape whatever
//! they insert, and pictures inlined as base64 data URIs so one file can be mailed around.

use base64::Engine as _;
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// A PNG as a `data:` URI for an `<img src>`.
pub fn png_data_uri(png: &[u8]) -> String {
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    )
}

/// A whole page: `title` in the head and as the heading, `css` as its style sheet, then `body`.
pub fn page(title: &str, css: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (title) }
                style { (PreEscaped(css)) }
            }
            body {
                h1 { (title) }
                (body)
            }
        }
    }
    .into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_escape_what_they_insert_and_inline_pictures() {
        let text = page("a <b> & \"c\"", "td{color:red}", html! { p { "x < y" } });
        assert!(text.starts_with("<!DOCTYPE html>"), "{text}");
        assert!(
            text.contains("<h1>a &lt;b&gt; &amp; &quot;c&quot;</h1>"),
            "{text}"
        );
        assert!(text.contains("<p>x &lt; y</p>"), "{text}");
        assert!(text.contains("<style>td{color:red}</style>"), "{text}");
        // RFC 4648 test vectors
        assert_eq!(png_data_uri(b"foobar"), "data:image/png;base64,Zm9vYmFy");
        assert_eq!(png_data_uri(b"fo"), "data:image/png;base64,Zm8=");
    }
}
