//! report.html of a comparison: the scenario, the settings, the figures table and the plots,
//! inline.

use super::plots::Image;
use super::report::{Comparison, number};
use crate::error::{Result, RunError};
use crate::html_page::{page, png_data_uri};
use crate::options::clock;
use maud::html;
use std::path::Path;

const CSS: &str = "body{font-family:sans-serif;margin:2em auto;max-width:1200px;color:#222}\
table{border-collapse:collapse;font-size:14px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}\
td:first-child,th:first-child{text-align:left}tr.sig{background:#fff1e0}img{max-width:100%;border:1px solid #ddd}\
code{background:#f4f4f4;padding:1px 4px}";

pub fn html(c: &Comparison, window: (u32, u32), images: &[Image], out: &Path) -> Result<String> {
    let s = &c.scenario.scenario;
    let pictures = images
        .iter()
        .map(|image| {
            let path = out.join(image.file);
            std::fs::read(&path)
                .map_err(RunError::io("reading", &path))
                .map(|bytes| (image.title, png_data_uri(&bytes)))
        })
        .collect::<Result<Vec<_>>>()?;
    let seeds: Vec<String> = c.seeds.iter().map(u64::to_string).collect();
    let body = html! {
        p { (s.description) }
        p {
            "Scene " code { (c.scene) } ", scenario " code { (c.scenario.path.display()) } "; "
            "simulated " (clock(window.0)) "–" (clock(window.1)) "; seeds " (seeds.join(", "))
            @if !c.complete { " (interrupted: only these seeds finished)" }
            ". Each seed runs once as baseline and once as variant (common random numbers); \
             intervals are 95% Student-t intervals of the paired differences; a figure is \
             marked significant when its interval leaves out zero."
        }
        h2 { "Edits" }
        ol { @for e in &s.edits { li { code { (format!("{e:?}")) } } } }
        h2 { "Figures" }
        table {
            tr {
                th { "figure" } th { "baseline" } th { "variant" } th { "difference" }
                th { "95% interval" } th { "change" } th { "significant" }
            }
            @for (name, d) in &c.kpis {
                tr class=[d.significant.then_some("sig")] {
                    td { (name) }
                    td { (number(d.baseline_mean)) }
                    td { (number(d.variant_mean)) }
                    td { (number(d.difference)) }
                    td {
                        @match d.ci95 {
                            Some((lo, hi)) => { (number(lo)) " … " (number(hi)) }
                            None => { "–" }
                        }
                    }
                    td {
                        @match d.relative_difference {
                            Some(r) => { (format!("{:+.1}%", r * 100.0)) }
                            None => { "–" }
                        }
                    }
                    td { (if d.significant { "yes" } else { "no" }) }
                }
            }
        }
        @if !c.unpaired.is_empty() {
            p {
                "Not compared (missing from some runs, e.g. where one side has no bikes): "
                code { (c.unpaired.join(", ")) } "."
            }
        }
        @for (title, uri) in &pictures {
            h2 { (title) }
            img alt=(title) src=(uri);
        }
        p {
            "Per-link and per-fence differences: " code { "compare.gpkg" }
            " (layers link_diff and fence_diff). Every run's summary: " code { "runs/" }
            ". Map data © OpenStreetMap contributors."
        }
    };
    let title = format!("{} — comparison with the baseline", s.name);
    Ok(page(&title, CSS, body))
}
