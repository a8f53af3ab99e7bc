//! GDAL and PROJ are opened by the first call into them, not when the program starts
//! (src/lazy_link.rs), and calls through the trampolines pass every kind of argument intact.
//! One test in this file, so that nothing else in the process has called GDAL before it.
#![cfg(citytwin_lazy_link)]

use std::ffi::CStr;
// the trampolines are in this crate: a program that links GDAL without it links it as usual
use citytwin_gis as _;

fn mapped(library: &str) -> bool {
    std::fs::read_to_string("/proc/self/maps")
        .expect("Linux has /proc/self/maps")
        .contains(library)
}

#[test]
fn the_libraries_are_opened_by_their_first_call_and_calls_pass_their_arguments() {
    assert!(!mapped("/libgdal.so"), "libgdal loaded at start");
    assert!(!mapped("/libproj.so"), "libproj loaded at start");

    // the first call of a function with double arguments: they travel in xmm registers,
    // which the resolver must keep while it opens the libraries
    let from_wgs84 =
        proj::Proj::new_known_crs("EPSG:4326", "EPSG:32648", None).expect("PROJ knows both CRS");
    let (x, y) = from_wgs84
        .convert((104.0657f64, 30.6595f64))
        .expect("a point in the zone");
    assert!((x - 410_000.0).abs() < 10_000.0 && (y - 3_392_000.0).abs() < 10_000.0);
    assert!(mapped("/libgdal.so") && mapped("/libproj.so"));

    // a variadic function, whose caller says in al how many vector registers it used
    // SAFETY: a valid format with arguments of the types it names; the result is GDAL's
    // thread-local buffer, read at once
    let text = unsafe {
        let formatted = gdal_sys::CPLSPrintf(c"%d %.2f %s".as_ptr(), 42, 2.5f64, c"km".as_ptr());
        CStr::from_ptr(formatted).to_string_lossy().into_owned()
    };
    assert_eq!(text, "42 2.50 km");

    // and the first call of a function with more integer arguments than registers
    let driver = gdal::DriverManager::get_driver_by_name("MEM").expect("GDAL has MEM");
    let dataset = driver
        .create_with_band_type::<u8, _>("", 7, 5, 3)
        .expect("an in-memory raster");
    assert_eq!((dataset.raster_size(), dataset.raster_count()), ((7, 5), 3));
}
