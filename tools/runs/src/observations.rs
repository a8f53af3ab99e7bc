//! Observations to publish, as a sensor gateway sends them: a CSV of
//! `datastream,phenomenon_time,result` rows on one simulated day.

use citytwin_city::DatastreamId;
use citytwin_city::calendar::{clock_seconds, rfc3339_seconds};
use citytwin_ops::Observation;
use citytwin_ops::wire::SimDay;

/// The observations in `file` (`-`: standard input), each on `day`; errors name the file and
/// the line.
pub fn read_observations(file: &std::path::Path, day: &SimDay) -> crate::Result<Vec<Observation>> {
    use crate::RunError;
    let stdin = file == std::path::Path::new("-");
    let text = if stdin {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(RunError::io("reading", "standard input"))?;
        text
    } else {
        std::fs::read_to_string(file).map_err(RunError::io("reading", file))?
    };
    let name = if stdin {
        "standard input".into()
    } else {
        file.to_path_buf()
    };
    parse_observations(&text, day).map_err(|e| RunError::bad_input(name, e))
}

/// Rows of `datastream,phenomenon_time,result` (CSV as RFC 4180 has it: quoted fields, CRLF,
/// a BOM); errors name the line.
pub fn parse_observations(text: &str, day: &SimDay) -> Result<Vec<Observation>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = records
        .next()
        .transpose()
        .map_err(|e| format!("line 1: {e}"))?;
    if header
        .is_none_or(|h| h.iter().collect::<Vec<_>>() != ["datastream", "phenomenon_time", "result"])
    {
        return Err("line 1: expected the header datastream,phenomenon_time,result".into());
    }
    let mut out = Vec::new();
    for record in records {
        let record = record
            .map_err(|e| format!("line {}: {e}", e.position().map_or(0, csv::Position::line)))?;
        let line = record.position().map_or(0, csv::Position::line);
        if record.iter().all(str::is_empty) {
            continue;
        }
        let at = |what: &str| format!("line {line}: {what}");
        let fields: Vec<&str> = record.iter().collect();
        let [ds, time, result] = fields[..] else {
            return Err(at("expected 3 fields: datastream,phenomenon_time,result"));
        };
        let datastream = ds
            .parse()
            .map(DatastreamId)
            .map_err(|_| at(&format!("datastream `{ds}`: expected an id (0, 1, ...)")))?;
        let phenomenon_s = phenomenon_seconds(time, day).ok_or_else(|| {
            at(&format!(
                "phenomenon_time `{time}`: expected ISO 8601 on {} or HH:MM[:SS]",
                day.date
            ))
        })?;
        let result = result
            .parse::<f64>()
            .ok()
            .filter(|r| r.is_finite())
            .ok_or_else(|| at(&format!("result `{result}`: expected a number")))?;
        out.push(Observation {
            datastream,
            phenomenon_s,
            result,
        });
    }
    Ok(out)
}

fn phenomenon_seconds(text: &str, day: &SimDay) -> Option<u32> {
    if text.contains('T') {
        return day.sim_seconds(rfc3339_seconds(text)?);
    }
    clock_seconds(text).filter(|s| *s < 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;
    use citytwin_city::calendar::Date;

    const DAY: SimDay = SimDay {
        date: Date {
            year: 2016,
            month: 12,
            day: 18,
        },
        utc_offset_s: 8 * 3600,
    };

    #[test]
    fn rows_parse_in_either_time_form() {
        let obs = parse_observations(
            "datastream,phenomenon_time,result\n0,08:15,41.5\n1,2016-12-18T08:15:30+08:00,7\n\n",
            &DAY,
        )
        .unwrap();
        assert_eq!(obs.len(), 2);
        assert_eq!(obs[0].phenomenon_s, 8 * 3600 + 15 * 60);
        assert_eq!(obs[1].phenomenon_s, 8 * 3600 + 15 * 60 + 30);
        assert_eq!(obs[1].datastream, DatastreamId(1));
    }

    #[test]
    fn bad_rows_name_their_line() {
        let h = "datastream,phenomenon_time,result\n";
        for (body, expect) in [
            ("x,08:00,1", "line 2: datastream `x`"),
            ("0,25:00,1", "line 2: phenomenon_time `25:00`"),
            ("0,2016-12-19T08:00:00+08:00,1", "phenomenon_time"),
            ("0,08:00,high", "line 2: result `high`"),
            ("0,08:00", "line 2: expected 3 fields"),
        ] {
            let e = parse_observations(&format!("{h}{body}"), &DAY).unwrap_err();
            assert!(e.contains(expect), "{body}: {e}");
        }
        assert!(
            parse_observations("a,b,c\n", &DAY)
                .unwrap_err()
                .contains("header")
        );
    }
}
