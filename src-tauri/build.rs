fn main() {
    // The config lives at the repository root (the product card asks for it there). tauri-build
    // 2.6 reads `tauri.conf.json` from this crate's directory only (no `config_path` before 2.7),
    // so `src-tauri/tauri.conf.json` is a symlink to `../tauri.conf.json`; the context macro in
    // lib.rs names the root file directly, so paths inside it resolve from the repository root.
    println!("cargo:rerun-if-changed=../tauri.conf.json");
    println!("cargo:rerun-if-changed=capabilities");
    if let Err(e) = tauri_build::try_build(tauri_build::Attributes::new()) {
        panic!("tauri build step failed: {e:#}");
    }
}
