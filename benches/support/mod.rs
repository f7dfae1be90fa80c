//! Generated text for the benches: Rust and Python source, Kubernetes YAML, JSON and Markdown,
//! deterministic, with a few planted secrets.

#![allow(dead_code)]

use std::path::PathBuf;

/// A small deterministic generator, so that every run scans the same bytes.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() as usize) % items.len()]
    }
    fn word(&mut self) -> String {
        let a = self.pick(WORDS);
        let b = self.pick(WORDS);
        format!("{a}_{b}")
    }
}

const WORDS: &[&str] = &[
    "parser", "buffer", "reader", "config", "state", "index", "value", "name", "entry", "stream",
    "client", "server", "request", "response", "handle", "context", "session", "cache", "layout",
    "offset", "length", "header", "payload", "window", "cursor", "span", "node", "tree", "graph",
];

/// Lines that mention credentials without holding one, as real code does now and then.
const MENTIONS: &[&str] = &[
    "    let token = lexer.next_token()?;\n",
    "    // The password is hashed with argon2 before it is stored.\n",
    "    let secret = std::env::var(\"APP_SECRET\").expect(\"APP_SECRET is set\");\n",
    "    if auth.is_none() { return Err(Error::Unauthorized); }\n",
    "    let url = format!(\"https://{}/api/v1/items\", host);\n",
];

fn rust_file(rng: &mut Rng) -> String {
    let mut s = String::from("//! Module docs: the part of the crate that walks the tree.\n\nuse std::collections::HashMap;\n\n");
    for _ in 0..(20 + rng.next() % 40) {
        let f = rng.word();
        let a = rng.word();
        let b = rng.word();
        s.push_str(&format!(
            "/// Returns the {a} for the given {b}; see `{f}` for the layout rules.\n\
             pub fn {f}(&mut self, {a}: &str, {b}: usize) -> Result<Option<String>, Error> {{\n    \
             let {a}_len = {a}.len() + {b};\n    \
             if {a}_len > {n} {{\n        return Err(Error::new(\"{f}: input too long\"));\n    }}\n    \
             let digest = self.hasher.hash({a}.as_bytes());\n    \
             self.map.insert(digest, {b});\n",
            n = rng.next() % 4096
        ));
        if rng.next() % 8 == 0 {
            s.push_str(rng.pick(MENTIONS));
        }
        s.push_str(&format!(
            "    Ok(Some(format!(\"{{}}:{{}}\", {a}, {b})))\n}}\n\n"
        ));
    }
    s
}

fn python_file(rng: &mut Rng) -> String {
    let mut s = String::from("import os\nimport json\n\n");
    for _ in 0..(15 + rng.next() % 30) {
        let f = rng.word();
        let a = rng.word();
        s.push_str(&format!(
            "def {f}({a}, limit=None):\n    \"\"\"Fetch the {a} page by page until the limit.\"\"\"\n    \
             limit = limit or int(os.environ.get(\"PAGE_LIMIT\", \"100\"))\n    \
             rows = [json.loads(line) for line in open({a})]\n    \
             return rows[:limit]\n\n"
        ));
        if rng.next() % 10 == 0 {
            s.push_str(
                "    headers = {\"Authorization\": f\"Bearer {os.environ['API_TOKEN']}\"}\n\n",
            );
        }
    }
    s
}

fn k8s_yaml(rng: &mut Rng) -> String {
    let app = rng.pick(WORDS);
    let mut s = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {app}\n  labels:\n    app: {app}\nspec:\n  replicas: {r}\n  template:\n    spec:\n      containers:\n      - name: {app}\n        image: ghcr.io/enclii/{app}@sha256:{d:064x}\n        env:\n",
        r = 1 + rng.next() % 5,
        d = rng.next() as u128 * 0x9e3779b97f4a7c15
    );
    for _ in 0..(5 + rng.next() % 10) {
        let key = rng.pick(&[
            "LOG_LEVEL",
            "DB_HOST",
            "DB_PASSWORD",
            "JWT_SECRET",
            "REDIS_URL",
            "PORT",
        ]);
        if key.ends_with("PASSWORD") || key.ends_with("SECRET") {
            s.push_str(&format!(
                "        - name: {key}\n          valueFrom:\n            secretKeyRef:\n              name: {app}\n              key: {}\n",
                key.to_lowercase()
            ));
        } else {
            s.push_str(&format!(
                "        - name: {key}\n          value: \"{}\"\n",
                rng.next() % 10000
            ));
        }
    }
    s.push_str("        resources:\n          limits:\n            cpu: 500m\n            memory: 1Gi\n---\n");
    s
}

