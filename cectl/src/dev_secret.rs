//! The per-machine development secret `cectl listen` signs forwarded events with: a Standard
//! Webhooks secret generated on first use and kept in the user's configuration directory
//! (`$XDG_CONFIG_HOME/cectl/dev-secret`, else `~/.config/cectl/dev-secret` on Linux), readable
//! by the user only, so a local endpoint can be configured with it once.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use shared_events::webhook::WebhookSecret;

use crate::exit::Failure;

/// Where the secret is kept, when the platform has a configuration directory.
pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|dir| dir.join("cectl").join("dev-secret"))
}

/// The secret stored at `path`, generated and stored first if there is none.
///
/// # Errors
/// An error [`Failure`] when the file cannot be read or written, or holds no valid secret.
pub fn load_or_create(path: &Path) -> Result<WebhookSecret, Failure> {
    let shown = path.display();
    match std::fs::read_to_string(path) {
        Ok(text) => {
            return WebhookSecret::parse(text.trim()).map_err(|e| {
                Failure::error(format!(
                    "{shown} does not hold a whsec_ secret ({e}); delete it to get a new one"
                ))
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Failure::error(format!("cannot read {shown}: {e}"))),
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::error(format!("cannot create {}: {e}", dir.display())))?;
    }
    let secret = WebhookSecret::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            writeln!(file, "{}", secret.expose())
                .map_err(|e| Failure::error(format!("cannot write {shown}: {e}")))?;
            Ok(secret)
        }
        // Another cectl created it meanwhile: use that one.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => load_or_create(path),
        Err(e) => Err(Failure::error(format!("cannot create {shown}: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_is_generated_once_and_then_kept() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("cectl").join("dev-secret");
        let first = load_or_create(&path).expect("created");
        let second = load_or_create(&path).expect("read back");
        assert_eq!(first, second);
        let text = std::fs::read_to_string(&path).expect("stored");
        assert!(text.starts_with("whsec_"), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path)
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_damaged_file_is_reported_not_replaced() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("dev-secret");
        std::fs::write(&path, "not a secret").expect("written");
        let failure = load_or_create(&path).expect_err("refused");
        assert!(failure.message.contains("delete it"), "{}", failure.message);
        assert_eq!(
            std::fs::read_to_string(&path).expect("kept"),
            "not a secret"
        );
    }
}
