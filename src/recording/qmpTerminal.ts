// The QMP terminal of a recording: a pseudoterminal that speaks qmp-shell's syntax to the QEMU the
// recording runs. A line is a command (`blockdev-add driver=file node-name=f0 filename=…`, dotted
// keys, JSON values); `transaction(` starts a transaction whose actions follow at `TRANS>` until
// `)`. Up and Down walk the history, Tab completes command names from QEMU's query-commands, and
// each reply is printed as qmp-shell prints it. Every command also goes into the log (Session).

import * as vscode from 'vscode';
import { parseQmpScript, type ScriptStep, type Session } from '../record';

const PROMPT = '(QEMU) ';
const TRANS_PROMPT = 'TRANS> ';

export class QmpTerminal implements vscode.Pseudoterminal {
  private readonly write = new vscode.EventEmitter<string>();
  private readonly closed = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.write.event;
  readonly onDidClose = this.closed.event;
  private line = '';
  private readonly history: string[] = [];
  private historyAt = 0;
  private transaction: string[] | null = null;
  private names: string[] = [];
  private busy = false;
  /** Input that came while a command ran: handled after its reply. */
  private typedAhead = '';
  private ended = false;

  constructor(
    private readonly session: Session,
    private readonly title: string,
  ) {}

  open(): void {
    this.print(`${vscode.l10n.t('QMP of {0}, recorded with its gdb session. Type qmp-shell commands; Tab completes, Up/Down walks the history, transaction( … ) groups actions.', this.title)}\r\n`);
    void this.session.commandNames().then(
      (n) => (this.names = n),
      () => undefined,
    );
    // events as they come, above the line being typed (qmp-shell prints them too)
    this.session.onEvent((e) => {
      if (this.ended) return;
      this.print(`\r\x1b[K${JSON.stringify(e)}\r\n`);
      if (!this.busy) this.print(`${this.transaction ? TRANS_PROMPT : PROMPT}${this.line}`);
    });
    void this.session.ended.then((r) => {
      this.ended = true;
      this.print(`\r\n${r.problem ? vscode.l10n.t('Recording ended: {0}', r.problem) : vscode.l10n.t('QEMU exited; the recording is complete.')}\r\n`);
    });
    this.prompt();
  }

  close(): void {
    // closing the terminal ends the session as Stop does
    if (!this.ended) void this.session.quit();
  }

  private print(text: string): void {
    this.write.fire(text);
  }

  private prompt(): void {
    if (this.ended) return;
    this.print(this.transaction ? TRANS_PROMPT : PROMPT);
  }

  handleInput(data: string): void {
    if (this.ended) return;
    // what is typed (or pasted) while a command runs waits for its reply, as in a shell
    if (this.busy) {
      this.typedAhead += data;
      return;
    }
    // several characters at once (a paste, sendText): each in turn
    for (let i = 0; i < data.length; i++) {
      const c = data[i];
      if (c === '\r' || c === '\n') {
        if (c === '\r' && data[i + 1] === '\n') i++;
        void this.submit();
        if (this.busy) {
          this.typedAhead = data.slice(i + 1) + this.typedAhead;
          return;
        }
      } else if (c === '\x7f' || c === '\b') {
        if (this.line.length > 0) {
          this.line = this.line.slice(0, -1);
          this.print('\b \b');
        }
      } else if (c === '\x03') {
        this.line = '';
        this.transaction = null;
        this.print('^C\r\n');
        this.prompt();
      } else if (c === '\t') {
        this.complete();
      } else if (c === '\x1b' && data[i + 1] === '[' && (data[i + 2] === 'A' || data[i + 2] === 'B')) {
        this.walkHistory(data[i + 2] === 'A' ? -1 : 1);
        i += 2;
      } else if (c === '\x1b') {
        // other escape sequences (arrows left/right, function keys): ignored
        while (i + 1 < data.length && /[[0-9;]/.test(data[i + 1])) i++;
        i++;
      } else if (c >= ' ') {
        this.line += c;
        this.print(c);
      }
    }
  }

  private setLine(text: string): void {
    this.print(`\r\x1b[K${this.transaction ? TRANS_PROMPT : PROMPT}${text}`);
    this.line = text;
  }

  private walkHistory(step: number): void {
    if (this.history.length === 0) return;
    this.historyAt = Math.max(0, Math.min(this.history.length, this.historyAt + step));
    this.setLine(this.history[this.historyAt] ?? '');
  }

  private complete(): void {
    if (this.line.includes(' ')) return;
    const matches = [...this.names, 'transaction('].filter((n) => n.startsWith(this.line));
    if (matches.length === 1) this.setLine(`${matches[0]} `);
    else if (matches.length > 1) {
      let common = matches[0];
      for (const m of matches) while (!m.startsWith(common)) common = common.slice(0, -1);
      this.print(`\r\n${matches.join('  ')}\r\n`);
      this.setLine(common);
    }
  }

  private async submit(): Promise<void> {
    const text = this.line.trim();
    this.line = '';
    this.print('\r\n');
    if (text !== '' && this.history[this.history.length - 1] !== text) this.history.push(text);
    this.historyAt = this.history.length;
    if (text === '') return this.prompt();
    let step: Extract<ScriptStep, { kind: 'command' }>;
    try {
      if (this.transaction) {
        if (text !== ')') {
          parseQmpScript(text);
          this.transaction.push(text);
          return this.prompt();
        }
        const lines = ['transaction(', ...this.transaction, ')'];
        this.transaction = null;
        step = parseQmpScript(lines.join('\n'))[0] as Extract<ScriptStep, { kind: 'command' }>;
      } else if (/^transaction\(\s*$/.test(text)) {
        this.transaction = [];
        return this.prompt();
      } else {
        const steps = parseQmpScript(text);
        if (steps.length === 0 || steps[0].kind !== 'command') return this.prompt();
        step = steps[0];
      }
    } catch (e) {
      this.print(`${(e as Error).message.replace(/^line \d+: /, '')}\r\n`);
      return this.prompt();
    }
    this.busy = true;
    try {
      const reply = await this.session.send(step);
      if (reply) this.print(`${JSON.stringify(reply)}\r\n`);
    } catch (e) {
      this.print(`${(e as Error).message}\r\n`);
    } finally {
      this.busy = false;
    }
    this.prompt();
    const ahead = this.typedAhead;
    this.typedAhead = '';
    if (ahead) this.handleInput(ahead);
  }

  dispose(): void {
    this.write.dispose();
    this.closed.dispose();
  }
}
