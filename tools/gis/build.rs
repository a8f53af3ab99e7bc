//! GDAL and PROJ linked lazily on x86-64 Linux (see src/lazy_link.rs): every C function the two
//! libraries export gets a trampoline in this crate, so the linker finds no symbol to take
//! from them and leaves them out of the program's needed libraries; they are opened when the
//! first GDAL or PROJ function is called. Loading libgdal's 110 libraries costs every process
//! ~35 ms whether it touches a GeoPackage or not (docs/benchmarks.md).
//!
//! Elsewhere, or where pkg-config does not find the libraries, or with CITYTWIN_EAGER_LINK
//! set, nothing is generated and the libraries are linked as usual.

use object::read::elf::{Dyn, ElfFile64};
use object::{Object, ObjectSymbol, SymbolKind, elf};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// A library linked lazily: its pkg-config name and the prefixes of the functions its Rust
/// bindings call (C++ symbols and bundled third-party names are left alone).
const LIBRARIES: [(&str, &[&str]); 2] = [
    ("gdal", &["GDAL", "OGR", "OSR", "OCT", "CPL", "VSI", "CSL"]),
    ("proj", &["proj_"]),
];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=CITYTWIN_EAGER_LINK");
    println!("cargo::rustc-check-cfg=cfg(citytwin_lazy_link)");
    let target = |key: &str| std::env::var(key).unwrap_or_default();
    let supported = target("CARGO_CFG_TARGET_ARCH") == "x86_64"
        && target("CARGO_CFG_TARGET_OS") == "linux"
        && target("CARGO_CFG_TARGET_ENV") == "gnu";
    if !supported || std::env::var_os("CITYTWIN_EAGER_LINK").is_some() {
        return;
    }
    let mut found = Vec::new();
    for (name, prefixes) in LIBRARIES {
        match exported_functions(name, prefixes) {
            Ok(library) => found.push(library),
            Err(why) => {
                println!("cargo::warning={name}: linked as usual, not lazily: {why}");
                return;
            }
        }
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("lazy_link.s"), trampolines(&found)).expect("OUT_DIR is writable");
    std::fs::write(out.join("lazy_link.rs"), symbol_table(&found)).expect("OUT_DIR is writable");
    println!("cargo::rustc-cfg=citytwin_lazy_link");
}

struct Library {
    soname: String,
    functions: Vec<String>,
}

fn exported_functions(name: &str, prefixes: &[&str]) -> Result<Library, String> {
    let probe = pkg_config::Config::new()
        .cargo_metadata(false)
        .probe(name)
        .map_err(|e| e.to_string())?;
    let file = probe
        .link_paths
        .iter()
        .map(|dir| dir.join(format!("lib{name}.so")))
        .find(|path| path.exists())
        .ok_or_else(|| format!("no lib{name}.so in {:?}", probe.link_paths))?;
    println!("cargo::rerun-if-changed={}", file.display());
    read_elf(&file, prefixes).map_err(|e| format!("{}: {e}", file.display()))
}

fn read_elf(path: &Path, prefixes: &[&str]) -> Result<Library, Box<dyn std::error::Error>> {
    let data = std::fs::read(path)?;
    let elf = ElfFile64::<object::Endianness>::parse(&*data)?;
    let (endian, sections) = (elf.endian(), elf.elf_section_table());
    let (entries, strings_index) = sections
        .dynamic(endian, &*data)?
        .ok_or("no dynamic section")?;
    let strings = sections.strings(endian, &*data, strings_index)?;
    let soname = entries
        .iter()
        .find(|d| d.tag32(endian) == Some(elf::DT_SONAME))
        .ok_or("no DT_SONAME")?
        .string(endian, strings)?;
    let mut functions: Vec<String> = elf
        .dynamic_symbols()
        .filter(|s| s.kind() == SymbolKind::Text && s.is_definition() && s.is_global())
        .filter_map(|s| s.name().ok().map(str::to_owned))
        .filter(|n| prefixes.iter().any(|p| n.starts_with(p)))
        .collect();
    // a symbol with several versions is listed once per version
    functions.sort();
    functions.dedup();
    Ok(Library {
        soname: String::from_utf8(soname.to_vec())?,
        functions,
    })
}

/// One trampoline per function: jump through its slot, or, while the slot is empty, to the
/// resolver with the function's index in r11 (a scratch register no call passes arguments in).
/// Hidden, so the program never exports them to the libraries it loads.
fn trampolines(libraries: &[Library]) -> String {
    let mut asm = String::new();
    let names = libraries.iter().flat_map(|l| &l.functions);
    for (index, name) in names.enumerate() {
        let _ = write!(
            asm,
            "    .globl {name}\n    .hidden {name}\n    .type {name},@function\n    .p2align 4\n\
             {name}:\n    mov r11, qword ptr [rip + {{slots}} + {offset}]\n    test r11, r11\n\
             \x20   jz .Lcitytwin_resolve_{index}\n    jmp r11\n.Lcitytwin_resolve_{index}:\n\
             \x20   mov r11d, {index}\n    jmp .Lcitytwin_lazy_common\n",
            offset = index * 8
        );
    }
    asm
}

fn symbol_table(libraries: &[Library]) -> String {
    let mut rust =
        String::from("/// Each lazily linked library's soname.\nconst LIBRARIES: &[&CStr] = &[\n");
    for library in libraries {
        let _ = writeln!(rust, "    c\"{}\",", library.soname);
    }
    rust.push_str("];\n/// Each trampoline's function and the library it is in.\nconst FUNCTIONS: &[(&CStr, usize)] = &[\n");
    for (which, library) in libraries.iter().enumerate() {
        for name in &library.functions {
            let _ = writeln!(rust, "    (c\"{name}\", {which}),");
        }
    }
    rust.push_str("];\n");
    rust
}
