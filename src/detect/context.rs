//! Where a finding sits, judged from path conventions shared across ecosystems: deployable
//! configuration, program code, a test suite, an example, or documentation.
//!
//! A weak password in `values.yaml` gets deployed; the same value in `tests/` or `examples/`
//! is a fixture. The context feeds the finding's confidence.

use std::path::Path;

use serde::Serialize;

use super::FileKind;

/// Where in a repository a file sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Context {
    /// Deployable configuration (and anything not recognised as the others).
    Config,
    /// Program source code outside tests and examples.
    Code,
    /// A test suite, its fixtures and test data.
    Test,
    /// Examples, samples, demos and templates meant to be copied and filled in.
    Example,
    /// Documentation and prose.
    Docs,
    /// Third-party code a package manager installed or a project copied in (`node_modules/`,
    /// `vendor/`, `site-packages/`): its owner, not this repository's, rotates what it holds.
    Vendored,
}

/// What holds a match: a file, with its path when one is known, or a commit or tag message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site<'a> {
    /// A file or blob; `None` for standard input or a blob no tree names.
    File(Option<&'a Path>),
    /// A commit or tag message: prose, where a weak value is talk, not configuration.
    Message,
}

impl<'a> Site<'a> {
    /// Where the site sits.
    pub fn context(self) -> Context {
        match self {
            Site::File(path) => Context::of(path),
            Site::Message => Context::Docs,
        }
    }

    /// The path whose conventions apply, if any.
    pub fn path(self) -> Option<&'a Path> {
        match self {
            Site::File(path) => path,
            Site::Message => None,
        }
    }
}

impl Context {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Context::Config => "config",
            Context::Code => "code",
            Context::Test => "test",
            Context::Example => "example",
            Context::Docs => "docs",
            Context::Vendored => "vendored",
        }
    }

    /// Judges a path (`None`: a blob no tree names, or standard input).
    pub fn of(path: Option<&Path>) -> Context {
        let Some(path) = path else {
            return Context::Config;
        };
        let text = normalized(path);
        let mut parts: Vec<&str> = text.split('/').filter(|p| !p.is_empty()).collect();
        let name = parts.pop().unwrap_or("");
        if parts.iter().any(|d| VENDORED_DIRS.contains(d)) || is_minified(name) {
            return Context::Vendored;
        }
        // `fixtures-expired/`, `testdata_v2/`: a set of fixtures named by what sets it apart.
        let test_dir = |d: &&str| {
            TEST_DIRS.contains(d)
                || ["fixtures-", "fixtures_", "testdata-", "testdata_"]
                    .iter()
                    .any(|p| d.starts_with(p))
        };
        if is_test_name(name) || parts.iter().any(test_dir) {
            return Context::Test;
        }
        // Helm charts keep their CI test values in `ci/*-values.yaml`.
        if parts.last() == Some(&"ci") && name.ends_with("values.yaml") {
            return Context::Test;
        }
        if is_example_name(name) || parts.iter().any(|d| EXAMPLE_DIRS.contains(d)) {
            return Context::Example;
        }
        let kind = FileKind::from_path(path);
        if kind == FileKind::Prose
            || parts.iter().any(|d| DOC_DIRS.contains(d))
            || is_translation(path)
            || name.starts_with("readme")
            || !name.contains('.') && DOC_NAMES.contains(&name)
            || is_api_description(name)
            || name.ends_with(".gotmpl") && name.contains(".md")
        {
            return Context::Docs;
        }
        if kind == FileKind::Source {
            return Context::Code;
        }
        Context::Config
    }
}

/// A path as the conventions read it: `/`-separated and in lower case.
fn normalized(path: &Path) -> String {
    path.to_string_lossy()
        .replace('\\', "/")
        .to_ascii_lowercase()
}

/// Directory names that hold other projects' code: package managers' install folders
/// (npm, Bower, Python, Go modules, Composer, Bundler, Carthage) and copied-in
/// third-party trees.
const VENDORED_DIRS: &[&str] = &[
    "node_modules",
    "bower_components",
    "jspm_packages",
    "site-packages",
    "dist-packages",
    "vendor",
    "third_party",
    "third-party",
    "thirdparty",
    "carthage",
];

