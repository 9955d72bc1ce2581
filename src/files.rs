//! The node's own files and folders: the database, the store journal, the
//! admin socket and the keys hold password hashes, sessions and key
//! material, so whatever Sesame creates is its owner's alone (folders 0700,
//! files 0600). What an operator created keeps the mode they gave it.

use std::path::Path;

/// Creates `dir` (and missing parents) 0700 unless it exists.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.as_os_str().is_empty() || dir.exists() {
        return Ok(());
    }
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// Creates the folder `path` goes in, 0700, unless it exists.
pub fn create_private_parent(path: &Path) -> std::io::Result<()> {
    match path.parent() {
        Some(folder) => create_private_dir(folder),
        None => Ok(()),
    }
}

/// An error that names the path it is about, and what was being done.
pub fn at(path: &Path, doing: &str, error: std::io::Error) -> std::io::Error {
    let hint = match error.kind() {
        std::io::ErrorKind::PermissionDenied => {
            " (the user running Sesame needs to own or be able to write this folder)"
        }
        std::io::ErrorKind::NotFound => " (a folder on the way does not exist)",
        _ => "",
    };
    std::io::Error::new(error.kind(), format!("{doing} {}: {error}{hint}", path.display()))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn new_folders_are_the_owners_alone_and_existing_ones_are_left_as_they_are() {
        let root = tempfile::tempdir().unwrap();
        let nested = root.path().join("a/b");
        create_private_parent(&nested.join("file")).unwrap();
        let mode = std::fs::metadata(&nested).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        std::fs::set_permissions(&nested, std::fs::Permissions::from_mode(0o750)).unwrap();
        create_private_dir(&nested).unwrap();
        let mode = std::fs::metadata(&nested).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o750);
    }

    #[test]
    fn errors_name_the_path() {
        let error = at(
            Path::new("/nowhere/data"),
            "creating",
            std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        );
        assert!(error.to_string().contains("creating /nowhere/data"));
        assert!(error.to_string().contains("write this folder"));
    }
}
