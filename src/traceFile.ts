// Reading a log from disk, piece by piece: for the CLI, and for logs larger than VS Code hands to
// extensions. Node's fs, in the extension host as in the CLI. A log compressed with gzip
// (`trace.log.gz`, as large logs are passed around) is read through zlib as it is read.

import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { constants, createGunzip, gunzipSync } from 'node:zlib';
import { parseTraceStream, TraceParser } from './model/parser';
import { type Trace } from './model/trace';

/** Chunks small enough to stay ordinary V8 strings. */
const CHUNK = 1 << 18;

/** Whether the file at `path` is compressed with gzip (it starts with gzip's magic bytes). */
export async function isGzipFile(path: string): Promise<boolean> {
  try {
    const f = await open(path, 'r');
    try {
      const head = Buffer.alloc(2);
      const { bytesRead } = await f.read(head, 0, 2, 0);
      return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
    } finally {
      await f.close();
    }
  } catch {
    return false;
  }
}

/**
 * How large the log at `path` is as text: its size, or for a gzip file the size gzip recorded of
 * what it compressed (modulo 4 GiB: a larger one is taken for twenty times the file).
 */
export function logSizeSync(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(2);
    if (size < 18 || readSync(fd, head, 0, 2, 0) < 2 || head[0] !== 0x1f || head[1] !== 0x8b) return size;
    const tail = Buffer.alloc(4);
    readSync(fd, tail, 0, 4, size - 4);
    const recorded = tail.readUInt32LE(0);
    return recorded >= size ? recorded : size * 20;
  } finally {
    closeSync(fd);
  }
}

/** About the first `bytes` of the log at `path` as text (decompressed when it is gzip), for detection; '' when it cannot be read. */
export async function readLogStart(path: string, bytes: number): Promise<string> {
  try {
    const gz = await isGzipFile(path);
    const f = await open(path, 'r');
    try {
      // a compressed log's start: its first 16 KB decompress to that much at least
      const buffer = Buffer.alloc(gz ? Math.min(bytes, 1 << 14) : bytes);
      const { bytesRead } = await f.read(buffer, 0, buffer.length, 0);
      const start = gz ? gunzipSync(buffer.subarray(0, bytesRead), { finishFlush: constants.Z_SYNC_FLUSH }) : buffer.subarray(0, bytesRead);
      return start.toString('utf8', 0, Math.min(start.length, bytes));
    } finally {
      await f.close();
    }
  } catch {
    return '';
  }
}

/** Parse the log at `path` piece by piece, letting other work run between the pieces (the extension host); a gzip file is decompressed as it is read. */
export async function readTraceFile(path: string): Promise<Trace> {
  if (!(await isGzipFile(path))) return parseTraceStream(createReadStream(path, { encoding: 'utf8', highWaterMark: CHUNK }) as AsyncIterable<string>);
  const parser = new TraceParser();
  const file = createReadStream(path, { highWaterMark: CHUNK });
  const gunzip = createGunzip({ chunkSize: CHUNK });
  // (an error reading the file ends the decompression with it)
  file.on('error', (e) => gunzip.destroy(e));
  try {
    for await (const chunk of file.pipe(gunzip) as AsyncIterable<Uint8Array>) parser.pushBytes(chunk);
  } catch (e) {
    // damaged or cut off: what was decompressed is the log, and the rest is said to be missing
    if ((e as NodeJS.ErrnoException).code?.startsWith('Z_') !== true) throw e;
    parser.cutOff('damaged-compression');
  }
  return parser.end();
}

/**
 * The same, read with blocking reads: for the CLI, which has nothing else to do meanwhile. A
 * stream's machinery took a quarter of the parse of an 89 MB log (0.12 s of 0.48 s, measured).
 */
export function readTraceFileSync(path: string): Trace {
  const parser = new TraceParser();
  const decoder = new StringDecoder('utf8');
  const buffer = Buffer.allocUnsafe(CHUNK);
  const fd = openSync(path, 'r');
  try {
    for (let n = readSync(fd, buffer, 0, CHUNK, null); n > 0; n = readSync(fd, buffer, 0, CHUNK, null)) parser.push(decoder.write(buffer.subarray(0, n)));
  } finally {
    closeSync(fd);
  }
  parser.push(decoder.end());
  return parser.end();
}
