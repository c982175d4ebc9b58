//! Tests of the source tree itself: imports point one way, and the library speaks of settings,
//! never of the command line's flags.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, as module paths (`api::plan`) with their text.
fn modules(src: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.insert(
                    module_of(src, &path),
                    std::fs::read_to_string(&path).unwrap(),
                );
            }
        }
    }
    out
}

/// `src/api/plan.rs` -> `api::plan`; `src/api/mod.rs` -> `api`; `src/lib.rs` -> ``.
fn module_of(src: &Path, path: &Path) -> String {
    let rel: PathBuf = path.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts.join("::")
}

/// The code before the file's tests, without comments.
fn code(text: &str) -> String {
    let before_tests = text.split("#[cfg(test)]").next().unwrap_or("");
    before_tests
        .lines()
        .map(|l| match l.find("//") {
            // A `//` inside a string ("https://") is not a comment; strings are not imports.
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The modules `text` (of module `me`) uses from the same crate: each `crate::a::b`,
/// `super::a` or `child::x` path, resolved to the longest module that exists.
fn imports(me: &str, text: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let code = code(text);
    let mut prefixes = vec![
        ("crate::".to_string(), String::new()),
        ("super::".to_string(), parent(me)),
        ("self::".to_string(), me.to_string()),
    ];
    // A module's own children, named without a prefix (`plan::Plan`, `attempts::run`).
    if !me.is_empty() {
        for child in known
            .iter()
            .filter_map(|k| k.strip_prefix(&format!("{me}::")))
        {
            if !child.contains("::") {
                prefixes.push((format!("{child}::"), me.to_string()));
            }
        }
    }
    for (prefix, base) in &prefixes {
        let whole = !["crate::", "super::", "self::"].contains(&prefix.as_str());
        let mut rest = code.as_str();
        while let Some(i) = rest.find(prefix) {
            let before = rest[..i].chars().last();
            rest = &rest[i + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let tail: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            // For `child::x`, the child's name is part of the path.
            let path = if whole {
                format!("{prefix}{tail}")
            } else {
                tail
            };
            let mut parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
            loop {
                let candidate = join(base, &parts.join("::"));
                if known.contains(&candidate) {
                    out.insert(candidate);
                    break;
                }
                if parts.pop().is_none() {
                    break;
                }
            }
        }
    }
    out.remove(me);
    out.remove("");
    out
}

/// The module `super` names from `me` (a `mod.rs` is its own module's file).
fn parent(me: &str) -> String {
    me.rsplit_once("::")
        .map_or(String::new(), |(p, _)| p.to_string())
}

fn join(base: &str, path: &str) -> String {
    match (base.is_empty(), path.is_empty()) {
        (true, _) => path.to_string(),
        (_, true) => base.to_string(),
        _ => format!("{base}::{path}"),
    }
}

/// The library's modules (everything but the binary's) and what each imports.
fn graph(src: &Path, library: bool) -> BTreeMap<String, BTreeSet<String>> {
    let all = modules(src);
    let known: BTreeSet<String> = all.keys().cloned().collect();
    all.iter()
        .filter(|(m, _)| library != m.starts_with("cli"))
        .map(|(m, text)| (m.clone(), imports(m, text, &known)))
        .collect()
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// A cycle in `graph`, if there is one, as the modules along it.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == node) {
            return Some(path[i..].to_vec());
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_import_cycle_in_the_library_or_the_binary() {
    let src = src();
    for library in [true, false] {
        let g = graph(&src, library);
        assert!(g.len() > 10, "{g:?}");
        let mut g = g;
        let mut cycles = Vec::new();
        while let Some(c) = cycle(&g) {
            // Report it, cut its first edge, and look for more.
            if let Some(edges) = g.get_mut(&c[0]) {
                edges.remove(&c[(1) % c.len()]);
            }
            cycles.push(c.join(" -> "));
        }
        assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
    }
}

#[test]
fn the_library_never_imports_the_binary() {
    for (module, imports) in graph(&src(), true) {
        for i in imports {
            assert!(!i.starts_with("cli"), "{module} imports {i}");
        }
    }
}

/// The string literals of `code` (plain and raw), roughly: enough to find flags in messages.
fn strings(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = code.chars().peekable();
    let mut prev = ' ';
    while let Some(c) = chars.next() {
        if c == '\'' && prev != '\\' {
            // A char literal ('"') or a lifetime: skip a quoted char.
            let rest: String = chars.clone().take(3).collect();
            if rest.starts_with("\"'") || rest.starts_with("\\\"'") {
                for _ in 0..rest.find('\'').unwrap_or(0) + 1 {
                    chars.next();
                }
            }
        } else if c == '"' {
            let mut s = String::new();
            let mut escaped = false;
            for d in chars.by_ref() {
                if escaped {
                    escaped = false;
                } else if d == '\\' {
                    escaped = true;
                } else if d == '"' {
                    break;
                }
                s.push(d);
            }
            out.push(s);
        }
        prev = c;
    }
    out
}

/// A program using the library is never told to "pass --region": library text names settings
/// ([`crate::Setting`]), and the binary words them as flags.
#[test]
fn no_string_in_the_library_names_a_flag() {
    let mut found = Vec::new();
    for (module, text) in modules(&src()) {
        if module.starts_with("cli") || module.is_empty() {
            continue;
        }
        for s in strings(&code(&text)) {
            let names_flag = s.match_indices("--").any(|(i, _)| {
                let before = s[..i].chars().last();
                let after = s[i + 2..].chars().next();
                before.is_none_or(|c| !c.is_alphanumeric() && c != '-')
                    && after.is_some_and(|c| c.is_ascii_lowercase())
            });
            if names_flag {
                found.push(format!("{module}: {s:?}"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "library strings naming flags:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_checks_see_what_they_look_for() {
    assert_eq!(
        strings(r#"a("x --region y", '"', r"z")"#),
        ["x --region y", "z"]
    );
    let known: BTreeSet<String> = ["api", "api::plan", "error"].map(String::from).into();
    assert_eq!(
        imports(
            "api::plan",
            "use crate::error::Error;\nuse super::RefreshApi;",
            &known
        ),
        ["api", "error"].map(String::from).into()
    );
    assert_eq!(
        imports("api", "pub use plan::Plan;\n// not::this", &known),
        ["api::plan"].map(String::from).into()
    );
    let g: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_string(), ["b".to_string()].into()),
        ("b".to_string(), ["a".to_string()].into()),
    ]
    .into();
    assert!(cycle(&g).is_some());
}
