//! Unit grid cells over the city, with stable codes.
//!
//! Codes follow the layout of GB/T 30428 unit grid codes — an administrative division prefix
//! (GB/T 2260, e.g. `510100` for Chengdu) followed by the cell's own number — with the number
//! made of the cell's row and column *in the projected CRS itself* (`floor(northing / size)`,
//! `floor(easting / size)`). The code of a place therefore does not change when the imported
//! extent does.

use crate::ids::DistrictId;
use geo::{Coord, Point, Polygon, Rect};
use serde::{Deserialize, Serialize};

/// A regular grid of square cells covering the city extent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    pub cell_size_m: f64,
    pub code_prefix: String,
    /// Absolute row/column of the south-west cell.
    pub first_row: i64,
    pub first_col: i64,
    pub rows: u32,
    pub cols: u32,
    /// District of each cell (by its centre), row-major from the south-west.
    pub districts: Vec<Option<DistrictId>>,
}

/// One cell, addressed by its position in the grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CellRef {
    pub row: u32,
    pub col: u32,
}

/// The most cells a city's grid may have: 100 m cells over 200,000 km², more than any
/// metropolitan region (Chongqing municipality, the largest, is 82,400 km²).
pub const MAX_CELLS: u64 = 20_000_000;

/// Memory a cell may cost over a run, an upper estimate: its district here, its vital-sign
/// state and panel rows in the operations centre.
pub const BYTES_PER_CELL: u64 = 256;

impl Grid {
    /// How many `cell_size_m` squares cover `extent`, before any is made.
    pub fn cell_count(extent: Rect<f64>, cell_size_m: f64) -> u64 {
        let span = |min: f64, max: f64| {
            ((max / cell_size_m).floor() - (min / cell_size_m).floor() + 1.0).max(0.0) as u64
        };
        span(extent.min().y, extent.max().y).saturating_mul(span(extent.min().x, extent.max().x))
    }

    /// Whether a grid of `cell_size_m` over `extent` is within [`MAX_CELLS`] and fits this
    /// machine's free memory; why not otherwise.
    pub fn check_size(extent: Rect<f64>, cell_size_m: f64) -> Result<(), String> {
        let cells = Grid::cell_count(extent, cell_size_m);
        if cells > MAX_CELLS {
            return Err(format!(
                "{cells} cells, at most {MAX_CELLS}: use larger cells"
            ));
        }
        crate::memory::check_fits("grid cells", cells, BYTES_PER_CELL)
    }

    /// The grid of `cell_size_m` squares that covers `extent`.
    pub fn covering(extent: Rect<f64>, cell_size_m: f64, code_prefix: &str) -> Grid {
        assert!(cell_size_m > 0.0, "cell size must be positive");
        let first_row = (extent.min().y / cell_size_m).floor() as i64;
        let first_col = (extent.min().x / cell_size_m).floor() as i64;
        let last_row = (extent.max().y / cell_size_m).floor() as i64;
        let last_col = (extent.max().x / cell_size_m).floor() as i64;
        let rows = (last_row - first_row + 1) as u32;
        let cols = (last_col - first_col + 1) as u32;
        Grid {
            cell_size_m,
            code_prefix: code_prefix.to_string(),
            first_row,
            first_col,
            rows,
            cols,
            districts: vec![None; rows as usize * cols as usize],
        }
    }

    pub fn len(&self) -> usize {
        self.rows as usize * self.cols as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn cells(&self) -> impl Iterator<Item = CellRef> + '_ {
        (0..self.rows).flat_map(move |row| (0..self.cols).map(move |col| CellRef { row, col }))
    }

    /// The cell containing a point; points on a shared edge belong to the cell north/east of it.
    pub fn cell_at(&self, p: Point<f64>) -> Option<CellRef> {
        let row = (p.y() / self.cell_size_m).floor() as i64;
        let col = (p.x() / self.cell_size_m).floor() as i64;
        self.local_cell(row, col)
    }

    /// The grid's cell at an absolute UTM row/column, if the grid covers it.
    fn local_cell(&self, abs_row: i64, abs_col: i64) -> Option<CellRef> {
        let (row, col) = (abs_row - self.first_row, abs_col - self.first_col);
        let inside =
            row >= 0 && col >= 0 && row < i64::from(self.rows) && col < i64::from(self.cols);
        inside.then_some(CellRef {
            row: row as u32,
            col: col as u32,
        })
    }

