// QMP commands in QEMU's own terms: the handler a command runs (`blockdev-snapshot-sync` →
// `qmp_blockdev_snapshot_sync`) and its documentation, read from the `##` doc comment before its
// definition in a `qapi/*.json` schema file of the user's checkout (summary, arguments, returns,
// since). Pure text work: the files are handed in.

/** The C function that runs a QMP command. */
export function qmpHandlerName(command: string): string {
  return `qmp_${command.replace(/-/g, '_')}`;
}

export interface QapiDoc {
  /** The command or type documented. */
  name: string;
  /** The schema file and 1-based line of the definition (`{ 'command': … }`). */
  line: number;
  summary: string;
  /** `@arg: text`, in order (a command's own, or those of the struct its `data` names). */
  args: { name: string; text: string }[];
  returns: string | null;
  since: string | null;
  /** The struct named by `'data': 'Type'`, whose members are the arguments. */
  dataType: string | null;
}

interface DocBlock {
  name: string;
  /** 1-based line of the definition after the block. */
  line: number;
  lines: string[];
  definition: string;
}

/** Every `##` … `##` doc block of a schema file with the definition that follows it. */
function docBlocks(text: string): DocBlock[] {
  const lines = text.split('\n');
  const out: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '##') continue;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && lines[j].trim() !== '##' && lines[j].startsWith('#')) body.push(lines[j++].replace(/^# ?/, ''));
    if (j >= lines.length || lines[j].trim() !== '##') continue;
    const head = /^@([\w-]+):\s*$/.exec(body[0] ?? '');
    let k = j + 1;
    while (k < lines.length && lines[k].trim() === '') k++;
    if (head) out.push({ name: head[1], line: k + 1, lines: body.slice(1), definition: lines.slice(k, k + 12).join('\n') });
    i = j;
  }
  return out;
}

const SECTION = /^(Returns|Since|Example|Examples|Errors|Notes?|Features|TODO)\b:?\s*(.*)$/;

function parseBlock(b: DocBlock): QapiDoc {
  const summary: string[] = [];
  const args: { name: string; text: string }[] = [];
  let returns: string[] | null = null;
  let since: string | null = null;
  let section: 'summary' | 'arg' | 'returns' | 'other' = 'summary';
  for (const raw of b.lines) {
    const line = raw.trimEnd();
    const arg = /^@([\w-]+):\s*(.*)$/.exec(line);
    const sec = SECTION.exec(line);
    if (arg) {
      args.push({ name: arg[1], text: arg[2] });
      section = 'arg';
    } else if (sec) {
      if (sec[1] === 'Returns') {
        returns = sec[2] ? [sec[2]] : [];
        section = 'returns';
      } else {
        if (sec[1] === 'Since') since = sec[2].trim() || null;
        section = 'other';
      }
    } else if (line.trim() === '') {
      if (section === 'summary' && summary.length > 0) summary.push('');
      else if (section !== 'summary') section = section === 'arg' ? 'arg' : 'other';
    } else if (section === 'summary') summary.push(line.trim());
    else if (section === 'arg' && /^\s/.test(raw)) args[args.length - 1].text += ` ${line.trim()}`;
    else if (section === 'returns' && returns) returns.push(line.trim());
    else if (section === 'arg') summary.push(line.trim());
  }
  const data = /'data'\s*:\s*'([\w-]+)'/.exec(b.definition);
  return {
    name: b.name,
    line: b.line,
    summary: summary.join(' ').replace(/ {2,}/g, '\n\n').trim(),
    args,
    returns: returns ? returns.join(' ').trim() : null,
    since,
    dataType: data ? data[1] : null,
  };
}

/** The documentation of command (or type) `name` in one schema file's text, or null when it is not defined there. */
export function qapiDoc(text: string, name: string): QapiDoc | null {
  if (!text.includes(`'${name}'`)) return null;
  const defines = new RegExp(`'(?:command|struct|union|enum|event|alternate)'\\s*:\\s*'${name.replace(/[^\w-]/g, '\\$&')}'`);
  const block = docBlocks(text).find((b) => b.name === name && defines.test(b.definition));
  return block ? parseBlock(block) : null;
}

/**
 * The documentation of a QMP command across the schema files (`files`: path → text): its own
 * arguments, or those of the struct its `data` names (`blockdev-snapshot-sync` →
 * `BlockdevSnapshotSync`), with the file it was found in.
 */
export function commandDoc(files: Iterable<[string, string]>, command: string): (QapiDoc & { file: string }) | null {
  const all = [...files];
  for (const [file, text] of all) {
    const doc = qapiDoc(text, command);
    if (!doc) continue;
    if (doc.args.length === 0 && doc.dataType) {
      for (const [, t] of all) {
        const type = qapiDoc(t, doc.dataType);
        if (type) return { ...doc, args: type.args, summary: [doc.summary, type.summary].filter(Boolean).join('\n\n'), file };
      }
    }
    return { ...doc, file };
  }
  return null;
}
