// Recording a session against a real QEMU (issue 15): gdb runs QEMU with the companion
// (resources/gdb/qemu_block_trace.py), which breaks where asked and prints the backtrace and QEMU's
// own block graph at every stop; QMP commands go to QEMU over a monitor socket of our own, each
// written into the log as qmp-shell shows it (`(QEMU) …`) before it is sent, its reply after gdb's
// output has gone quiet. Everything gdb and QEMU print goes into the log as it comes, so the log
// reads like a hand-made session and the model reads it as one. Node only (child processes and
// sockets); used by the CLI's `record`.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseQmpShellCommand } from './model/qmp';

export interface RecordOptions {
  out: string;
  /** qmp-shell lines, `# wait EVENT [SECONDS]`, comments. */
  script: string | null;
  breakpoints: string[];
  gdb: string;
  /** gdb files sourced after the companion (gdb's -x). */
  gdbFiles: string[];
  binary: string;
  args: string[];
  /** A QEMU already running: its process and its QMP socket (then `binary` and `args` are not used). */
  attach?: { pid: number; qmp: string };
  /** Where the companion is (resources/gdb/qemu_block_trace.py). */
  companion: string;
  /** How long gdb's output must be still before the next command is sent (ms). */
  quietMs?: number;
  /** Progress lines for a person (stderr). */
  say?: (line: string) => void;
}

export interface RecordResult {
  /** 0: QEMU exited normally; 2: something went wrong, said in `problem`. */
  exitCode: 0 | 2;
  problem: string | null;
  commands: number;
}

/** One step of a QMP script. */
export type ScriptStep =
  | { kind: 'command'; logText: string[]; execute: string; arguments: Record<string, unknown>; line: number }
  | { kind: 'wait'; event: string; seconds: number; line: number };

/** Read a QMP script: qmp-shell lines (dotted keys, JSON values), `transaction(` … `)`, `# wait EVENT [SECONDS]`. */
export function parseQmpScript(text: string): ScriptStep[] {
  const steps: ScriptStep[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s*wait\s+([A-Z][A-Z0-9_]*)(?:\s+(\d+(?:\.\d+)?))?\s*$/.exec(line);
      if (m) steps.push({ kind: 'wait', event: m[1], seconds: m[2] ? Number(m[2]) : 60, line: i + 1 });
      continue;
    }
    if (/^transaction\(\s*$/.test(line)) {
      const actions: { type: string; data: Record<string, unknown> }[] = [];
      const logText = ['(QEMU) transaction('];
      let j = i + 1;
      for (; j < lines.length && lines[j].trim() !== ')'; j++) {
        const a = lines[j].trim();
        if (a === '' || a.startsWith('#')) continue;
        const cmd = parseQmpShellCommand(a, j);
        if (!cmd) throw new Error(`line ${j + 1}: cannot read the transaction action '${a}'`);
        actions.push({ type: cmd.name, data: cmd.arguments });
        logText.push(`TRANS> ${a}`);
      }
      if (j >= lines.length) throw new Error(`line ${i + 1}: transaction( is never closed with )`);
      logText.push('TRANS> )');
      steps.push({ kind: 'command', logText, execute: 'transaction', arguments: { actions }, line: i + 1 });
      i = j;
      continue;
    }
    const cmd = parseQmpShellCommand(line, i);
    if (!cmd) throw new Error(`line ${i + 1}: cannot read '${line}' as a qmp-shell command (name key=value …)`);
    steps.push({ kind: 'command', logText: [`(QEMU) ${line}`], execute: cmd.name, arguments: cmd.arguments, line: i + 1 });
  }
  return steps;
}

/**
 * The trace events QEMU is asked to print: commands entering and leaving QMP (their outcome), and
 * what the model reads about objects no backtrace may show (src/model/traceEvents.ts).
 */
export const TRACE_EVENTS = ['qmp_*', 'bdrv_open_common', 'blk_root_attach', 'blk_root_detach', 'job_state_transition', 'job_apply_verb'];

