//! A TNTP network file: the metadata's counts checked, then one link per line.

use super::{
    BYTES_PER_LINK, MAX_LINKS, MAX_NODES, TntpError, TntpLink, TntpNet, data_lines, meta_u32,
    metadata, read,
};
use std::path::Path;

pub fn read_net(path: &Path) -> Result<TntpNet, TntpError> {
    let text = read(path)?;
    let (meta, start) = metadata(path, &text)?;
    let NetCounts {
        zones,
        nodes,
        links: declared_links,
        first_thru_node,
    } = NetCounts::of(path, &meta)?;
    // the declared count is a claim, not a promise: reserve no more than the file can hold
    let mut links = Vec::with_capacity((declared_links as usize).min(text.len() / 20 + 1));
    for (line_no, line) in data_lines(&text, start) {
        links.push(link_of_line(path, line_no, line, nodes)?);
    }
    if links.len() != declared_links as usize {
        return Err(TntpError::Invalid {
            path: path.to_path_buf(),
            message: format!(
                "<NUMBER OF LINKS> says {declared_links} but the file has {} (truncated?)",
                links.len()
            ),
        });
    }
    Ok(TntpNet {
        zones,
        nodes,
        first_thru_node,
        links,
    })
}

/// The counts a network file's metadata declares, checked against each other and the limits.
struct NetCounts {
    zones: u32,
    nodes: u32,
    links: u32,
    first_thru_node: u32,
}

impl NetCounts {
    fn of(path: &Path, meta: &[(String, String)]) -> Result<NetCounts, TntpError> {
        let need = |key: &str| -> Result<u32, TntpError> {
            meta_u32(path, meta, key)?.ok_or_else(|| TntpError::Invalid {
                path: path.to_path_buf(),
                message: format!("missing <{key}> in the metadata"),
            })
        };
        let (zones, nodes, links) = (
            need("NUMBER OF ZONES")?,
            need("NUMBER OF NODES")?,
            need("NUMBER OF LINKS")?,
        );
        let invalid = |message: String| TntpError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        if !(1..=MAX_NODES).contains(&nodes) {
            return Err(invalid(format!(
                "<NUMBER OF NODES> {nodes}: expected 1 to {MAX_NODES}"
            )));
        }
        if links > MAX_LINKS {
            return Err(invalid(format!(
                "<NUMBER OF LINKS> {links}: at most {MAX_LINKS}"
            )));
        }
        // what the assignment will hold per link (flows, costs, paths through it) and per node
        citytwin_city::memory::check_fits("<NUMBER OF LINKS>", u64::from(links), BYTES_PER_LINK)
            .and_then(|()| {
                citytwin_city::memory::check_fits("<NUMBER OF NODES>", u64::from(nodes), 64)
            })
            .map_err(&invalid)?;
        if zones > nodes {
            return Err(invalid(format!(
                "<NUMBER OF ZONES> {zones} is more than <NUMBER OF NODES> {nodes}: zones are the first nodes"
            )));
        }
        let first_thru_node = meta_u32(path, meta, "FIRST THRU NODE")?.unwrap_or(1);
        // 1: paths may pass through zones; zones + 1: they may not. Anything between would make
        // some zones' centroids through nodes and others not; past it real nodes become dead ends.
        if !(first_thru_node == 1 || first_thru_node == zones + 1) {
            return Err(invalid(format!(
                "<FIRST THRU NODE> {first_thru_node}: expected 1 (paths may pass through zones) or {} (<NUMBER OF ZONES> + 1: they may not)",
                zones + 1
            )));
        }
        Ok(NetCounts {
            zones,
            nodes,
            links,
            first_thru_node,
        })
    }
}

/// One link line: `init_node term_node capacity length free_flow_time b power speed toll
/// link_type ;`, checked.
fn link_of_line(
    path: &Path,
    line_no: usize,
    line: &str,
    nodes: u32,
) -> Result<TntpLink, TntpError> {
    let err = |message: String| TntpError::Parse {
        path: path.to_path_buf(),
        line: line_no,
        message,
    };
    let fields: Vec<&str> = line
        .trim_end_matches(';')
        .split_whitespace()
        .filter(|f| *f != ";")
        .collect();
    if fields.len() < 10 {
        return Err(err(format!(
            "expected 10 fields (init_node term_node capacity length free_flow_time b power speed toll link_type), found {}",
            fields.len()
        )));
    }
    let num = |k: usize, name: &str| -> Result<f64, TntpError> {
        fields[k]
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| err(format!("{name} should be a number, found {:?}", fields[k])))
    };
    let node = |k: usize, name: &str| -> Result<u32, TntpError> {
        fields[k]
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=nodes).contains(n))
            .ok_or_else(|| {
                err(format!(
                    "{name} should be a node number in 1..={nodes}, found {:?}",
                    fields[k]
                ))
            })
    };
    let link = TntpLink {
        from: node(0, "init_node")?,
        to: node(1, "term_node")?,
        capacity: num(2, "capacity")?,
        length: num(3, "length")?,
        free_flow_time: num(4, "free_flow_time")?,
        b: num(5, "b")?,
        power: num(6, "power")?,
        speed: num(7, "speed")?,
        toll: num(8, "toll")?,
        link_type: num(9, "link_type")? as i64,
    };
    // negative costs would let a path gain by looping: no shortest path exists
    let costs = [
        link.free_flow_time,
        link.capacity,
        link.b,
        link.length,
        link.toll,
    ];
    if costs.iter().any(|v| *v < 0.0) {
        return Err(err(
            "capacity, length, free_flow_time, b and toll must not be negative".into(),
        ));
    }
    if link.b > 0.0 && link.capacity < 1e-3 {
        return Err(err(format!(
            "a congestible link (b > 0) needs a capacity of at least 0.001, found {}",
            link.capacity
        )));
    }
    if link.b > 0.0 && !(link.power > 0.0 && link.power <= 20.0) {
        return Err(err(format!(
            "power: expected a BPR exponent above 0 and at most 20 (4 is usual), found {}",
            link.power
        )));
    }
    Ok(link)
}
