//! The `?inline` flag: which nested collections and large attributes a response includes.

/// A parsed `?inline` flag, relative to the entity being rendered.
///
/// `*` inlines everything; `a.b` inlines collection `a` and, inside each of its entities, `b`;
/// `a` inlines `a` alone. A bare `?inline` means `*`.
///
/// ```
/// use shared_events::registry::Inline;
///
/// let inline = Inline::parse(["schemagroups.schemas"]);
/// assert!(inline.covers("schemagroups"));
/// assert!(!inline.covers("messagegroups"));
/// assert!(inline.descend("schemagroups").covers("schemas"));
/// assert!(!inline.descend("schemagroups").descend("schemas").covers("versions"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inline {
    paths: Vec<String>,
}

impl Inline {
    /// Nothing inlined.
    pub fn none() -> Self {
        Self::default()
    }

    /// Everything inlined.
    pub fn all() -> Self {
        Self {
            paths: vec!["*".to_owned()],
        }
    }

    /// The flag from each `?inline` value (comma-separated paths; an empty value means `*`).
    pub fn parse<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        let mut paths = Vec::new();
        for value in values {
            if value.trim().is_empty() {
                paths.push("*".to_owned());
            }
            paths.extend(
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned),
            );
        }
        Self { paths }
    }

    /// Whether `name` (a collection or attribute of the current entity) is inlined.
    pub fn covers(&self, name: &str) -> bool {
        self.paths.iter().any(|p| {
            p == "*"
                || p == name
                || p.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
    }

    /// The flag as seen from inside the entities of `name`.
    pub fn descend(&self, name: &str) -> Self {
        let prefix = format!("{name}.");
        Self {
            paths: self
                .paths
                .iter()
                .filter_map(|p| {
                    if p == "*" {
                        Some("*".to_owned())
                    } else {
                        p.strip_prefix(&prefix).map(str::to_owned)
                    }
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_inline_flag_means_everything() {
        let inline = Inline::parse([""]);
        assert!(inline.covers("versions"));
        assert!(
            inline
                .descend("schemas")
                .descend("versions")
                .covers("schema")
        );
        assert!(!Inline::none().covers("versions"));
    }

    #[test]
    fn a_path_inlines_its_parents_but_not_its_siblings() {
        let inline = Inline::parse(["schemagroups.schemas.versions", "capabilities"]);
        assert!(inline.covers("capabilities"));
        assert!(inline.covers("schemagroups"));
        assert!(!inline.covers("schema"));
        let schemas = inline.descend("schemagroups").descend("schemas");
        assert!(schemas.covers("versions"));
        assert!(!schemas.covers("meta"));
    }
}
