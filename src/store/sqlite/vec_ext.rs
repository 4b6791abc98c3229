//! Registers sqlite-vec with the SQLite library linked into this binary, once per process.

use std::sync::Once;

static REGISTER: Once = Once::new();

/// Makes `vec_distance_cosine` and the other sqlite-vec functions available on every SQLite
/// connection opened after this call (an SQLite "auto extension").
pub fn register() {
    REGISTER.call_once(register_auto_extension);
}

#[expect(
    unsafe_code,
    reason = "sqlite-vec is statically linked C; registering its init function is one FFI call"
)]
fn register_auto_extension() {
    type Init = unsafe extern "C" fn(
        *mut libsqlite3_sys::sqlite3,
        *mut *mut std::os::raw::c_char,
        *const libsqlite3_sys::sqlite3_api_routines,
    ) -> std::os::raw::c_int;
    // SAFETY: `sqlite3_vec_init` is compiled with SQLITE_CORE against the same libsqlite3
    // (libsqlite3-sys, bundled by sqlx) and has exactly the `Init` signature; the crate
    // declares it without arguments only because it never calls it from Rust.
    // `sqlite3_auto_extension` is thread-safe and may be called before any connection opens.
    let rc = unsafe {
        let init: Init =
            std::mem::transmute::<*const (), Init>(sqlite_vec::sqlite3_vec_init as *const ());
        libsqlite3_sys::sqlite3_auto_extension(Some(init))
    };
    if rc != libsqlite3_sys::SQLITE_OK {
        tracing::error!(sqlite.rc = rc, "registering sqlite-vec failed");
    }
}
