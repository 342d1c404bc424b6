// Reads the objects `kubectl kustomize deploy/k8s` renders (YAML on stdin)
// and validates each against the Kubernetes API schema of its apiVersion and
// kind, with npm's kubernetes-models (package-lock.json pins it).  Prints
// "ok KIND NAME" or "not ok KIND NAME: why" per object; exits 1 on any failure
// or on a kind it has no schema for.
import { parseAllDocuments } from "yaml";

let input = "";
for await (const chunk of process.stdin) input += chunk;

let failed = 0;
for (const doc of parseAllDocuments(input)) {
  const obj = doc.toJS();
  if (obj === null) continue;
  const { apiVersion, kind } = obj;
  const name = `${kind} ${obj.metadata?.name}`;
  // kustomize wraps a Secret's long base64 values over lines; the API
  // server's decoder (Go's encoding/base64) skips the newlines, the
  // schema's "byte" format does not: check the value without them.
  if (kind === "Secret" && obj.data) {
    for (const k of Object.keys(obj.data)) obj.data[k] = obj.data[k].replace(/\n/g, "");
  }
  try {
    // "apps/v1" -> kubernetes-models/apps/v1, "v1" -> kubernetes-models/v1
    const mod = await import(`kubernetes-models/${apiVersion}`);
    const Model = mod[kind];
    if (!Model) throw new Error(`no schema for ${apiVersion} ${kind}`);
    new Model(obj).validate();
    console.log(`ok ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok ${name}: ${e.message.split("\n").slice(0, 6).join(" ")}`);
  }
}
process.exit(failed ? 1 : 0);
