// `npm run long-session [-- ROUNDS]`: hold the model to QEMU over a long real session. Records,
// with `qemu-block-trace record` and the debug qemu-storage-daemon 7.2 of the tests
// (scripts/qemuBuild.mjs), ROUNDS (default 300) rounds of: a new overlay o<k> (qcow2 on a new file
// node) snapshotted onto base0 (exported over NBD), committed back by job c<k>, completed and
// deleted; every third round also three commands that fail. QEMU reuses its freed addresses all the
// time there. Then, at every stop, it holds the replayed graph against QEMU's own (read from its
// memory by the recorder), and each pointer QEMU's graph lists against the identities (name, kind,
// driver), and checks that every block-job-complete has its job's hits. About 3.5 s a round; the
// log (90 KB a round) goes to .bench/long-session/. Exits 1 when anything disagrees.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { ensureDebugQemu } from './qemuBuild.mjs';
import { ROOT } from './lib/testEnv.mjs';

const rounds = Number(process.argv[2] ?? 300);
const dir = join(ROOT, '.bench', 'long-session');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const build = ensureDebugQemu('7.2');
const img = (name) => spawnSync(join(build, 'qemu-img'), ['create', '-q', '-f', 'qcow2', join(dir, name), '64M'], { stdio: 'inherit' });
img('base.qcow2');
for (let k = 1; k <= rounds; k++) img(`o${k}.qcow2`);

const script = [
  `blockdev-add driver=file node-name=file0 filename=${dir}/base.qcow2`,
  'blockdev-add driver=qcow2 node-name=base0 file=file0',
  `nbd-server-start addr.type=unix addr.data.path=${dir}/nbd.sock`,
  'block-export-add type=nbd id=exp0 node-name=base0 writable=true',
];
for (let k = 1; k <= rounds; k++) {
  script.push(`blockdev-add driver=qcow2 node-name=o${k} file.driver=file file.filename=${dir}/o${k}.qcow2 backing=null`, `blockdev-snapshot node=base0 overlay=o${k}`);
  if (k % 3 === 0) script.push(`blockdev-add driver=qcow2 node-name=bad${k} file.driver=file file.filename=/nonexistent/x${k}.qcow2`, 'blockdev-del node-name=base0', `blockdev-snapshot node=o${k} overlay=o${k}`);
  script.push(`block-commit device=o${k} job-id=c${k}`, '# wait BLOCK_JOB_READY 30', `block-job-complete device=c${k}`, '# wait BLOCK_JOB_COMPLETED 30', `blockdev-del node-name=o${k}`);
}
script.push('quit');
writeFileSync(join(dir, 'session.qmp'), `${script.join('\n')}\n`);

await esbuild.build({ entryPoints: [join(ROOT, 'src', 'cli.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: join(dir, 'cli.js'), logLevel: 'warning' });
await esbuild.build({
  stdin: { contents: "export { parseTrace } from './parser'; export { Identities } from './identities'; export { BlockGraph } from './graph';", resolveDir: join(ROOT, 'src', 'model'), loader: 'ts' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  outfile: join(dir, 'model.cjs'),
  logLevel: 'warning',
});

const log = join(dir, 'session.log');
process.stdout.write(`recording ${rounds} rounds (about ${Math.round((rounds * 3.5) / 60)} min) into ${log}\n`);
const t0 = Date.now();
const rec = spawnSync(process.execPath, [join(dir, 'cli.js'), 'record', '--out', log, '--qmp-script', join(dir, 'session.qmp'), '--', join(build, 'storage-daemon', 'qemu-storage-daemon')], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', cwd: dir });
if (rec.status !== 0 || !existsSync(log)) throw new Error(`record failed: ${rec.stderr.slice(-2000)}`);
process.stdout.write(`recorded in ${Math.round((Date.now() - t0) / 1000)} s: ${(readFileSync(log).length / 1e6).toFixed(1)} MB\n`);

const { createRequire } = await import('node:module');
const m = createRequire(import.meta.url)(join(dir, 'model.cjs'));
const trace = m.parseTrace(readFileSync(log, 'utf8'));
const ids = new m.Identities(trace);
const checks = m.BlockGraph.build(trace, ids).checkRecorded();
const differing = checks.filter((c) => c.differences.length > 0);
const wrong = [];
let pointers = 0;
for (const h of trace.hits) {
  if (!h.recorded) continue;
  const line = h.recordedLine ?? h.endLine;
  const hold = (address, kind, name, driver) => {
    const id = ids.at(address, line);
    // never printed up to here, or last printed as QEMU data (a command's options QDict, freed
    // when it returned): the log has not shown the block object there yet
    if (!id || id.firstLine > line || id.kind === 'data') return;
    pointers++;
    if (id.kind !== null && id.kind !== kind) wrong.push(`hit ${h.index}: ${address} is a ${kind} in QEMU, a ${id.kind} here`);
    if (name && !name.startsWith('#') && id.name !== null && id.name !== name) wrong.push(`hit ${h.index}: ${address} is ${name} in QEMU, ${id.name} here`);
    if (driver && id.driver && id.driver !== driver) wrong.push(`hit ${h.index}: ${address} has driver ${driver} in QEMU, ${id.driver} here`);
  };
  for (const n of h.recorded.nodes) hold(n.address, 'node', n.name, n.driver);
  for (const j of h.recorded.jobs) hold(j.address, 'job', j.id, null);
  for (const e of h.recorded.edges) hold(e.address, 'edge', null, null);
}
const emptyCompletes = trace.commands.filter((c) => c.name === 'block-job-complete' && c.hits.length === 0).map((c) => c.arguments.device);
process.stdout.write(
  [
    `${trace.hits.length} hits, ${trace.commands.length} commands`,
    `replay against QEMU's memory: ${checks.length - differing.length}/${checks.length} stops agree${differing.length ? ` (first: hit ${differing[0].hit}: ${differing[0].differences[0]})` : ''}`,
    `identities against QEMU's graph: ${pointers} pointers, ${wrong.length} wrong${wrong.length ? ` (first: ${wrong[0]})` : ''}`,
    `block-job-complete without its job's hits: ${emptyCompletes.length}${emptyCompletes.length ? ` (${emptyCompletes.slice(0, 5).join(', ')})` : ''}`,
  ].join('\n') + '\n',
);
process.exit(differing.length + wrong.length + emptyCompletes.length > 0 ? 1 : 0);