fn json_file(rng: &mut Rng) -> String {
    let mut s = String::from("{\n  \"name\": \"enclii-web\",\n  \"dependencies\": {\n");
    for i in 0..(30 + rng.next() % 60) {
        s.push_str(&format!(
            "    \"{}-{i}\": {{\"version\": \"^{}.{}.0\", \"integrity\": \"sha512-{:016x}{:016x}{:016x}\"}},\n",
            rng.word(),
            rng.next() % 20,
            rng.next() % 50,
            rng.next(),
            rng.next(),
            rng.next()
        ));
    }
    s.push_str("    \"end\": {}\n  }\n}\n");
    s
}

fn markdown_file(rng: &mut Rng) -> String {
    let mut s = String::from("# Operations guide\n\n");
    for _ in 0..(20 + rng.next() % 40) {
        s.push_str(&format!(
            "The {} service reads its settings from the environment at start-up. \
             Restart the {} every ninety days and record it in the {} runbook.\n\n",
            rng.word(),
            rng.word(),
            rng.word()
        ));
    }
    s
}

const PLANTED: &[&str] = &[
    "POSTGRES_PASSWORD=enclii_dev\n",
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  POSTGRES_PASSWORD: cGFzc3dvcmQ=\n",
    "GITHUB_TOKEN=ghp_R8aK2mQ9xL4vT7bN1cW5yH3jD6fG0sP2eZ4u\n",
    "DATABASE_URL=postgres://enclii:enclii_dev@postgres:5432/enclii\n",
    "JWT_SECRET: replace-me-with-a-real-key\n",
];

/// Generates the corpus as (path, text) pairs totalling about `mib` MiB.
pub fn corpus(mib: usize) -> Vec<(PathBuf, Vec<u8>)> {
    let mut rng = Rng(0x5c0u64);
    let mut files = Vec::new();
    let mut total = 0;
    let mut n = 0usize;
    while total < mib << 20 {
        let (ext, mut text) = match n % 5 {
            0 => ("rs", rust_file(&mut rng)),
            1 => ("py", python_file(&mut rng)),
            2 => ("yaml", k8s_yaml(&mut rng)),
            3 => ("json", json_file(&mut rng)),
            _ => ("md", markdown_file(&mut rng)),
        };
        if n % 97 == 0 {
            text.push_str(PLANTED[(n / 97) % PLANTED.len()]);
        }
        total += text.len();
        files.push((
            PathBuf::from(format!("src/file{n}.{ext}")),
            text.into_bytes(),
        ));
        n += 1;
    }
    files
}

/// Helm values for one release: every other line a credential-named key (`password:`,
/// `secret:`, `token:`), as real charts' values files are, with defaults, placeholders,
/// references to Secrets, template expressions and now and then a generated value.
fn helm_values(rng: &mut Rng) -> String {
    const KEYS: &[&str] = &[
        "password",
        "rootPassword",
        "replicationPassword",
        "adminPassword",
        "secret",
        "clientSecret",
        "jwtSecret",
        "apiToken",
        "authToken",
        "secretKey",
        "accessKey",
    ];
    const VALUES: &[&str] = &[
        "\"\"",
        "changeme",
        "admin",
        "prom-operator",
        "\"{{ .Values.global.password }}\"",
        "${DB_PASSWORD}",
        "<your-password>",
        "bitnami",
        "s3cr3t-p4ss",
        "correct-horse-battery",
    ];
    let app = rng.pick(WORDS);
    let mut s = format!("# Default values for {app}.\nglobal:\n  imageRegistry: \"\"\n");
    for _ in 0..(10 + rng.next() % 20) {
        let section = rng.word();
        s.push_str(&format!("{section}:\n  enabled: true\n"));
        for _ in 0..(2 + rng.next() % 4) {
            let key = rng.pick(KEYS);
            let value = match rng.next() % 8 {
                0 => format!("{:016x}{:08x}", rng.next(), rng.next()),
                1 => format!("\"{}-{}\"", rng.word(), rng.next() % 1000),
                _ => rng.pick(VALUES).to_string(),
            };
            s.push_str(&format!("  {key}: {value}\n"));
            s.push_str(&format!(
                "  {}: {}\n",
                rng.pick(&["port", "host", "existingSecret", "replicas", "username"]),
                rng.word()
            ));
        }
    }
    s
}

/// Keyword-dense configuration (Helm values files, see [`helm_values`]) as (path, text) pairs
/// totalling about `mib` MiB: where every candidate goes through the learned filter.
pub fn dense_config(mib: usize) -> Vec<(PathBuf, Vec<u8>)> {
    let mut rng = Rng(0x4e1u64);
    let mut files = Vec::new();
    let mut total = 0;
    while total < mib << 20 {
        let text = helm_values(&mut rng);
        total += text.len();
        files.push((
            PathBuf::from(format!("charts/app{}/values.yaml", files.len())),
            text.into_bytes(),
        ));
    }
    files
}
