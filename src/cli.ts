// The command line: the same model as the extension, outside the editor.
//   qemu-block-trace summary LOG [--json]

import { statSync } from 'node:fs';
import type { Trace } from './model/trace';
import { readTraceFile } from './traceFile';
import { formatSummary, traceToJson } from './model/summary';

const USAGE = `usage: qemu-block-trace summary LOG [--json]

  summary LOG          one line per QMP command: its hits and how it was found
  summary LOG --json   the whole model (hits, frames, commands, diagnostics) as JSON`;

class UsageError extends Error {}

/** Read and parse a log from disk, streaming; errors say what is wrong with the path. */
async function readLog(path: string): Promise<Trace> {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (st.isDirectory()) throw new UsageError(`cannot read ${path}: it is a directory, not a log file`);
  try {
    return await readTraceFile(path);
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'summary') throw new UsageError(`unknown command '${command}'\n${USAGE}`);
  const json = rest.includes('--json');
  const files = rest.filter((a) => !a.startsWith('--'));
  const unknown = rest.filter((a) => a.startsWith('--') && a !== '--json');
  if (unknown.length > 0) throw new UsageError(`unknown option ${unknown[0]}\n${USAGE}`);
  if (files.length !== 1) throw new UsageError(`summary takes one LOG file\n${USAGE}`);
  const trace = await readLog(files[0]);
  const out = json ? `${JSON.stringify(traceToJson(trace), null, 2)}\n` : `${formatSummary(trace, files[0]).join('\n')}\n`;
  await new Promise<void>((resolve, reject) => process.stdout.write(out, (e) => (e ? reject(e) : resolve())));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const msg = e instanceof UsageError ? e.message : `internal error: ${(e as Error)?.stack ?? String(e)}`;
    process.stderr.write(`qemu-block-trace: ${msg.split('\n')[0]}\n`);
    if (e instanceof UsageError && msg.includes('\n')) process.stderr.write(`${msg.split('\n').slice(1).join('\n')}\n`);
    process.exitCode = 2;
  },
);
