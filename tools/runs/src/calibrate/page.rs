//! report.html of a calibration: the fitted parameters, the published figures against the
//! fitted days, the counts' fit, the picture, and every candidate.

use super::report::{Inputs, simulated, stop_reason};
use crate::html_page::{page, png_data_uri};
use maud::html;

const CSS: &str = "body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:1em 0}\
td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}\
.ok{color:#1a6}.miss{color:#c33}code{background:#f5f5f5;padding:1px 4px}";

fn met(ok: bool) -> &'static str {
    if ok { "ok" } else { "miss" }
}

pub fn html(i: &Inputs, png: &[u8]) -> String {
    let o = i.outcome;
    let body = html! {
        p { code { (i.command) } }
        p { (simulated(i.targets, o)) "; " (stop_reason(o.stopped)) "." }
        h2 { "Fitted parameters" }
        table {
            tr { th { "parameter" } th { "start" } th { "fitted" } }
            @for ((_, from, to), n) in o.fitted.iter().zip(i.names) {
                tr { td { (n) } td { (format!("{from:.4}")) } td { (format!("{to:.4}")) } }
            }
        }
        @if !i.targets.indicators.is_empty() {
            h2 { "Published figures" }
            table {
                tr { th { "indicator" } th { "target" } th { "tolerance" } th { "simulated" } th { "source" } }
                @for t in &i.targets.indicators {
                    @let sim = o.observed.indicator(t.kind);
                    tr {
                        td { (t.kind.as_str()) }
                        td { (t.value) }
                        td { "± " (t.tolerance) }
                        td class=(met((sim - t.value).abs() <= t.tolerance)) { (format!("{sim:.3}")) }
                        td style="text-align:left" { (t.source) }
                    }
                }
            }
        }
        @if o.counts.link_bins > 0 {
            h2 { "Counts" }
            table {
                tr { th { "link-bins" } th { "GEH < 5" } th { "R²" } th { "RMSE" } }
                tr {
                    td { (o.counts.link_bins) }
                    td class=(met(o.counts.geh_below_5_share >= 0.85)) {
                        (format!("{:.1}%", o.counts.geh_below_5_share * 100.0))
                    }
                    td { (format!("{:.3}", o.counts.r2)) }
                    td { (format!("{:.1}%", o.counts.rmse_pct)) }
                }
            }
            p {
                "The usual acceptance is GEH < 5 on at least 85% of link-bins. Every link-bin: "
                code { "counts.csv" } "."
            }
        }
        h2 { "The fitted days" }
        table {
            tr {
                th { "seed" } th { "trips" } th { "completed" } th { "peak TTI" } th { "peak speed" }
                th { "veh·km" } th { "stuck moves" }
            }
            @for (seed, s) in (i.targets.seed..).zip(&o.observed.days) {
            tr {
                td { (seed) }
                td { (s.trips) }
                td { (format!("{:.2}%", s.completed_share * 100.0)) }
                td { (format!("{:.3}", s.peak_tti)) }
                td { (format!("{:.1} km/h", s.peak_speed_kmh)) }
                td { (format!("{:.0}", s.vkt_km)) }
                td { (s.stuck_moves) }
            }
            }
        }
        img alt="fit" style="max-width:100%" src=(png_data_uri(png));
        h2 { "Every candidate" }
        p { code { "runs.csv" } }
        table {
            tr {
                th { "run" }
                @for n in i.names { th { (n) } }
                th { "cost" } th { "peak TTI" } th { "peak speed" }
            }
            @for r in &o.runs {
                tr {
                    td { (r.run) }
                    @for v in &r.values { td { (format!("{v:.4}")) } }
                    td { (format!("{:.3}", r.cost)) }
                    td { (format!("{:.3}", r.peak_tti)) }
                    td { (format!("{:.1}", r.peak_speed_kmh)) }
                }
            }
        }
        p { "Map data © OpenStreetMap contributors." }
    };
    page(&format!("Calibration — {}", i.scene), CSS, body)
}