    /// The cell's position in row-major order from the south-west (for per-cell vectors).
    pub fn slot(&self, cell: CellRef) -> usize {
        cell.row as usize * self.cols as usize + cell.col as usize
    }

    pub fn district(&self, cell: CellRef) -> Option<DistrictId> {
        self.districts[self.slot(cell)]
    }

    pub fn set_district(&mut self, cell: CellRef, district: Option<DistrictId>) {
        let slot = self.slot(cell);
        self.districts[slot] = district;
    }

    /// Digits needed for absolute rows and columns anywhere in a UTM zone at this cell size.
    fn widths(&self) -> (usize, usize) {
        let digits = |max: f64| {
            let largest = ((max / self.cell_size_m).ceil() as u64).saturating_sub(1);
            largest.to_string().len()
        };
        (digits(10_000_000.0), digits(1_000_000.0))
    }

    /// The stable code, e.g. `510100339404099` (prefix, absolute row, absolute column).
    pub fn code(&self, cell: CellRef) -> String {
        let (rw, cw) = self.widths();
        format!(
            "{}{:0rw$}{:0cw$}",
            self.code_prefix,
            self.first_row + i64::from(cell.row),
            self.first_col + i64::from(cell.col),
        )
    }

    /// The cell with a given code, if it is in this grid.
    pub fn cell_by_code(&self, code: &str) -> Option<CellRef> {
        let (rw, cw) = self.widths();
        let rest = code.strip_prefix(self.code_prefix.as_str())?;
        if rest.len() != rw + cw {
            return None;
        }
        let row: i64 = rest[..rw].parse().ok()?;
        let col: i64 = rest[rw..].parse().ok()?;
        self.local_cell(row, col)
    }

    pub fn rect(&self, cell: CellRef) -> Rect<f64> {
        let s = self.cell_size_m;
        let x0 = (self.first_col + i64::from(cell.col)) as f64 * s;
        let y0 = (self.first_row + i64::from(cell.row)) as f64 * s;
        Rect::new(
            Coord { x: x0, y: y0 },
            Coord {
                x: x0 + s,
                y: y0 + s,
            },
        )
    }

    pub fn polygon(&self, cell: CellRef) -> Polygon<f64> {
        self.rect(cell).to_polygon()
    }

    pub fn centre(&self, cell: CellRef) -> Point<f64> {
        self.rect(cell).center().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_are_counted_before_they_are_made_and_huge_ones_refused() {
        let extent = Rect::new((0.0, 0.0), (250.0, 150.0));
        assert_eq!(Grid::cell_count(extent, 100.0), 6);
        assert_eq!(
            Grid::cell_count(extent, 100.0),
            Grid::covering(extent, 100.0, "").len() as u64
        );
        assert!(Grid::check_size(extent, 100.0).is_ok());
        // 10 m cells over a 125 × 100 km region: 125 million
        let region = Rect::new((0.0, 0.0), (125_000.0, 100_000.0));
        let e = Grid::check_size(region, 10.0).unwrap_err();
        assert!(e.contains("at most 20000000"), "{e}");
    }

    fn grid() -> Grid {
        Grid::covering(
            Rect::new((409_950.0, 3_393_400.0), (410_420.0, 3_393_690.0)),
            100.0,
            "510100",
        )
    }

    #[test]
    fn covers_extent_with_absolute_rows() {
        let g = grid();
        assert_eq!((g.rows, g.cols), (3, 6));
        assert_eq!(g.first_row, 33_934);
        assert_eq!(g.code(CellRef { row: 0, col: 0 }), "510100339344099");
    }

    #[test]
    fn codes_round_trip_and_locate() {
        let g = grid();
        for cell in g.cells() {
            assert_eq!(g.cell_by_code(&g.code(cell)), Some(cell));
            assert_eq!(g.cell_at(g.centre(cell)), Some(cell));
        }
        assert_eq!(g.cell_at(Point::new(0.0, 0.0)), None);
    }
}
