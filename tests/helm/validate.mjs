// Validates the chart's rendered manifests (scripts/helm-check).
//
//   node validate.mjs --server-binary BIN [--cli-binary BIN] [--sync-binary BIN]
//        --future tests/helm/future-flags.txt RENDER.yaml...
//
// For every document of every RENDER.yaml (one `helm template` output per
// values file):
//   1. schema: the kubernetes-models class of its apiVersion/kind validates
//      it (ServiceMonitor through @kubernetes-models/prometheus-operator); a
//      kind without a model is an error, so nothing goes unchecked;
//   2. chart rules the schemas cannot say: every container of the chart runs
//      as non-root with a read-only root filesystem and no capabilities, and
//      the server's grace period outlasts its drain;
//   3. flag drift: every AVAILABILITY_* variable and --flag given to the
//      server exists in `availability-server --help`, and every CLI flag in
//      `availability COMMAND --help`. Flags and commands the server or CLI
//      will have later are listed in future-flags.txt: reported, not failed;
//      one that now exists must leave that list.
// Prints one line per render and a summary; exits 1 on any problem.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { parseAllDocuments } from "yaml";

function parseArgs(argv) {
  const out = { files: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--server-binary") out.server = argv[++i];
    else if (a === "--cli-binary") out.cli = argv[++i];
    else if (a === "--sync-binary") out.sync = argv[++i];
    else if (a === "--future") out.future = argv[++i];
    else out.files.push(a);
  }
  if (!out.server || !out.future || out.files.length === 0) {
    console.error("usage: validate.mjs --server-binary BIN [--cli-binary BIN] [--sync-binary BIN] --future FILE RENDER.yaml...");
    process.exit(2);
  }
  return out;
}

// Runs `bin args...` and returns what it printed, whatever its exit code:
// Abseil 20220623 exits 1 after --help.
function helpText(bin, args) {
  try {
    return execFileSync(bin, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: {} });
  } catch (e) {
    if (e.code === "ENOENT" || e.code === "EACCES") throw new Error(`cannot run ${bin}: ${e.code}`);
    return `${e.stdout ?? ""}${e.stderr ?? ""}`;
  }
}

// Module of the kubernetes-models class for apiVersion/kind.
function modelModule(apiVersion, kind) {
  if (apiVersion.startsWith("monitoring.coreos.com/")) {
    return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
  }
  return `kubernetes-models/${apiVersion}/${kind}`;
}

// Pod template and its owner's name for the workload kinds.
function podSpecOf(doc) {
  switch (doc.kind) {
    case "Pod": return doc.spec;
    case "Deployment": case "StatefulSet": return doc.spec?.template?.spec;
    case "CronJob": return doc.spec?.jobTemplate?.spec?.template?.spec;
    default: return undefined;
  }
}

const args = parseArgs(process.argv.slice(2));
const problems = [];
const pending = new Set();