/** QEMU's arguments for our own QMP monitor on `socket`, and for its trace lines. */
export function monitorArgs(binary: string, socket: string): string[] {
  if (/storage-daemon/.test(basename(binary))) {
    return ['--chardev', `socket,path=${socket},server=on,wait=off,id=qbt-qmp`, '--monitor', 'chardev=qbt-qmp', ...TRACE_EVENTS.flatMap((e) => ['--trace', e])];
  }
  return ['-qmp', `unix:${socket},server=on,wait=off`, ...TRACE_EVENTS.flatMap((e) => ['-trace', e])];
}

/** A QMP connection: messages in order, replies awaited, events kept. */
class Qmp {
  private buffer = '';
  private readonly waiting: ((m: Record<string, unknown> | null) => void)[] = [];
  private readonly queue: (Record<string, unknown> | null)[] = [];
  readonly events: Record<string, unknown>[] = [];
  private closed = false;

  constructor(
    private readonly sock: Socket,
    private readonly onEvent: (e: Record<string, unknown>) => void,
  ) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buffer += d;
      for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (line === '') continue;
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        if (typeof msg.event === 'string') {
          this.events.push(msg);
          this.onEvent(msg);
        }
        this.deliver(msg);
      }
    });
    const end = () => {
      if (this.closed) return;
      this.closed = true;
      this.deliver(null);
    };
    sock.on('close', end);
    sock.on('error', end);
  }

  private deliver(m: Record<string, unknown> | null): void {
    const w = this.waiting.shift();
    if (w) w(m);
    else this.queue.push(m);
  }

  /** The next message (null once the connection is closed). */
  next(timeoutMs: number): Promise<Record<string, unknown> | null | 'timeout'> {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift()!);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const i = this.waiting.indexOf(done);
        if (i >= 0) this.waiting.splice(i, 1);
        resolve('timeout');
      }, timeoutMs);
      const done = (m: Record<string, unknown> | null) => {
        clearTimeout(timer);
        resolve(m);
      };
      this.waiting.push(done);
    });
  }

  /** Send a command; its reply (`return` or `error`), or null when QEMU closed the connection. */
  async execute(name: string, args: Record<string, unknown>, timeoutMs = 120_000): Promise<Record<string, unknown> | null> {
    if (this.closed) return null;
    this.sock.write(`${JSON.stringify({ execute: name, arguments: args })}\n`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = await this.next(Math.max(1, deadline - Date.now()));
      if (m === 'timeout') throw new Error(`no reply to ${name} in ${timeoutMs / 1000} s`);
      if (m === null) return null;
      if ('return' in m || 'error' in m) return m;
    }
  }

  /** Wait for event `name` received after the `since`-th event. */
  async waitEvent(name: string, since: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.events.slice(since).some((e) => e.event === name)) {
      const m = await this.next(Math.max(1, deadline - Date.now()));
      if (m === 'timeout' || m === null) return this.events.slice(since).some((e) => e.event === name);
    }
    return true;
  }

  close(): void {
    this.sock.destroy();
  }
}

