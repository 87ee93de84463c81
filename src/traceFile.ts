// Reading a log from disk, streaming: for the CLI, and for logs larger than VS Code hands to
// extensions. Node's fs, in the extension host as in the CLI.

import { createReadStream } from 'node:fs';
import { parseTraceStream } from './model/parser';
import { type Trace } from './model/trace';

/** Parse the log at `path` piece by piece (chunks small enough to stay ordinary V8 strings). */
export function readTraceFile(path: string): Promise<Trace> {
  return parseTraceStream(createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 18 }) as AsyncIterable<string>);
}