// future-flags.txt: "server FLAG" or "cli COMMAND" or "cli COMMAND FLAG".
const future = new Set(
  readFileSync(args.future, "utf8").split("\n")
    .map((l) => l.replace(/#.*/, "").trim()).filter(Boolean)
    .map((l) => l.split(/\s+/).join(" ")));

const serverHelp = helpText(args.server, ["--help"]);
const serverFlags = new Set([...serverHelp.matchAll(/--([a-z0-9_]+) \(/g)].map((m) => m[1]));
if (serverFlags.size === 0) {
  console.error(`validate: ${args.server} --help lists no flags:\n${serverHelp}`);
  process.exit(1);
}
for (const entry of future) {
  const [side, name] = entry.split(" ");
  if (side === "server" && serverFlags.has(name)) {
    problems.push(`future-flags.txt: --${name} now exists in availability-server: remove "${entry}"`);
  }
}

const cliHelp = new Map();  // command -> Set of flags (global ones included)
function cliFlags(command) {
  if (!cliHelp.has(command)) {
    const global = helpText(args.cli, ["--help"]);
    const text = helpText(args.cli, [command, "--help"]);
    const known = !/unknown command/.test(text);
    const flags = new Set([...`${global}\n${text}`.matchAll(/--([a-z0-9][a-z0-9_-]*)/g)].map((m) => m[1]));
    cliHelp.set(command, known ? flags : null);
  }
  return cliHelp.get(command);
}

// availability-sync's flags (the Magento connector's Deployment), when
// --sync-binary is given.
const syncFlags = args.sync
  ? new Set([...helpText(args.sync, ["--help"]).matchAll(/--([a-z0-9_]+) \(/g)].map((m) => m[1]))
  : null;
if (syncFlags && syncFlags.size === 0) {
  console.error(`validate: ${args.sync} --help lists no flags`);
  process.exit(1);
}
function checkSync(c, where) {
  if (!syncFlags) return;
  for (const e of c.env ?? []) {
    if (!e.name.startsWith("AVAILABILITY_")) continue;
    const name = e.name.slice("AVAILABILITY_".length).toLowerCase();
    if (!syncFlags.has(name)) problems.push(`${where} env ${e.name}: --${name} is not a flag of availability-sync (--help does not list it)`);
  }
}

function checkServerFlag(name, where) {
  if (serverFlags.has(name)) return;
  if (future.has(`server ${name}`)) pending.add(`server --${name}`);
  else problems.push(`${where}: --${name} is not a flag of availability-server (--help does not list it)`);
}

function checkCli(container, where) {
  const argv = [...(container.command ?? []).slice(1), ...(container.args ?? [])];
  const command = argv.find((a) => !a.startsWith("-"));
  if (!args.cli) { pending.add("cli (no --cli-binary given: CLI flags unchecked)"); return; }
  const flags = cliFlags(command);
  if (flags === null) {
    if (future.has(`cli ${command}`)) pending.add(`cli ${command}`);
    else problems.push(`${where}: "availability ${command}" is not a command of the CLI`);
    return;
  }
  if (future.has(`cli ${command}`)) {
    problems.push(`future-flags.txt: "availability ${command}" now exists: remove "cli ${command}"`);
  }
  for (const a of argv) {
    const m = /^--([^=]+)/.exec(a);
    if (m && !flags.has(m[1])) {
      if (future.has(`cli ${command} ${m[1]}`)) pending.add(`cli ${command} --${m[1]}`);
      else problems.push(`${where}: availability ${command} has no flag --${m[1]}`);
    }
  }
}

// "10s" -> 10; the server's duration flags as the chart writes them.
function seconds(duration) {
  const m = /^(\d+)s$/.exec(duration ?? "");
  return m ? Number(m[1]) : NaN;
}

function checkContainerSecurity(pod, c, where, doc) {
  const sc = { ...(pod.securityContext ?? {}), ...(c.securityContext ?? {}) };
  const rules = [
    [sc.runAsNonRoot === true, "runAsNonRoot: true"],
    [c.securityContext?.readOnlyRootFilesystem === true, "readOnlyRootFilesystem: true"],
    [c.securityContext?.allowPrivilegeEscalation === false, "allowPrivilegeEscalation: false"],
    [(c.securityContext?.capabilities?.drop ?? []).includes("ALL"), "capabilities.drop: [ALL]"],
    [sc.seccompProfile?.type === "RuntimeDefault" || pod.securityContext?.seccompProfile?.type === "RuntimeDefault",
     "seccompProfile: RuntimeDefault"],
  ];
  const ours = doc.metadata?.labels?.["app.kubernetes.io/component"] !== "dev-redis";
  if (ours) rules.push([sc.runAsUser === 65532, "runAsUser: 65532"]);
  for (const [ok, rule] of rules) if (!ok) problems.push(`${where}: container ${c.name} lacks ${rule}`);
  if (!c.resources?.requests) problems.push(`${where}: container ${c.name} has no resource requests`);
}

let manifests = 0;
const kinds = new Map();
for (const file of args.files) {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  const objects = [];
  for (const d of docs) {
    if (d.errors.length) { problems.push(`${file}: YAML: ${d.errors[0].message}`); continue; }
    const obj = d.toJS();
    if (obj) objects.push(obj);
  }
  const configMaps = new Map(objects.filter((o) => o.kind === "ConfigMap").map((o) => [o.metadata.name, o.data ?? {}]));
  let fileCount = 0;
  for (const doc of objects) {
    const where = `${basename(file)}: ${doc.kind}/${doc.metadata?.name}`;
    if (!doc.apiVersion || !doc.kind) { problems.push(`${where}: no apiVersion/kind`); continue; }
    let Model;
    try {
      Model = (await import(modelModule(doc.apiVersion, doc.kind)))[doc.kind];
    } catch {
      problems.push(`${where}: no schema for ${doc.apiVersion} ${doc.kind}`);
      continue;
    }
    try {
      new Model(doc).validate();
    } catch (e) {
      problems.push(`${where}: ${e.message}`);
    }
    manifests++; fileCount++;
    kinds.set(doc.kind, (kinds.get(doc.kind) ?? 0) + 1);

    const pod = podSpecOf(doc);
    if (!pod) continue;
    for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
      checkContainerSecurity(pod, c, where, doc);
      const cmd = c.command?.[0] ?? "";
      if (cmd.endsWith("/availability")) { checkCli(c, where); continue; }
      if (cmd.endsWith("/availability-sync")) { checkSync(c, where); continue; }
      if (doc.kind !== "Deployment" || c.name !== "server") continue;
      // The server: flags from its environment (ConfigMaps and env) and args.
      const env = {};
      for (const ref of c.envFrom ?? []) {
        const data = configMaps.get(ref.configMapRef?.name);
        if (ref.configMapRef && !data) problems.push(`${where}: envFrom ConfigMap ${ref.configMapRef.name} is not rendered`);
        Object.assign(env, data ?? {});
      }
      for (const e of c.env ?? []) env[e.name] = e.value;
      for (const name of Object.keys(env)) {
        if (name.startsWith("AVAILABILITY_")) checkServerFlag(name.slice("AVAILABILITY_".length).toLowerCase(), `${where} env ${name}`);
      }
      for (const a of [...(c.command ?? []).slice(1), ...(c.args ?? [])]) {
        const m = /^--([^=]+)/.exec(a);
        if (m) checkServerFlag(m[1], `${where} args`);
      }
      const grace = pod.terminationGracePeriodSeconds ?? 30;
      const drain = seconds(env.AVAILABILITY_SHUTDOWN_GRACE);
      const preStop = c.lifecycle?.preStop?.sleep?.seconds ?? 0;
      if (!(grace > drain + preStop)) {
        problems.push(`${where}: terminationGracePeriodSeconds ${grace} must exceed preStop ${preStop}s + --shutdown_grace ${env.AVAILABILITY_SHUTDOWN_GRACE}`);
      }
      // Kubelet's gRPC probes speak plaintext only: with TLS on the gRPC
      // port, the probes must be HTTP on the plaintext --metrics_listen port.
      const tls = Boolean(env.AVAILABILITY_TLS_CERT_FILE);
      const httpPort = Number(/:(\d+)$/.exec(env.AVAILABILITY_METRICS_LISTEN ?? "")?.[1]);
      const paths = { livenessProbe: "/healthz", readinessProbe: "/readyz" };
      for (const probe of ["livenessProbe", "readinessProbe"]) {
        const p = c[probe];
        if (!tls) {
          if (!p?.grpc) problems.push(`${where}: ${probe} is not a native gRPC probe`);
          continue;
        }
        const port = (c.ports ?? []).find((cp) => cp.name === p?.httpGet?.port || cp.containerPort === p?.httpGet?.port);
        if (!p?.httpGet || p.httpGet.path !== paths[probe] || port?.containerPort !== httpPort) {
          problems.push(`${where}: with TLS, ${probe} must be httpGet ${paths[probe]} on the --metrics_listen port (kubelet gRPC probes cannot speak TLS)`);
        }
      }
    }
  }
  console.log(`validate: ${basename(file)}: ${fileCount} manifests`);
}

for (const p of pending) console.log(`validate: future (not yet in the binaries, allowed by future-flags.txt): ${p}`);
if (problems.length) {
  for (const p of problems) console.error(`validate: FAIL: ${p}`);
  console.error(`validate: ${problems.length} problem(s) in ${manifests} manifests`);
  process.exit(1);
}
const byKind = [...kinds].sort().map(([k, n]) => `${n} ${k}`).join(", ");
console.log(`validate: ${manifests} manifests from ${args.files.length} renders valid (${byKind}); ${serverFlags.size} server flags known`);
