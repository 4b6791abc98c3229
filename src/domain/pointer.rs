//! JSON pointers (RFC 6901): how every error names the value at fault.

use serde_path_to_error::{Path, Segment};

/// One reference token, escaped: `~` → `~0`, `/` → `~1`.
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// A deserialisation path as a JSON pointer: `a.b[0]` → `/a/b/0`; the root → ``.
pub fn pointer_of(path: &Path) -> String {
    path.iter()
        .map(|seg| match seg {
            Segment::Seq { index } => format!("/{index}"),
            Segment::Map { key } => format!("/{}", escape_token(key)),
            Segment::Enum { variant } => format!("/{}", escape_token(variant)),
            Segment::Unknown => String::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn path_of_error<T: serde::de::DeserializeOwned + std::fmt::Debug>(
        json: serde_json::Value,
    ) -> String {
        let err = serde_path_to_error::deserialize::<_, T>(json).unwrap_err();
        pointer_of(err.path())
    }

    #[test]
    fn nested_paths_become_pointers() {
        let p = path_of_error::<HashMap<String, Vec<Vec<u8>>>>(
            serde_json::json!({"a": [[1], [2, "x"]]}),
        );
        assert_eq!(p, "/a/1/1");
    }

    #[test]
    fn keys_with_slash_and_tilde_are_escaped() {
        let p = path_of_error::<HashMap<String, u8>>(serde_json::json!({"a/b~c": "x"}));
        assert_eq!(p, "/a~1b~0c");
    }

    #[test]
    fn the_root_is_the_empty_pointer() {
        assert_eq!(path_of_error::<u8>(serde_json::json!("x")), "");
    }
}