/// A minified script or style sheet (`jquery.min.js`): a build's output, most often a
/// library copied in, whose one long line reads as random to every generic rule.
fn is_minified(name: &str) -> bool {
    [".min.js", ".min.mjs", ".min.css"]
        .iter()
        .any(|e| name.ends_with(e))
}

/// Directory names that hold tests and their data.
const TEST_DIRS: &[&str] = &[
    "test",
    "tests",
    "t",
    "spec",
    "specs",
    "__tests__",
    "__test__",
    "__mocks__",
    "__fixtures__",
    "testdata",
    "test-data",
    "test_data",
    "testing",
    "fixtures",
    "fixture",
    "mocks",
    "e2e",
    "integration-tests",
    "integration_tests",
    "unittests",
    "unit-tests",
    "testcases",
    "test-resources",
    "testfiles",
    "testutil",
    "testutils",
    "test-utils",
    "test_utils",
    "testhelpers",
];

/// Directory names that hold examples and samples.
const EXAMPLE_DIRS: &[&str] = &[
    "example",
    "examples",
    "_examples",
    "sample",
    "samples",
    "demo",
    "demos",
    "quickstart",
    "quickstarts",
    "tutorial",
    "tutorials",
    "_archived",
];

/// Directory names that hold documentation.
const DOC_DIRS: &[&str] = &[
    "doc",
    "docs",
    "documentation",
    "man",
    "manual",
    "site",
    "wiki",
    "api-ref",
    "releasenotes",
    "release-notes",
    "readme_files",
];

/// An API's description (Swagger or OpenAPI): its `example:` values and request samples
/// document the API, they configure nothing.
fn is_api_description(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name);
    (stem == "swagger" || stem == "openapi" || stem.ends_with("-openapi"))
        && [".yaml", ".yml", ".json"].iter().any(|e| name.ends_with(e))
}

/// Names of the prose files that sit at a project's top (`INSTALL`, `ChangeLog`, `NEWS`),
/// without an extension (`install.sh` is a script).
const DOC_NAMES: &[&str] = &[
    "install",
    "changelog",
    "changes",
    "news",
    "history",
    "authors",
    "contributing",
    "hacking",
    "faq",
    "todo",
    "upgrading",
    "notice",
    "copying",
    "usage",
];

/// Directory names that hold translations of a program's messages: what sits there is
/// interface text in every language (`'curpasswd' => 'Contraseña actual:'`), not settings.
const LOCALE_DIRS: &[&str] = &[
    "locale",
    "locales",
    "localization",
    "localizations",
    "localisation",
    "l10n",
    "i18n",
    "translations",
    "po",
];

/// Whether a file holds translations of a program's messages: it sits in a folder of them,
/// or is a message catalogue (gettext's `.po`/`.pot`, XLIFF; Qt's `.ts` is left out, as
/// TypeScript shares it).
pub fn is_translation(path: &Path) -> bool {
    let text = normalized(path);
    let mut parts = text.split('/').filter(|p| !p.is_empty());
    let name = parts.next_back().unwrap_or("");
    [".po", ".pot", ".xliff", ".xlf"]
        .iter()
        .any(|ext| name.ends_with(ext))
        || parts.any(|d| LOCALE_DIRS.contains(&d))
}

/// File names of tests across ecosystems: `*_test.go`, `test_*.py`, `*.spec.ts`, `FooTest.java`.
fn is_test_name(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name);
    stem == "test"
        || stem.starts_with("test_")
        || stem.starts_with("test-")
        || stem.ends_with("_test")
        || stem.ends_with("_tests")
        || stem.ends_with("-test")
        || stem.ends_with("_spec")
        || stem.ends_with("test") && stem.len() > 4 && name.ends_with(".java")
        || stem.ends_with("tests")
            && stem.len() > 5
            && (name.ends_with(".cs") || name.ends_with(".java"))
        || name.contains(".test.")
        || name.contains(".spec.")
        || stem == "conftest"
}

