//! One file per command.

pub mod build;
pub mod completion;
pub mod deliveries;
pub mod dlq;
pub mod events;
pub mod jobs;
pub mod listen;
pub mod receive;
pub mod replay;
pub mod schema_check;
pub mod schema_compat;
pub mod send;
pub mod sign;
pub mod subscriptions;
pub mod tail;
pub mod validate;
pub mod verify;

use crate::exit::Exit;
use std::path::Path;
use std::time::Duration;

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

/// Parses a duration as `300`, `300s`, `5m`, `2h` or `1d` (whole units).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 30s, 5m, 2h or 1d"))?;
    let seconds = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("`{unit}` is not a unit: use s, m, h or d")),
    };
    Ok(Duration::from_secs(n.saturating_mul(seconds)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_unit() {
        assert_eq!(parse_duration("300"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
        assert!(parse_duration("5 minutes").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("-5s").is_err());
    }
}