function connectWhenReady(path: string, gdb: ChildProcess, timeoutMs: number): Promise<Socket> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (gdb.exitCode !== null || gdb.signalCode !== null) return reject(new Error('gdb ended before QEMU opened its QMP socket'));
      if (Date.now() > deadline) return reject(new Error(`QEMU did not open its QMP socket in ${timeoutMs / 1000} s`));
      if (!existsSync(path)) return void setTimeout(attempt, 100);
      const s = connect(path);
      s.once('connect', () => resolve(s));
      s.once('error', () => {
        s.destroy();
        setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

/** What gdb's output says went wrong, as one line for a person, or null. */
export function problemIn(output: string): string | null {
  const capture = /^qbt-capture: .*$/m.exec(output);
  if (capture) return capture[0];
  const graph = /^qbt-graph: cannot read .*$/m.exec(output);
  if (graph) return graph[0];
  // gdb 13 names the thread for a multi-threaded program: `Thread 1 "qemu-storage-da" received signal …`
  // (SIGINT is gdb being interrupted, by the recorder to detach or by a person: no crash)
  const signal = [...output.matchAll(/^(?:Program|Thread \d+(?: "[^"\n]*")?) (?:received|terminated with) signal (\w+), ([^.\n]*)/gm)].find((m) => m[1] !== 'SIGINT');
  if (signal) return `QEMU died: ${signal[1]} (${signal[2]})`;
  const code = /^\[Inferior \d+ \(process \d+\) exited with code (\d+)\]$/m.exec(output);
  if (code) return `QEMU exited with code ${Number.parseInt(code[1], 8)}`;
  // (not any `…: No such file or directory.`: gdb prints that for a source file it has not got)
  const noFile = /^No executable file specified.*$/m.exec(output);
  if (noFile && !/\[Inferior \d+ \(process \d+\) (?:exited normally|detached)\]/.test(output)) return `gdb could not start QEMU: ${noFile[0]}`;
  return null;
}

/**
 * The log file: gdb's output (with QEMU's, which shares its pipe) as it comes, and the recorder's
 * own lines (commands as typed, replies, QMP events) between gdb's lines, never inside one (gdb may
 * write a frame in two pieces) nor inside a backtrace: QEMU's events reach the recorder's socket
 * late, while gdb prints the stop they came before.
 */
export class SessionLog {
  private atLineStart = true;
  /** The gdb line being written (since its last newline). */
  private line = '';
  /** gdb's last whole line was `(gdb) bt` or a frame: its backtrace may go on. */
  private inBacktrace = false;
  private held = '';

  constructor(private readonly out: { write(text: string): unknown; end(done: () => void): unknown }) {}

  /** What gdb printed, as it came. */
  gdb(text: string): void {
    let rest = text;
    while (rest !== '') {
      const nl = rest.indexOf('\n');
      if (nl < 0) {
        this.out.write(rest);
        this.line += rest;
        this.atLineStart = false;
        return;
      }
      this.out.write(rest.slice(0, nl + 1));
      const whole = this.line + rest.slice(0, nl);
      this.line = '';
      this.atLineStart = true;
      this.inBacktrace = /^(?:\(gdb\) bt\s*$|#\d+ )/.test(whole);
      if (!this.inBacktrace && this.held !== '') {
        this.out.write(this.held);
        this.held = '';
      }
      rest = rest.slice(nl + 1);
    }
  }

  /**
   * Whole lines of the recorder's own, written as soon as gdb's output is at a line's end and not
   * inside a backtrace (an event that arrives while gdb prints one would cut it in two).
   */
  own(lines: string): void {
    if (this.atLineStart && !this.inBacktrace) this.out.write(lines);
    else this.held += lines;
  }

  end(): Promise<void> {
    if (this.held !== '') this.out.write(this.atLineStart ? this.held : `\n${this.held}`);
    this.held = '';
    return new Promise<void>((r) => this.out.end(r));
  }
}

/** Where to record and what to run: everything but the commands. */
export type SessionOptions = Omit<RecordOptions, 'script'>;

/**
 * A recording in progress: gdb running QEMU with the companion, our QMP connection, the log.
 * Commands are sent one at a time (`send`), each logged as typed before it goes and its reply once
 * gdb's output is quiet; `quit()` ends QEMU; `ended` resolves when gdb has exited.
 */
export class Session {
  private output = '';
  private lastOutput = Date.now();
  private busy: Promise<unknown> = Promise.resolve();
  private sentQuit = false;
  /** Events received up to the last command sent: `# wait` waits for one after it. */
  private eventsAtCommand = 0;
  readonly ended: Promise<RecordResult>;
  private eventListeners: ((e: Record<string, unknown>) => void)[] = [];

  /** Call `listener` with each QMP event QEMU sends from now on (they are in the log too). */
  onEvent(listener: (e: Record<string, unknown>) => void): void {
    this.eventListeners.push(listener);
  }
  commands = 0;

  private constructor(
    private readonly gdb: ChildProcess,
    private readonly qmp: Qmp,
    private readonly log: SessionLog,
    private readonly dir: string,
    private readonly exited: Promise<number | null>,
    readonly socketPath: string,
    private readonly quietMs: number,
    out: { text: string; at: number },
    /** gdb attached to a QEMU that was running: at the end it detaches, QEMU goes on. */
    private readonly attached = false,
  ) {
    this.output = out.text;
    this.lastOutput = out.at;
    this.ended = this.exited.then(async (code) => {
      qmp.close();
      await new Promise((r) => setTimeout(r, 100));
      const problem = problemIn(this.output);
      if (problem) return this.finish(2, problem);
      if (code === null) return this.finish(2, `gdb was killed (${this.gdb.signalCode ?? 'signal'})`);
      if (code !== 0) return this.finish(2, `gdb exited with code ${code}`);
      return this.finish(0, null);
    });
  }

  /** Start gdb on QEMU and connect to QEMU's QMP; a problem is one line, with the log so far kept. */
  static async start(o: SessionOptions): Promise<Session | RecordResult> {
    const v = spawnSync(o.gdb, ['--version'], { encoding: 'utf8' });
    if (v.error || v.status !== 0) return { exitCode: 2, problem: `gdb not found (${o.gdb}): install gdb, or say where it is with --gdb PATH`, commands: 0 };
    if (o.attach) {
      try {
        process.kill(o.attach.pid, 0);
      } catch {
        return { exitCode: 2, problem: `no process ${o.attach.pid} to attach to`, commands: 0 };
      }
      if (!existsSync(o.attach.qmp)) return { exitCode: 2, problem: `no QMP socket at ${o.attach.qmp}`, commands: 0 };
    } else if (!existsSync(o.binary) || !statSync(o.binary).isFile()) return { exitCode: 2, problem: `no QEMU binary at ${o.binary}`, commands: 0 };
    for (const f of o.gdbFiles) if (!existsSync(f)) return { exitCode: 2, problem: `no gdb file at ${f} (--gdb-x)`, commands: 0 };
    const dir = mkdtempSync(join(tmpdir(), 'qbt-record-'));
    const socketPath = o.attach ? o.attach.qmp : join(dir, 'qmp.sock');
    const log = new SessionLog(createWriteStream(o.out));
    const out = { text: '', at: Date.now() };
    const setup = [
      '-nx',
      ...['set pagination off', 'set confirm off', 'set width 0', 'set style enabled off'].flatMap((c) => ['-iex', c]),
      '-x',
      o.companion,
      ...o.gdbFiles.flatMap((f) => ['-x', f]),
      '-ex',
      `qbt-capture ${(o.breakpoints.length > 0 ? o.breakpoints : ['bdrv_replace_child_noperm']).join(' ')}`,
    ];
    // attached, gdb is not in batch mode (it would not print its attach messages) and reads what
    // to do when the recording ends from its stdin: interrupted, it detaches and leaves QEMU running
    const gdbArgs = o.attach
      ? ['-q', '-p', String(o.attach.pid), ...setup, '-ex', 'continue']
      : ['-q', '-batch', ...setup, '-ex', 'run', '--args', o.binary, ...o.args, ...monitorArgs(o.binary, socketPath)];
    // gdb's output and QEMU's (its trace lines, on the stderr it inherits) share one pipe, so that
    // the log has them in the order they were written: a node's bdrv_open_common before the stop
    // that shows it
    const gdb = spawn('sh', ['-c', 'exec "$0" "$@" 2>&1', o.gdb, ...gdbArgs], { stdio: [o.attach ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => gdb.on('exit', (code) => resolve(code)));
    let session: Session | null = null;
    // a character split between two reads is decoded whole
    const decoders = { out: new StringDecoder('utf8'), err: new StringDecoder('utf8') };
    const onData = (decoder: StringDecoder) => (d: Buffer) => {
      const text = decoder.write(d);
      log.gdb(text);
      // what went wrong is found in the output: keep its recent part only
      if (session) session.noteOutput(text);
      else {
        out.text = (out.text + text).slice(-200_000);
        out.at = Date.now();
      }
    };
    gdb.stdout!.on('data', onData(decoders.out));
    gdb.stderr!.on('data', onData(decoders.err));
    const fail = async (problem: string): Promise<RecordResult> => {
      if (gdb.exitCode === null && gdb.signalCode === null) {
        gdb.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (gdb.exitCode === null) gdb.kill('SIGKILL');
      }
      await log.end();
      rmSync(dir, { recursive: true, force: true });
      return { exitCode: 2, problem, commands: 0 };
    };
    const eventListeners: ((e: Record<string, unknown>) => void)[] = [];
    let qmp: Qmp;
    try {
      const sock = await connectWhenReady(socketPath, gdb, 120_000);
      qmp = new Qmp(sock, (e) => {
        log.own(`${JSON.stringify(e)}\n`);
        for (const l of eventListeners) l(e);
      });
    } catch (e) {
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
      return fail(problemIn(out.text) ?? (e as Error).message);
    }
    const early = problemIn(out.text);
    if (early?.startsWith('qbt-capture:') || early?.startsWith('qbt-graph:')) return fail(early);
    await qmp.next(30_000); // the greeting
    await qmp.execute('qmp_capabilities', {});
    if (o.attach) {
      // the breakpoints are in place once gdb has let QEMU go on
      const t0 = Date.now();
      while (!/^Continuing\.$/m.test(out.text) && gdb.exitCode === null && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 50));
    }
    session = new Session(gdb, qmp, log, dir, exited, socketPath, o.quietMs ?? 500, out, o.attach !== undefined);
    session.eventListeners = eventListeners;
    return session;
  }

  private noteOutput(text: string): void {
    this.output = (this.output + text).slice(-200_000);
    this.lastOutput = Date.now();
  }

  get running(): boolean {
    return this.gdb.exitCode === null && this.gdb.signalCode === null;
  }

  /** QEMU's QMP commands, for completion. */
  async commandNames(): Promise<string[]> {
    const r = await this.qmp.execute('query-commands', {});
    const list = r && Array.isArray(r.return) ? (r.return as { name?: unknown }[]) : [];
    return list.map((c) => String(c.name)).sort();
  }

  private async quiet(limitMs = 120_000): Promise<void> {
    const t0 = Date.now();
    while (Date.now() - this.lastOutput < this.quietMs && Date.now() - t0 < limitMs) await new Promise((r) => setTimeout(r, 50));
  }

  /**
   * Send one command (a step of parseQmpScript), logged as typed; its reply (`return` or `error`),
   * or null when QEMU went away. Commands queue: one at a time, each after the previous reply.
   */
  send(step: Extract<ScriptStep, { kind: 'command' }>): Promise<Record<string, unknown> | null> {
    const run = async () => {
      if (!this.running) return null;
      await this.quiet();
      this.log.own(`\n${step.logText.join('\n')}\n`);
      this.eventsAtCommand = this.qmp.events.length;
      this.commands++;
      if (step.execute === 'quit') this.sentQuit = true;
      const reply = await this.qmp.execute(step.execute, step.arguments);
      if (reply === null || step.execute === 'quit') return reply;
      await this.quiet();
      this.log.own(`${JSON.stringify(reply)}\n`);
      return reply;
    };
    const p = this.busy.then(run, run);
    this.busy = p.catch(() => undefined);
    return p;
  }

  /** Wait for QMP event `name` received since the last command was sent. */
  waitEvent(name: string, seconds: number): Promise<boolean> {
    const p = this.busy.then(() => this.qmp.waitEvent(name, this.eventsAtCommand, seconds * 1000));
    this.busy = p.catch(() => undefined);
    return p;
  }

  /** Attached: stop recording and let QEMU run on (gdb interrupts it, detaches and quits). */
  async detach(): Promise<RecordResult> {
    if (!this.attached || !this.running) return this.ended;
    await this.busy;
    await this.quiet();
    this.gdb.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 300));
    this.gdb.stdin?.write('echo (gdb) detach\\n\ndetach\nquit\n');
    this.gdb.stdin?.end();
    const done = await Promise.race([this.ended, new Promise<null>((r) => setTimeout(() => r(null), 15_000))]);
    if (done) return done;
    this.gdb.kill('SIGKILL');
    return this.ended;
  }

  /** End the session as a person would: `quit` over QMP (logged), then, if QEMU lingers, gdb is stopped. */
  async quit(): Promise<RecordResult> {
    if (this.running && !this.sentQuit) {
      await this.send({ kind: 'command', logText: ['(QEMU) quit'], execute: 'quit', arguments: {}, line: 0 }).catch(() => null);
    }
    const done = await Promise.race([this.ended, new Promise<null>((r) => setTimeout(() => r(null), 15_000))]);
    if (done) return done;
    this.gdb.kill('SIGTERM');
    return this.ended;
  }

  /** Stop at once (gdb and QEMU killed), keeping the log. */
  kill(): void {
    if (this.running) this.gdb.kill('SIGKILL');
  }

  private async finish(exitCode: 0 | 2, problem: string | null): Promise<RecordResult> {
    await this.log.end();
    rmSync(this.dir, { recursive: true, force: true });
    return { exitCode, problem, commands: this.commands };
  }
}

/** Run a recording with a script (or none: until QEMU exits); resolves when gdb has exited. The log so far is kept whatever happens. */
export async function record(o: RecordOptions): Promise<RecordResult> {
  const say = o.say ?? (() => undefined);
  const steps = o.script === null ? [] : parseQmpScript(o.script);
  const s = await Session.start(o);
  if (!(s instanceof Session)) return s;
  say(`recording to ${o.out}; QMP of QEMU on ${s.socketPath}`);
  for (const step of steps) {
    if (!s.running) break;
    if (step.kind === 'wait') {
      if (!(await s.waitEvent(step.event, step.seconds))) {
        // QEMU may have gone (a crash closes QMP): then that is what went wrong
        const gone = await Promise.race([s.ended, new Promise<null>((r) => setTimeout(() => r(null), 3000))]);
        if (gone?.problem) return gone;
        s.kill();
        const r = await s.ended;
        return { ...r, exitCode: 2, problem: `script line ${step.line}: no ${step.event} event in ${step.seconds} s` };
      }
      continue;
    }
    say(step.logText.join(' '));
    try {
      const reply = await s.send(step);
      if (step.execute === 'quit') break;
      if (reply === null) {
        // QEMU went away while the command ran
        const gone = await Promise.race([s.ended, new Promise<null>((r) => setTimeout(() => r(null), 3000))]);
        if (gone) return gone.problem ? gone : { ...gone, exitCode: 2, problem: `QEMU closed its QMP connection during script line ${step.line}` };
        break;
      }
    } catch (e) {
      s.kill();
      const r = await s.ended;
      return { ...r, exitCode: 2, problem: `script line ${step.line}: ${(e as Error).message}` };
    }
  }
  if (o.script === null) {
    say('no --qmp-script: recording until QEMU exits (quit it over QMP, or stop with Ctrl-C)');
    return s.ended;
  }
  // the script is done: QEMU is asked to quit, as a person would end the session (attached: it runs on)
  return o.attach ? s.detach() : s.quit();
}

/** The companion's path in this package (dist/cli.js → resources/gdb/). */
export function companionPath(fromDir: string): string {
  for (const candidate of [join(fromDir, '..', 'resources', 'gdb', 'qemu_block_trace.py'), join(fromDir, '..', '..', 'resources', 'gdb', 'qemu_block_trace.py')]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('the gdb companion resources/gdb/qemu_block_trace.py is missing from this installation');
}

/** A QMP script file's text, with a clear error. */
export function readScript(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read the QMP script ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, { cause: e });
  }
}