/// File names of examples and templates to copy: `.env.example`, `config.sample.yml`.
fn is_example_name(name: &str) -> bool {
    const MARKS: &[&str] = &[
        "example", "sample", "template", "dist", "tmpl", "skel", "default", "demo",
    ];
    // `values.example.yaml`, `.env.sample`, `config.yml.dist`: the mark is a dot-separated part.
    name.split('.')
        .skip(1)
        .chain(std::iter::once(name.split('.').next().unwrap_or("")))
        .any(|part| {
            let head = part.split(['-', '_']).next().unwrap_or(part);
            MARKS.contains(&part)
                // `pools.yaml.sample-infoblox`: a mark after the extension, qualified.
                || part != name.split('.').next().unwrap_or("") && MARKS.contains(&head)
                || part.ends_with("-example")
                || part.ends_with("_example")
                || part.starts_with("example-")
                || part.starts_with("example_")
                // `examples-1.json`, `samples_v2.yaml`: a numbered set of examples.
                || matches!(head, "examples" | "samples")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_by_path() {
        let cases = [
            ("charts/app/values.yaml", Context::Config),
            ("charts/app/ci/ha-values.yaml", Context::Test),
            ("t/t5550-http-fetch.sh", Context::Test),
            ("tests/data/test1", Context::Test),
            ("pkg/auth/token_test.go", Context::Test),
            ("app/test_views.py", Context::Test),
            ("web/src/login.spec.ts", Context::Test),
            ("src/test/java/FooTest.java", Context::Test),
            ("examples/mysql/pod.yaml", Context::Example),
            ("web/node_modules/pkg/test/fixture.json", Context::Vendored),
            (
                "venv/lib/python3.11/site-packages/botocore/data/x.json",
                Context::Vendored,
            ),
            ("vendor/github.com/org/lib/config.go", Context::Vendored),
            ("wp-includes/js/wp-embed.min.js", Context::Vendored),
            ("static/admin.js", Context::Code),
            ("k8s/pods/db.yaml", Context::Config),
            ("contrib/credential/netrc/test.netrc", Context::Test),
            (
                "botocore/data/rds/2014-10-31/examples-1.json",
                Context::Example,
            ),
            (".env.example", Context::Example),
            ("config.sample.yml", Context::Example),
            ("docs/install.md", Context::Docs),
            ("README.md", Context::Docs),
            ("charts/x/README.md.gotmpl", Context::Docs),
            ("src/main.rs", Context::Code),
            ("deploy/app.env", Context::Config),
            ("latest/contest.yaml", Context::Config),
            ("src/attestation.go", Context::Code),
            ("plugins/password/localization/es_ES.inc", Context::Docs),
            ("resources/translations/en/passwords.php", Context::Docs),
            ("test/sample/lang/app/main.j", Context::Test),
            ("app/locales/de.yml", Context::Docs),
            ("po/fr.po", Context::Docs),
            ("config/languages.yml", Context::Config),
            ("src/lib-oauth2/test-oauth2-jwt.c", Context::Test),
            ("INSTALL", Context::Docs),
            ("ChangeLog", Context::Docs),
            ("api-ref/source/v3/samples/auth.json", Context::Example),
            ("api-ref/source/v3/auth.inc", Context::Docs),
            ("README_FILES/SASL_README", Context::Docs),
            ("install.sh", Context::Config),
            ("integration/fixtures-expired/server.key", Context::Test),
            ("engine/testutil/registry/registry.go", Context::Test),
            ("engine/api/swagger.yaml", Context::Docs),
            ("railties/lib/rails/commands/secrets/USAGE", Context::Docs),
            ("etc/designate/pools.yaml.sample-infoblox", Context::Example),
            ("charts/app/default-values.yaml", Context::Config),
        ];
        for (path, want) in cases {
            assert_eq!(Context::of(Some(Path::new(path))), want, "{path}");
        }
        assert_eq!(Context::of(None), Context::Config);
    }
}
