//! GDAL and PROJ, opened when first called instead of when the program starts.
//!
//! libgdal brings about 110 libraries and 58,000 symbol relocations with it; the dynamic
//! loader spent ~35 ms on them at the start of every process, a tenth of a SUMO demo city's
//! whole run, which never touches GDAL (docs/benchmarks.md). build.rs gives every C function
//! the two libraries export a trampoline here (the technique of Implib.so): the first call of
//! any of them opens the libraries with `dlopen` and looks the function up; later calls jump
//! straight to it. What the program does with GDAL is unchanged; only when it is loaded moves.

use std::ffi::{CStr, c_void};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

include!(concat!(env!("OUT_DIR"), "/lazy_link.rs"));

/// Each function's address once looked up; 0 until then.
static SLOTS: [AtomicUsize; FUNCTIONS.len()] = [const { AtomicUsize::new(0) }; FUNCTIONS.len()];

// The resolver saves every register a call may pass arguments in (rdi, rsi, rdx, rcx, r8, r9;
// al for variadic functions such as CPLError; xmm0–7), asks [`resolve`] for the function's
// address, restores them and jumps there, so the function runs as if called directly. The
// stack is aligned to 16 bytes for the call: a trampoline is entered with rsp ≡ 8 (mod 16),
// and the push plus 192 bytes make it 0.
std::arch::global_asm!(
    ".pushsection .text.citytwin_lazy_link,\"ax\",@progbits",
    ".p2align 4",
    ".Lcitytwin_lazy_common:",
    "    push rbp",
    "    mov rbp, rsp",
    "    sub rsp, 192",
    "    mov [rsp], rdi",
    "    mov [rsp + 8], rsi",
    "    mov [rsp + 16], rdx",
    "    mov [rsp + 24], rcx",
    "    mov [rsp + 32], r8",
    "    mov [rsp + 40], r9",
    "    mov [rsp + 48], rax",
    "    movdqu [rsp + 64], xmm0",
    "    movdqu [rsp + 80], xmm1",
    "    movdqu [rsp + 96], xmm2",
    "    movdqu [rsp + 112], xmm3",
    "    movdqu [rsp + 128], xmm4",
    "    movdqu [rsp + 144], xmm5",
    "    movdqu [rsp + 160], xmm6",
    "    movdqu [rsp + 176], xmm7",
    "    mov rdi, r11",
    "    call {resolve}",
    "    mov r11, rax",
    "    mov rdi, [rsp]",
    "    mov rsi, [rsp + 8]",
    "    mov rdx, [rsp + 16]",
    "    mov rcx, [rsp + 24]",
    "    mov r8, [rsp + 32]",
    "    mov r9, [rsp + 40]",
    "    mov rax, [rsp + 48]",
    "    movdqu xmm0, [rsp + 64]",
    "    movdqu xmm1, [rsp + 80]",
    "    movdqu xmm2, [rsp + 96]",
    "    movdqu xmm3, [rsp + 112]",
    "    movdqu xmm4, [rsp + 128]",
    "    movdqu xmm5, [rsp + 144]",
    "    movdqu xmm6, [rsp + 160]",
    "    movdqu xmm7, [rsp + 176]",
    "    leave",
    "    jmp r11",
    include_str!(concat!(env!("OUT_DIR"), "/lazy_link.s")),
    ".popsection",
    resolve = sym resolve,
    slots = sym SLOTS,
);

/// The address of function `index`, opening the libraries on the first call. A library or
/// function that cannot be found ends the program as the dynamic loader would have at start
/// (exit code 127), naming it: no caller of a C function can be handed an error instead.
extern "C" fn resolve(index: usize) -> usize {
    static HANDLES: OnceLock<Vec<usize>> = OnceLock::new();
    let handles = HANDLES.get_or_init(|| LIBRARIES.iter().map(|soname| open(soname)).collect());
    let (name, library) = FUNCTIONS[index];
    // SAFETY: the handle is dlopen's, never closed; the name is a C string
    let address = unsafe { libc::dlsym(handles[library] as *mut c_void, name.as_ptr()) } as usize;
    if address == 0 {
        fail(&format!(
            "{} has no function {}",
            LIBRARIES[library].to_string_lossy(),
            name.to_string_lossy()
        ));
    }
    SLOTS[index].store(address, Ordering::Release);
    address
}

fn open(soname: &CStr) -> usize {
    // SAFETY: a C string; RTLD_GLOBAL as if the library had been linked, for GDAL's plugins
    let handle = unsafe { libc::dlopen(soname.as_ptr(), libc::RTLD_LAZY | libc::RTLD_GLOBAL) };
    if handle.is_null() {
        fail(&format!(
            "cannot open {}: {}",
            soname.to_string_lossy(),
            last_error()
        ));
    }
    handle as usize
}

fn last_error() -> String {
    // SAFETY: dlerror returns null or a C string valid until the next dl call on this thread
    let text = unsafe { libc::dlerror() };
    if text.is_null() {
        return "unknown error".to_owned();
    }
    // SAFETY: non-null, NUL-terminated, read before any other dl call
    unsafe { CStr::from_ptr(text) }
        .to_string_lossy()
        .into_owned()
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message} (GDAL and PROJ are needed for this command)");
    std::process::exit(127);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_holds_both_libraries_and_the_functions_the_bindings_call() {
        assert_eq!(LIBRARIES.len(), 2);
        let has = |name: &str| {
            FUNCTIONS
                .iter()
                .any(|(n, _)| n.to_bytes() == name.as_bytes())
        };
        for name in [
            "GDALOpenEx",
            "OGR_F_Create",
            "OSRNewSpatialReference",
            "CPLError",
        ] {
            assert!(has(name), "{name}");
        }
        assert!(has("proj_create_crs_to_crs"));
    }
}
