//! One file per command.

pub mod schema_check;
pub mod schema_compat;
pub mod validate;

use crate::exit::Exit;
use std::path::Path;

/// Reads a file, or stdin for `-`; an unreadable input is a usage error.
pub fn read_input(path: &Path) -> Result<Vec<u8>, Exit> {
    let result = if path.as_os_str() == "-" {
        let mut buffer = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buffer).map(|_| buffer)
    } else {
        std::fs::read(path)
    };
    result.map_err(|e| {
        eprintln!("cectl: cannot read {}: {e}", path.display());
        Exit::Usage
    })
}
