//! Recall and precision on a repository in the shape of the Enclii audit
//! (`shared/seed/infrastructure-audit-summary.md`): every planted credential is found with the
//! right rule and line, and none of the planted non-secrets is reported.

mod common;

use base64::Engine;
use common::{code, report, triples, Repo};

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// Builds the audit-shaped repository and returns it with the findings expected in it.
fn audit_repo() -> (Repo, Vec<(String, u64, String)>) {
    let repo = Repo::new();
    let registry_auth = b64("enclii-bot:ghcr_registry_token_2f9a7c1e");
    let dockerconfig = b64(&format!(
        r#"{{"auths":{{"ghcr.io":{{"auth":"{registry_auth}"}}}}}}"#
    ));
    let database_url = b64("postgres://enclii:enclii_dev@postgres:5432/enclii");
    repo.write(
        "infra/k8s/base/secrets.yaml",
        format!(
            "apiVersion: v1
kind: Secret
metadata:
  name: enclii-secrets
  namespace: enclii
type: Opaque
data:
  POSTGRES_USER: cG9zdGdyZXM=
  POSTGRES_PASSWORD: cGFzc3dvcmQ=
  DATABASE_URL: {database_url}
stringData:
  JWT_SECRET: replace-me-with-a-real-key
  REDIS_PASSWORD: redis_dev
  REDIS_HOST: redis.enclii.svc
  EMPTY_TOKEN: \"\"
---
apiVersion: v1
kind: Secret
metadata:
  name: ghcr-pull
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: {dockerconfig}
"
        ),
    );
    repo.write(
        "infra/k8s/base/postgres.yaml",
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: postgres
spec:
  template:
    spec:
      containers:
      - name: postgres
        image: postgres@sha256:4d9c1b0e5f3a2b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c
        env:
        - name: POSTGRES_DB
          value: enclii
        - name: POSTGRES_USER
          value: postgres
        - name: POSTGRES_PASSWORD
          value: postgres
        - name: REPLICATION_PASSWORD
          valueFrom:
            secretKeyRef:
              name: postgres-replication
              key: password
        - name: PGDATA
          value: /var/lib/postgresql/data
",
    );
    repo.write(
        "infra/k8s/base/redis.yaml",
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: redis
spec:
  template:
    spec:
      containers:
      - name: redis
        image: redis:7
        command: [\"redis-server\", \"--requirepass\", \"redis_dev\"]
        env:
        - name: REDIS_PASSWORD
          value: $(REDIS_PASSWORD)
        - name: REDIS_TLS
          value: \"false\"
",
    );
    repo.write(
        "infra/k8s/base/sealed.yaml",
        "apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: enclii-sealed
spec:
  encryptedData:
    POSTGRES_PASSWORD: AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq2ZmV8eYJtb5AgUFHTd7yYHN9dV0mcwJcs8AqY0ZbJ4Z0v
    password: AgCt1xkq+Ou9Hj2F5xwO0bH3hXx6gLkNbZ2rYw==
",
    );
    repo.write(
        "infra/k8s/base/monitoring.yaml",
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: grafana
spec:
  template:
    spec:
      containers:
      - name: grafana
        env:
        - name: GF_SECURITY_ADMIN_PASSWORD
          value: admin
        - name: GF_AUTH_ANONYMOUS_ENABLED
          value: \"true\"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: alertmanager
data:
  alertmanager.yml: |
    receivers:
    - name: ops
      slack_configs:
      - api_url: https://hooks.slack.com/services/T024BE7LD/B01ABCDEF12/Ab3dE5fG7hJ9kL1mN3pQ5rS7
",
    );
    repo.write(
        "infra/k8s/base/backup-cronjob.yaml",
        "apiVersion: batch/v1
kind: CronJob
metadata:
  name: pg-backup
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: backup
            env:
            - name: AWS_ACCESS_KEY_ID
              value: AKIAZ3MEXQNT7PLUS4WQ
            - name: AWS_SECRET_ACCESS_KEY
              value: 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
            - name: S3_BUCKET
              value: enclii-backups
",
    );
    repo.write(
        "infra/k8s/overlays/production/kustomization.yaml",
        "resources:
- ../../base
secretGenerator:
- name: switchyard-api
  literals:
  - API_SIGNING_SECRET=enclii_dev
  - LOG_LEVEL=info
images:
- name: enclii/switchyard-api
  digest: sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0
",
    );
    repo.write(
        "infra/helm/values-staging.yaml",
        "postgresql:
  auth:
    postgresPassword: enclii_dev
    existingSecret: \"\"
redis:
  auth:
    enabled: true
    password: \"{{ .Values.global.redisPassword }}\"
",
    );
    repo.write(
        "scripts/deploy.sh",
        "#!/usr/bin/env bash
set -euo pipefail
docker login ghcr.io -u enclii-bot -p Enc1iiRegistryT0ken
echo \"$CR_PAT\" | docker login ghcr.io -u bot --password-stdin
export DATABASE_URL=\"postgres://enclii:${DB_PASSWORD}@db/enclii\"
export ADMIN_PASSWORD=<your-password>
",
    );
    repo.write(
        "infra/keys/deploy_key.pem",
        "-----BEGIN RSA PRIVATE KEY-----
MIIEpAIBAFLyJmWmDBLSiRhdlQ7ogTYJFm9rET0XjWwP05Af8jmhoJXyD5OVZQz5
OAuO2yJKaySKHpJOj9CuLhqUkqMwXxiMthCQD540f66IbcZQd5XsdFxMP8sussc+
FJNMhn7gV7pySZv6Eh6DayrBVybufWsK9qsTw46SyuDRUFexWZh/lMx0EdcX8UV5
-----END RSA PRIVATE KEY-----
",
    );
    repo.write(
        "services/switchyard/testdata/auth.json",
        "{\n  \"user\": \"ci\",\n  \"token\": \"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c\"\n}\n",
    );
    repo.write(
        ".env.example",
        "POSTGRES_PASSWORD=\nJWT_SECRET=${JWT_SECRET}\nFEATURE_SECRET_ROTATION=true\n",
    );
    repo.write(
        "docs/operations.md",
        "# Operations\n\nThe default password is `password`; set `password: changeme` in values.\n\
         CI pushes with GITHUB_TOKEN=ghp_R8aK2mQ9xL4vT7bN1cW5yH3jD6fG0sP2eZ4u (revoked).\n",
    );
    repo.write(
        "web/package-lock.json",
        "{\n  \"packages\": {\n    \"node_modules/left-pad\": {\n      \"integrity\": \"sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQAhRZ7JuzGS/X9QBmQn7mXsVGqKu0KCcmOlZxg4AFRRtW5g==\"\n    }\n  }\n}\n",
    );
    repo.write("Cargo.lock", "[[package]]\nname = \"itoa\"\nchecksum = \"4a5f13b858c8d314ee3e8f639011f7ccefe71f97f96e50151fb991f267928e2c\"\n");
    repo.commit_all("Enclii platform manifests");

    let expected = [
        ("infra/k8s/base/secrets.yaml", 9, "kubernetes.secret-data"),
        ("infra/k8s/base/secrets.yaml", 10, "database.postgres-url"),
        ("infra/k8s/base/secrets.yaml", 12, "jwt.signing-key"),
        (
            "infra/k8s/base/secrets.yaml",
            13,
            "kubernetes.secret-stringdata",
        ),
        ("infra/k8s/base/secrets.yaml", 23, "registry.docker-auth"),
        ("infra/k8s/base/postgres.yaml", 17, "kubernetes.env-value"),
        (
            "infra/k8s/base/redis.yaml",
            11,
            "database.redis-requirepass-flag",
        ),
        ("infra/k8s/base/monitoring.yaml", 12, "kubernetes.env-value"),
        ("infra/k8s/base/monitoring.yaml", 25, "saas.slack-webhook"),
        (
            "infra/k8s/base/backup-cronjob.yaml",
            14,
            "cloud.aws-access-key-id",
        ),
        (
            "infra/k8s/base/backup-cronjob.yaml",
            16,
            "cloud.aws-secret-access-key",
        ),
        (
            "infra/k8s/overlays/production/kustomization.yaml",
            6,
            "kubernetes.kustomize-literal",
        ),
        (
            "infra/helm/values-staging.yaml",
            3,
            "kubernetes.helm-password",
        ),
        ("scripts/deploy.sh", 3, "registry.docker-login"),
        ("infra/keys/deploy_key.pem", 1, "keys.pem-private-key"),
        ("services/switchyard/testdata/auth.json", 3, "jwt.token"),
        ("docs/operations.md", 4, "vcs.github-pat"),
    ];
    let expected = expected
        .iter()
        .map(|(p, l, r)| (p.to_string(), *l, r.to_string()))
        .collect();
    (repo, expected)
}

#[test]
fn finds_every_planted_credential_and_nothing_else() {
    let (repo, mut expected) = audit_repo();
    let out = repo.scour(&["scan", "--format", "json", "."]);
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
    let got = triples(&report(&out));
    expected.sort();
    eqnice!(expected, got);
}

#[test]
fn decoded_layers_and_values_are_reported() {
    let (repo, _) = audit_repo();
    let out = repo.scour(&[
        "scan",
        "--format",
        "json",
        "--show-secrets",
        "infra/k8s/base",
    ]);
    let report = report(&out);
    let find = |rule: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == rule)
            .unwrap_or_else(|| panic!("no {rule} finding"))
            .clone()
    };
    let data = find("kubernetes.secret-data");
    assert_eq!(data["secret"], "password");
    assert_eq!(data["decoded"], serde_json::json!(["base64"]));
    assert_eq!(data["weak"], true);
    let registry = find("registry.docker-auth");
    assert_eq!(registry["secret"], "ghcr_registry_token_2f9a7c1e");
    assert_eq!(registry["decoded"], serde_json::json!(["base64", "base64"]));
    let url = find("database.postgres-url");
    assert_eq!(url["secret"], "enclii_dev");
    assert_eq!(url["decoded"], serde_json::json!(["base64"]));
    let jwt_key = find("jwt.signing-key");
    assert_eq!(jwt_key["secret"], "replace-me-with-a-real-key");
    assert_eq!(jwt_key["decoded"], serde_json::json!([]));
}
