// Validates JSON documents against a JSON schema with Ajv, the reference JavaScript validator:
//
//     node validate-json-schema.js SCHEMA.json DOCUMENT.json...
//
// Prints one line per document, `ok PATH` or `invalid PATH` followed by Ajv's errors as JSON,
// and exits 0 when every document is valid, 1 when one is not, 2 when it cannot run.
// Draft-04 schemas (SARIF 2.1.0's) use ajv-draft-04; later drafts use Ajv itself. Formats
// (`uri`, `date-time`...) are checked, not ignored.
"use strict";

const fs = require("fs");
const addFormats = require("ajv-formats");

function main(argv) {
  if (argv.length < 2) {
    console.error("usage: node validate-json-schema.js SCHEMA DOCUMENT...");
    return 2;
  }
  const schema = JSON.parse(fs.readFileSync(argv[0], "utf8"));
  const draft04 = String(schema.$schema || "").includes("draft-04");
  const Ajv = draft04 ? require("ajv-draft-04") : require("ajv");
  // SARIF 2.1.0's schema has a `language` pattern (`...{2}]?$`) that is an ECMA-262 regular
  // expression but not a valid one in Unicode mode: compile patterns without the `u` flag.
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  let failed = false;
  for (const path of argv.slice(1)) {
    const document = JSON.parse(fs.readFileSync(path, "utf8"));
    if (validate(document)) {
      console.log(`ok ${path}`);
    } else {
      failed = true;
      console.log(`invalid ${path}`);
      console.log(JSON.stringify(validate.errors, null, 2));
    }
  }
  return failed ? 1 : 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  console.error(`validate-json-schema: ${e.message}`);
  process.exitCode = 2;
}
